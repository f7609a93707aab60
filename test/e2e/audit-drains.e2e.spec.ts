/**
 * API.md "Audit log drains" over HTTP: a drain is added, listed with its delivery state and removed as team commands
 * with audit entries; its secret is shown once and never enters the log; targets that are local or not https are
 * refused unless DRAIN_ALLOW_HOSTS allows them; a real receiver gets every entry, signed and chained.
 */
import {
  drainKeySubject,
  drainSecretStreamId,
  readPublicKey,
  verifyStoredDeliveries,
  type DrainSecrets,
} from '@access-audit/audit';
import type { SubjectKeys } from '@access-audit/privacy';
import { PERSONAL_DATA } from '../../apps/api/src/privacy/privacy.module';
import { DRAIN_SECRETS } from '../../apps/api/src/audit/drains/drains.provider';
import { TestReceiver } from '../../libs/audit/src/drains/testing/receiver';
import { startTestApi, type TestApi, type UserClient } from './support/test-api';

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('audit log drains (e2e)', () => {
  let api: TestApi;
  let olga: UserClient;
  let receiver: TestReceiver;
  const saved = process.env.DRAIN_ALLOW_HOSTS;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    process.env.DRAIN_ALLOW_HOSTS = '127.0.0.1';
    api = await startTestApi();
    olga = await api.as('olga');
    await olga.post('/v1/teams', { id: 'acme', name: 'Acme', plan: 'enterprise' }).expect(201);
    await olga.post('/v1/teams/acme/members', { userId: 'mia', role: 'member' }).expect(201);
    await olga.post('/v1/teams/acme/members', { userId: 'sam', role: 'security' }).expect(201);
  });
  afterAll(async () => {
    await api.close();
    await receiver.close();
    if (saved === undefined) delete process.env.DRAIN_ALLOW_HOSTS;
    else process.env.DRAIN_ALLOW_HOSTS = saved;
  });

  const everything = async (): Promise<string> => {
    const all: unknown[] = [];
    for await (const event of api.store.readAll()) all.push(event);
    return JSON.stringify(all);
  };

  it('adds a drain: the secret is answered once, sealed outside the log, and every entry reaches the receiver', async () => {
    const added = await olga
      .post('/v1/teams/acme/audit/drains', { url: receiver.url, description: 'SIEM', reason: 'retention' })
      .expect(201);
    const { drainId, secret } = added.body as { drainId: string; secret: string };
    expect(drainId).toMatch(/^drn_/);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(added.body.events).toEqual([{ id: expect.any(String), type: 'AuditDrainAdded' }]);
    expect(await everything()).not.toContain(secret);

    await olga.post('/v1/teams/acme/members', { userId: 'late', role: 'developer' }).expect(201);
    const verified = await api
      .http()
      .get('/v1/teams/acme/audit/verify')
      .set('Authorization', `Bearer ${await api.token('olga')}`);
    const head = verified.body.entries as number;
    const listed = await until('the drain to deliver every entry', async () => {
      const answer = await olga.get('/v1/teams/acme/audit/drains').expect(200);
      const [drain] = answer.body.drains as Array<{ deliveredThrough: number; lagEntries: number }>;
      return drain && drain.deliveredThrough >= head ? answer.body : undefined;
    });
    expect(listed.drains).toEqual([
      expect.objectContaining({ drainId, url: receiver.url, description: 'SIEM', status: 'active', lagEntries: 0 }),
    ]);
    const publicKey = readPublicKey((await api.http().get('/v1/audit/public-key').expect(200)).text);
    const verification = await verifyStoredDeliveries(receiver.ndjson.split('\n'), { secret, publicKey });
    expect(verification).toMatchObject({ valid: true, conflicts: [], signatureProblems: [] });
    expect(verification.chain.entries).toBeGreaterThanOrEqual(head);

    const audit = await olga.get('/v1/teams/acme/audit?type=team.audit_drain.added').expect(200);
    expect(audit.body.entries[0]).toMatchObject({
      actor: 'olga',
      reason: 'retention',
      after: { drainId, url: receiver.url, description: 'SIEM' },
    });
    expect(JSON.stringify(audit.body)).not.toContain(secret);

    const metrics = (await api.http().get('/metrics').expect(200)).text;
    expect(metrics).toContain(`audit_drain_lag_entries{team_id="acme",drain_id="${drainId}"} 0`);
    expect(metrics).toMatch(
      new RegExp(`audit_drain_batches_total\\{drain_id="${drainId}",result="delivered"\\} [1-9]`),
    );
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', 'drainUrlHttps'],
    ['https://169.254.169.254/', 'drainUrlPublicAddress'],
    ['http://127.0.0.2:8080/', 'drainUrlHttps'],
    ['https://127.0.0.2/', 'drainUrlPublicAddress'],
    ['https://10.0.0.7/', 'drainUrlPublicAddress'],
    ['https://[::1]/', 'drainUrlPublicAddress'],
    ['https://[::ffff:169.254.169.254]/', 'drainUrlPublicAddress'],
    ['https://localhost/', 'drainUrlPublicAddress'],
    ['https://user:pass@siem.example.com/', 'drainUrlNoCredentials'],
    ['ftp://siem.example.com/', 'drainUrlHttps'],
    ['not a url', 'drainUrlValid'],
  ])('refuses the target %s (400 url, %s) and appends nothing', async (url, rule) => {
    const refused = await api.expectNothingAppended('acme', () =>
      olga.post('/v1/teams/acme/audit/drains', { url }).expect(400),
    );
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'url', rule })]);
  });

  it.each([
    ['a line break', 'Splunk abc\r\nX-Injected: 1'],
    ['a character no HTTP header may carry', 'Bearer \u20ac'],
    ['a control character', 'Bearer \u0000abc'],
  ])(
    'refuses an authorization with %s (400 authorization, nothing appended): it could never be sent',
    async (_what, authorization) => {
      const refused = await api.expectNothingAppended('acme', () =>
        olga.post('/v1/teams/acme/audit/drains', { url: 'https://siem.example.com/auth', authorization }).expect(400),
      );
      expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'authorization', rule: 'matches' })]);
      expect(JSON.stringify(refused.body)).not.toContain(authorization);
    },
  );

  it('needs team.security.manage and team.audit.view: a member is refused (403), the security role may', async () => {
    const mia = await api.as('mia');
    const refused = await api.expectNothingAppended('acme', () =>
      mia.post('/v1/teams/acme/audit/drains', { url: 'https://siem.example.com/mia' }).expect(403),
    );
    expect(refused.body.permission).toBe('team.security.manage');
    expect((await mia.get('/v1/teams/acme/audit/drains').expect(403)).body.permission).toBe('team.audit.view');
    const sam = await api.as('sam');
    await sam.get('/v1/teams/acme/audit/drains').expect(200);
    const preview = await sam.post('/v1/teams/acme/audit/drains?dryRun=true', { url: 'https://siem.example.com/sam' });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ dryRun: true, events: [{ type: 'AuditDrainAdded' }] });
    expect(preview.body.secret).toBeUndefined();
  });

  it('refuses an Idempotency-Key (the answer holds a secret shown once) and an unknown drain (404)', async () => {
    const keyed = await api.expectNothingAppended('acme', () =>
      olga
        .post('/v1/teams/acme/audit/drains', { url: 'https://siem.example.com/k' })
        .set('Idempotency-Key', 'k-1')
        .expect(400),
    );
    expect(keyed.body.errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
    const missing = await api.expectNothingAppended('acme', () =>
      olga.post('/v1/teams/acme/audit/drains/drn_nope/resume').expect(404),
    );
    expect(missing.body.rule).toBe('audit-drain.exists');
  });

  it('removes a drain: it is no longer listed, and the removal is in the audit log', async () => {
    const { drainId } = (
      await olga.post('/v1/teams/acme/audit/drains', { url: 'https://siem.example.com/removed' }).expect(201)
    ).body as { drainId: string };
    await olga.post(`/v1/teams/acme/audit/drains/${drainId}/resume`).expect(200);
    const removed = await olga.delete(`/v1/teams/acme/audit/drains/${drainId}`, { reason: 'moved SIEM' }).expect(200);
    expect(removed.body.events).toEqual([{ id: expect.any(String), type: 'AuditDrainRemoved' }]);
    const listed = await olga.get('/v1/teams/acme/audit/drains').expect(200);
    expect(listed.body.drains.map((d: { drainId: string }) => d.drainId)).not.toContain(drainId);
    const audit = await olga
      .get(
        `/v1/teams/acme/audit?type=team.audit_drain.removed&minPosition=${encodeURIComponent(removed.body.position)}`,
      )
      .expect(200);
    expect(audit.body.entries[0]).toMatchObject({ reason: 'moved SIEM', before: { drainId }, after: null });
  });

  const secretStreams = async (): Promise<string[]> => {
    const streams = new Set<string>();
    for await (const event of api.store.readAll()) {
      if (event.streamId.startsWith(drainSecretStreamId(''))) streams.add(event.streamId);
    }
    return [...streams];
  };

  it('a refused add stores no secret: the refusal is recorded as a denial and no secret stream appears', async () => {
    const before = await secretStreams();
    const mia = await api.as('mia');
    await api.expectNothingAppended('acme', () =>
      mia.post('/v1/teams/acme/audit/drains', { url: 'https://siem.example.com/refused' }).expect(403),
    );
    expect(await secretStreams()).toEqual(before);
    const denials = await olga.get('/v1/teams/acme/audit?type=access.denied').expect(200);
    expect(denials.body.entries.at(-1)).toMatchObject({
      actor: 'mia',
      denial: { commandType: 'AddAuditDrain', permission: 'team.security.manage' },
    });
  });

  it('a secret that cannot be stored adds no drain: 500, and the team stream is untouched', async () => {
    const secrets = api.app.get<DrainSecrets>(DRAIN_SECRETS);
    const put = jest.spyOn(secrets, 'put').mockRejectedValueOnce(new Error('disk full'));
    try {
      const listedBefore = (await olga.get('/v1/teams/acme/audit/drains').expect(200)).body.drains.length;
      await api.expectNothingAppended('acme', () =>
        olga.post('/v1/teams/acme/audit/drains', { url: 'https://siem.example.com/unstored' }).expect(500),
      );
      expect((await olga.get('/v1/teams/acme/audit/drains').expect(200)).body.drains).toHaveLength(listedBefore);
    } finally {
      put.mockRestore();
    }
  });

  it('a removed drain’s credentials are destroyed: their key is gone, so the ciphertext left in its stream opens no more', async () => {
    const { drainId, secret } = (
      await olga
        .post('/v1/teams/acme/audit/drains', {
          url: 'https://siem.example.com/shredded',
          authorization: 'Bearer t0ken',
        })
        .expect(201)
    ).body as { drainId: string; secret: string };
    const secrets = api.app.get<DrainSecrets>(DRAIN_SECRETS);
    const keys = api.app.get<SubjectKeys>(PERSONAL_DATA);
    expect(await keys.storage.activeKey(drainKeySubject(drainId))).toBeDefined();
    secrets.forget(drainId);
    expect(await secrets.get(drainId)).toEqual({ secret, authorization: 'Bearer t0ken' });

    await olga.delete(`/v1/teams/acme/audit/drains/${drainId}`, { reason: 'SIEM retired' }).expect(200);
    expect(await keys.storage.activeKey(drainKeySubject(drainId))).toBeUndefined();
    expect(await api.store.readStream(drainSecretStreamId(drainId))).toHaveLength(1);
    await expect(secrets.get(drainId)).rejects.toThrow(/not in this instance's subject key store/);
    // Another team's owner naming this drain is refused and destroys nothing of anyone's.
    const other = await olga.post('/v1/teams/acme/audit/drains', { url: 'https://siem.example.com/kept' }).expect(201);
    await olga.post('/v1/teams', { id: 'other', name: 'Other', plan: 'enterprise' }).expect(201);
    await olga.delete(`/v1/teams/other/audit/drains/${other.body.drainId as string}`).expect(404);
    expect(await keys.storage.activeKey(drainKeySubject(other.body.drainId as string))).toBeDefined();
  });

  it('a removal whose key destroy fails still answers 200, and the delivery workers destroy the key as they see the removal', async () => {
    const { drainId } = (
      await olga.post('/v1/teams/acme/audit/drains', { url: 'https://siem.example.com/blip' }).expect(201)
    ).body as { drainId: string };
    const secrets = api.app.get<DrainSecrets>(DRAIN_SECRETS);
    const keys = api.app.get<SubjectKeys>(PERSONAL_DATA);
    const destroy = jest.spyOn(secrets, 'destroy').mockRejectedValueOnce(new Error('key store unreachable'));
    try {
      await olga.delete(`/v1/teams/acme/audit/drains/${drainId}`).expect(200);
      await until('the removed drain’s key destroyed', async () =>
        (await keys.holds(drainKeySubject(drainId))) ? undefined : true,
      );
      expect(destroy.mock.calls.length).toBeGreaterThanOrEqual(2);
    } finally {
      destroy.mockRestore();
    }
  });
});
