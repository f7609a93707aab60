import { randomBytes, randomUUID } from 'node:crypto';
import { MemoryEventStore } from '@access-audit/event-store';
import type { TeamCommand } from '@access-audit/domain';
import { AuditLog } from '../audit-log';
import { auditStreamId } from '../entry';
import { CheckpointSigner } from '../signing';
import { at, enterpriseHistory, mustRun } from '../testing/audit-fixtures';
import { DrainDeliveries, type DrainDeliveriesOptions, type DrainStatus } from './deliveries';
import { drainDeliveryStreamId } from './delivery-state';
import { DrainSecretKey, DrainSecrets, drainSecretStreamId } from './secrets';
import { DrainAllowList } from './target';
import { TestReceiver } from './testing/receiver';
import { verifyStoredDeliveries } from './verify-deliveries';

const signer = CheckpointSigner.generate();
const teamId = 'acme';

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('audit drain delivery to a real HTTP receiver', () => {
  let store: MemoryEventStore;
  let audit: AuditLog;
  let receiver: TestReceiver;
  let secrets: DrainSecrets;
  const running: DrainDeliveries[] = [];
  const key = new DrainSecretKey(randomBytes(32));
  const secret = randomBytes(32).toString('base64url');

  const deliveries = async (options: Partial<DrainDeliveriesOptions> = {}): Promise<DrainDeliveries> => {
    const instance = new DrainDeliveries({
      store,
      secrets: new DrainSecrets(store, key),
      allow: new DrainAllowList(['127.0.0.1']),
      leaseMs: 2000,
      timeoutMs: 400,
      backoff: { initialMs: 40, maxMs: 200 },
      idlePollMs: 100,
      ...options,
    });
    running.push(instance);
    await instance.start();
    return instance;
  };

  const command = (type: string, data: object, actor = 'alice'): TeamCommand =>
    ({ type, teamId, data, metadata: at(actor) }) as TeamCommand;

  const addDrain = async (url = receiver.url): Promise<string> => {
    const drainId = `drn_${randomUUID()}`;
    await mustRun(store, command('AddAuditDrain', { drainId, url }));
    await secrets.put(drainId, { secret });
    return drainId;
  };

  const auditHead = async (): Promise<number> => {
    const revision = await store.streamRevision(auditStreamId(teamId));
    const [last] = await store.readStream(auditStreamId(teamId), { fromRevision: revision, limit: 1 });
    return (last!.data as { sequence: number }).sequence;
  };

  /** Waits until the receiver holds every entry the audit stream has, then verifies what it stored. */
  const receivedEverything = async () => {
    await until('the audit log to record every event', async () =>
      audit.isIndexedThrough((await store.headPosition())!),
    );
    const head = await auditHead();
    await until(`entries 1..${head} at the receiver`, () => receiver.entrySequences().length >= head);
    const verification = await verifyStoredDeliveries(receiver.ndjson.split('\n'), {
      secret,
      publicKey: signer.publicKey,
    });
    return { head, verification };
  };

  const drainStatus = (instance: DrainDeliveries, drainId: string, url = receiver.url): Promise<DrainStatus> =>
    instance.status({ drainId, teamId, url, resumes: 0 });

  beforeEach(async () => {
    store = new MemoryEventStore();
    audit = new AuditLog({ store, signer, indexPath: ':memory:', checkpointEvery: 5 });
    await audit.start();
    receiver = await TestReceiver.start();
    secrets = new DrainSecrets(store, key);
    await enterpriseHistory(store, teamId);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((instance) => instance.stop()));
    await receiver.close();
    await audit.stop();
    await store.close();
  });

  it('delivers every entry in sequence order as NDJSON export lines, signed, and moves the cursor', async () => {
    const instance = await deliveries();
    const drainId = await addDrain();
    const { head, verification } = await receivedEverything();
    expect(verification).toMatchObject({ valid: true, signatureProblems: [], conflicts: [] });
    expect(verification.chain.entries).toBe(head);
    expect(receiver.entrySequences()).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    // Each line byte for byte the export's line, in stream order.
    const exported = [];
    for await (const chunk of await audit.export(teamId, 'ndjson')) exported.push(String(chunk));
    const delivered = receiver.stored.map((delivery) => delivery.body).join('');
    expect(exported.join('').startsWith(delivered)).toBe(true);
    expect(receiver.stored[0]).toMatchObject({ drainId });
    const status = await until('the cursor at the head', async () => {
      const s = await drainStatus(instance, drainId);
      return s.deliveredThrough === head ? s : undefined;
    });
    expect(status).toMatchObject({ status: 'active', lagEntries: 0 });
    expect(status.lastDeliveryAt).toEqual(expect.any(String));

    // Later entries follow live.
    await mustRun(store, command('AddMember', { userId: 'late', role: 'member' }));
    const after = await receivedEverything();
    expect(after.head).toBeGreaterThan(head);
    expect(after.verification.valid).toBe(true);
  });

  it('never writes the signing secret into any stream in the clear', async () => {
    await deliveries();
    const drainId = await addDrain();
    await receivedEverything();
    const everything = [];
    for await (const event of store.readAll()) everything.push(JSON.stringify(event));
    expect(everything.join('\n')).not.toContain(secret);
    const [sealed] = await store.readStream(drainSecretStreamId(drainId));
    expect(sealed!.data).toMatchObject({ algorithm: 'AES-256-GCM', keyId: key.keyId });
    expect(await new DrainSecrets(store, key).get(drainId)).toEqual({ secret });
    await expect(new DrainSecrets(store, new DrainSecretKey(randomBytes(32))).get(drainId)).rejects.toThrow(
      /sealed with key/,
    );
  });

  it('awaits a secret sealed just after the drain was added, without reporting a failure', async () => {
    // No failure may be recorded: a delivery timeout far past the 400 ms of the others, which a stalled event loop on a
    // busy machine can exceed (the timer then fires before the answer is read), and a lease to match.
    const instance = await deliveries({ timeoutMs: 10_000, leaseMs: 30_000 });
    const drainId = `drn_${randomUUID()}`;
    await mustRun(store, command('AddAuditDrain', { drainId, url: receiver.url }));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await drainStatus(instance, drainId)).toMatchObject({ status: 'active', deliveredThrough: 0 });
    expect(receiver.requests).toBe(0);
    await secrets.put(drainId, { secret });
    const { verification } = await receivedEverything();
    expect(verification.valid).toBe(true);
    const history = await store.readStream(drainDeliveryStreamId(drainId));
    expect(history.map((event) => event.type)).not.toContain('AuditDrainDeliveryFailed');
  });

  it('rides out 500s, a hang past the timeout and a dropped connection, with backoff, then delivers everything', async () => {
    receiver.script.push('fail', 'fail', 'fail', 'hang', 'drop', 'redirect', 'fail');
    const instance = await deliveries();
    const drainId = await addDrain();
    const failing = await until('the drain reported failing', async () => {
      const s = await drainStatus(instance, drainId);
      return s.status === 'failing' ? s : undefined;
    });
    expect(failing.lastError).toEqual(expect.stringMatching(/HTTP 500|no answer|dropped|redirects/));
    expect(failing.lagEntries).toBeGreaterThan(0);
    await mustRun(store, command('AddMember', { userId: 'during-outage', role: 'member' }));
    const { head, verification } = await receivedEverything();
    expect(verification).toMatchObject({ valid: true, conflicts: [], signatureProblems: [] });
    expect(verification.chain.entries).toBe(head);
    expect(receiver.requests).toBeGreaterThanOrEqual(8);
    const recovered = await until('the drain active again', async () => {
      const s = await drainStatus(instance, drainId);
      return s.status === 'active' && s.deliveredThrough === head ? s : undefined;
    });
    expect(recovered.lastError).toBeUndefined();
    // The retries were recorded with growing waits: attempts 1..n in the delivery stream.
    const history = await store.readStream(drainDeliveryStreamId(drainId));
    const attempts = history
      .filter((e) => e.type === 'AuditDrainDeliveryFailed')
      .map((e) => (e.data as { attempts: number }).attempts);
    expect(attempts.slice(0, 7)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('pauses a drain failing longer than the pause bound and says why; a resume delivers from where it stopped', async () => {
    receiver.mode = 'fail';
    const instance = await deliveries({ pauseAfterMs: 300 });
    const drainId = await addDrain();
    const paused = await until('the drain paused', async () => {
      const s = await drainStatus(instance, drainId);
      return s.status === 'paused' ? s : undefined;
    });
    expect(paused.lastError).toMatch(/^paused after failing for .* h \(\d+ attempts\); last: HTTP 500/);
    expect(paused.deliveredThrough).toBe(0);
    const requestsWhenPaused = receiver.requests;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(receiver.requests).toBe(requestsWhenPaused);

    receiver.mode = 'ok';
    await mustRun(store, command('ResumeAuditDrain', { drainId }));
    const { head, verification } = await receivedEverything();
    expect(verification.valid).toBe(true);
    expect(verification.chain.entries).toBe(head);
    const resumed = await until('the drain active', async () => {
      const s = await instance.status({ drainId, teamId, url: receiver.url, resumes: 1 });
      return s.status === 'active' && s.deliveredThrough === head ? s : undefined;
    });
    expect(resumed.pausedAt).toBeUndefined();
  });

  it('lets one instance deliver a drain at a time, and another take over when the holder stops renewing', async () => {
    receiver.ackDelayMs = 30;
    // A delivery timeout a loaded machine cannot reach by a stall alone: a request abandoned at 400 ms could still be
    // open at the receiver when its retry arrives, and read as two in flight.
    const timing = { timeoutMs: 2_000, leaseMs: 5_000 };
    const first = await deliveries({ instanceId: 'instance-a', ...timing });
    const second = await deliveries({ instanceId: 'instance-b', ...timing });
    const drainId = await addDrain();
    await receivedEverything();
    // The holder dies: it stops without giving the lease back.
    const holder = await until('a lease holder', async () => {
      const [last] = await store.readStream(drainDeliveryStreamId(drainId), {
        fromRevision: await store.streamRevision(drainDeliveryStreamId(drainId)),
      });
      return (last?.data as { holder: string | null } | undefined)?.holder ?? undefined;
    });
    const [dying, survivor] = holder === 'instance-a' ? [first, second] : [second, first];
    await dying.stop();
    for (let i = 0; i < 12; i++) await mustRun(store, command('AddMember', { userId: `after-${i}`, role: 'member' }));
    const { head, verification } = await receivedEverything();
    expect(verification.valid).toBe(true);
    expect(verification.chain.entries).toBe(head);
    expect(receiver.maxInFlight).toBe(1);
    const holders = new Set(
      (await store.readStream(drainDeliveryStreamId(drainId)))
        .filter((e) => e.type === 'AuditDrainBatchDelivered')
        .map((e) => (e.data as { holder: string }).holder),
    );
    expect(holders).toContain(survivor.instanceId);
  });

  it('renews a lease that the batch read and a slow secret fetch brought near its end before sending', async () => {
    let skewMs = 0;
    const clock = (): Date => new Date(Date.now() + skewMs);
    const slowSecrets = new (class extends DrainSecrets {
      override async get(drainId: string) {
        const credentials = await super.get(drainId);
        // The fetch takes most of the lease (2 s) on the injected clock, once.
        if (skewMs === 0) skewMs = 1800;
        return credentials;
      }
    })(store, key);
    const leaseLeftAtSend: number[] = [];
    const drain: { id?: string } = {};
    receiver.onStored = async () => {
      const deliveryStream = drainDeliveryStreamId(drain.id!);
      const [last] = await store.readStream(deliveryStream, {
        fromRevision: await store.streamRevision(deliveryStream),
      });
      const { holder, leaseExpiresAt } = last!.data as { holder: string | null; leaseExpiresAt: string | null };
      expect(holder).toBe('instance-slow');
      leaseLeftAtSend.push(Date.parse(leaseExpiresAt!) - clock().getTime());
    };
    await deliveries({ instanceId: 'instance-slow', clock, secrets: slowSecrets });
    drain.id = await addDrain();
    const { verification } = await receivedEverything();
    expect(verification.valid).toBe(true);
    // Every send had at least the delivery timeout (400 ms) of lease left when it arrived.
    expect(leaseLeftAtSend.length).toBeGreaterThan(0);
    expect(Math.min(...leaseLeftAtSend)).toBeGreaterThanOrEqual(400);
  });

  it('an instance that cannot open the credentials (another DRAIN_SECRET_KEY) says why and leaves the lease to one that can', async () => {
    const misconfigured = await deliveries({
      instanceId: 'instance-wrong-key',
      secrets: new DrainSecrets(store, new DrainSecretKey(randomBytes(32))),
    });
    const drainId = await addDrain();
    const failing = await until('the drain failing with the reason', async () => {
      const s = await drainStatus(misconfigured, drainId);
      return s.status === 'failing' ? s : undefined;
    });
    expect(failing.lastError).toMatch(/sealed with key/);
    expect(failing.lastError).not.toContain(secret);
    await deliveries({ instanceId: 'instance-right-key' });
    const { head, verification } = await receivedEverything();
    expect(verification.valid).toBe(true);
    expect(verification.chain.entries).toBe(head);
  });

  it('stops without waiting out a delivery in flight, and records nothing for the abandoned batch', async () => {
    receiver.mode = 'hang';
    // A timeout far beyond the bound below: waiting it out cannot pass for stopping, however busy the machine.
    const instance = await deliveries({ timeoutMs: 20_000, leaseMs: 30_000 });
    const drainId = await addDrain();
    await until('a delivery in flight', () => (receiver.requests > 0 ? true : undefined));
    const revision = await store.streamRevision(drainDeliveryStreamId(drainId));
    const started = Date.now();
    await instance.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await store.streamRevision(drainDeliveryStreamId(drainId))).toBe(revision);
  });

  it('refuses to connect to a loopback address not allowed, however the URL names it', async () => {
    const instance = await deliveries({ allow: new DrainAllowList([]) });
    const drainId = await addDrain();
    const status = await until('the drain failing', async () => {
      const s = await drainStatus(instance, drainId);
      return s.status === 'failing' ? s : undefined;
    });
    expect(status.lastError).toMatch(/https|loopback/);
    expect(receiver.requests).toBe(0);
  });
});
