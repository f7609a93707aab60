import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { policyVersion, teamStreamId } from '@access-audit/domain';
import { MemoryEventStore } from '@access-audit/event-store';
import { AuditLog } from './audit-log';
import { UnauditableEventError } from './audit-trail';
import { deniedTeamCommand } from './denial';
import { auditEventTypes, auditStreamId, type AuditCheckpoint, type AuditEntry } from './entry';
import { CheckpointSigner } from './signing';
import { at, enterpriseHistory, mustRun, run } from './testing/audit-fixtures';
import { verifyAuditStream } from './verify-audit';
import { verifyNdjson } from './verify-ndjson';

const signer = CheckpointSigner.generate();

const text = async (stream: Readable): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
};

describe('AuditLog', () => {
  let store: MemoryEventStore;
  let audit: AuditLog;
  const open = (): AuditLog => new AuditLog({ store, signer, indexPath: ':memory:', checkpointEvery: 5 });

  beforeEach(async () => {
    store = new MemoryEventStore();
    audit = open();
    await audit.start();
  });
  afterEach(async () => {
    await audit.stop();
    await store.close();
  });

  const lastPosition = async (): Promise<string> => (await store.headPosition())!;

  it('indexes an entry for every team event as the events are appended, and waits for a position', async () => {
    await enterpriseHistory(store);
    expect(await audit.waitUntilIndexed(await lastPosition(), 5_000)).toBe(true);
    const page = audit.page('acme', {}, 100);
    expect(page.entries.map((e) => e.action)).toEqual([
      'team.created',
      'team.member.added',
      'team.member.added',
      'team.member.added',
      'team.member.permission_group.granted',
      'project.created',
      'team.member.added',
      'project.member.role.assigned',
      'project.security.firewall.updated',
      'team.member.added',
    ]);
    expect(page.nextCursor).toBeNull();
  });

  it('is indexed through the events another instance recorded, when the store ends with a non-audit event', async () => {
    // This instance's projection sees the team events only once the other instance (`audit`) has recorded them all.
    let release!: () => void;
    const seen = new Promise<void>((resolve) => (release = resolve));
    const subscribeLate = (options: Parameters<MemoryEventStore['subscribe']>[0]) => {
      const subscription = store.subscribe(options);
      if (!options?.streamPrefixes?.includes(teamStreamId(''))) return subscription;
      return {
        stop: () => subscription.stop(),
        async *[Symbol.asyncIterator]() {
          await seen;
          yield* subscription;
        },
      };
    };
    const late = new Proxy(store, {
      get: (target, property) => {
        if (property === 'subscribe') return subscribeLate;
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const other = new AuditLog({ store: late, signer, indexPath: ':memory:', checkpointEvery: 5 });
    await other.start();
    try {
      await enterpriseHistory(store);
      const teamEvents = await store.readStream(teamStreamId('acme'));
      const teamHead = teamEvents[teamEvents.length - 1].position;
      expect(await audit.waitUntilIndexed(teamHead, 5_000)).toBe(true);
      // The checkpoint that the tenth entry made due is the audit stream's last event.
      const signedThroughTen = async () => {
        const [last] = (await store.readStream(auditStreamId('acme'))).slice(-1);
        return last?.type === auditEventTypes.checkpointSigned && (last.data as AuditCheckpoint).sequence === 10;
      };
      while (!(await signedThroughTen())) await new Promise((resolve) => setTimeout(resolve, 10));
      // What follows a command in the log: its idempotency record, which no audit index follows.
      await store.append(
        'idempotency-k',
        [{ id: randomUUID(), type: 'IdempotentRequestCompleted', data: {} }],
        'no_stream',
      );
      release();
      expect(await other.waitUntilIndexed(teamHead, 2_000)).toBe(true);
      expect(other.page('acme', {}, 100).entries).toHaveLength(10);
    } finally {
      await other.stop();
    }
  });

  it('answers false for a position it has not indexed yet', async () => {
    await audit.stop();
    audit = open();
    await enterpriseHistory(store);
    expect(await audit.isIndexedThrough(await lastPosition())).toBe(false);
    expect(await audit.waitUntilIndexed(await lastPosition(), 50)).toBe(false);
    await audit.start();
    expect(await audit.waitUntilIndexed(await lastPosition(), 5_000)).toBe(true);
  });

  it('answers false for a position the store has not reached, and refuses one that is not a position', async () => {
    await enterpriseHistory(store);
    const beyond = String(Number(await lastPosition()) + 1_000);
    expect(await audit.waitUntilIndexed(beyond, 50)).toBe(false);
    await expect(audit.waitUntilIndexed('not-a-position', 50)).rejects.toThrow(RangeError);
  });

  it('filters by actor, subject, project, type prefix and time, and pages with a cursor, oldest first', async () => {
    await enterpriseHistory(store);
    await audit.waitUntilIndexed(await lastPosition(), 5_000);
    expect(audit.page('acme', { actor: 'bob' }, 100).entries.map((e) => e.target.userId)).toEqual(['dev', 'dev']);
    expect(audit.page('acme', { subject: 'carol' }, 100).entries.map((e) => e.action)).toEqual([
      'team.member.added',
      'project.member.role.assigned',
    ]);
    expect(audit.page('acme', { projectId: 'web' }, 100).entries).toHaveLength(3);
    expect(audit.page('acme', { type: 'project.security' }, 100).entries.map((e) => e.action)).toEqual([
      'project.security.firewall.updated',
    ]);
    expect(audit.page('acme', { type: 'team.member' }, 100).entries).toHaveLength(6);
    expect(audit.page('acme', { type: 'team.mem' }, 100).entries).toHaveLength(0);
    const all = audit.page('acme', {}, 100).entries;
    const window = audit.page('acme', { from: all[2].time, to: all[4].time }, 100).entries;
    expect(window.map((e) => e.sequence)).toEqual([3, 4, 5]);

    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = audit.page('acme', {}, 3, cursor);
      seen.push(...page.entries.map((e) => e.sequence));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('rebuilds the same index from the audit streams after a restart, without recording anything twice', async () => {
    await enterpriseHistory(store);
    await audit.waitUntilIndexed(await lastPosition(), 5_000);
    const before = audit.page('acme', {}, 100).entries;
    await audit.stop();
    audit = open();
    await audit.start();
    await mustRun(store, {
      type: 'AddMember',
      teamId: 'acme',
      data: { userId: 'erin', role: 'member' },
      metadata: at('alice'),
    });
    await audit.waitUntilIndexed(await lastPosition(), 5_000);
    const after = audit.page('acme', {}, 100).entries;
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.map((e) => e.sequence)).toEqual(before.map((e) => e.sequence).concat(before.length + 1));
    expect(await audit.verify('acme')).toMatchObject({ valid: true, entries: before.length + 1 });
  });

  it('exports the whole log as NDJSON ending with a signed checkpoint, which verifies on its own', async () => {
    await enterpriseHistory(store);
    await audit.waitUntilIndexed(await lastPosition(), 5_000);
    const ndjson = await text(await audit.export('acme', 'ndjson'));
    const lines = ndjson
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { kind: string; sequence: number });
    expect(lines.filter((l) => l.kind !== 'checkpoint')).toHaveLength(10);
    expect(lines[lines.length - 1]).toMatchObject({ kind: 'checkpoint', sequence: 10 });
    expect(await verifyNdjson(Readable.from([ndjson]), signer.publicKey)).toMatchObject({
      valid: true,
      entries: 10,
      signedThrough: 10,
    });
    const edited = ndjson.replace('"actor":"bob"', '"actor":"eve"');
    expect(await verifyNdjson(Readable.from([edited]), signer.publicKey)).toMatchObject({
      valid: false,
      break: { sequence: 4, line: 4 },
    });
  });

  it('exports a filtered selection as entries only', async () => {
    await enterpriseHistory(store);
    await audit.waitUntilIndexed(await lastPosition(), 5_000);
    const ndjson = await text(await audit.export('acme', 'ndjson', { subject: 'dev' }));
    const lines = ndjson
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditEntry);
    expect(lines.map((l) => l.action)).toEqual(['team.member.added', 'team.member.permission_group.granted']);
  });

  it('writes CSV that a CSV parser reads back, commas, quotes and newlines in reasons included', async () => {
    const reasons = ['plain', 'with, commas', 'with "quotes"', 'two\nlines', 'all, "of"\r\nthem,'];
    await mustRun(store, {
      type: 'CreateTeam',
      teamId: 'csv',
      data: { name: 'Csv', plan: 'enterprise' },
      metadata: at('alice'),
    });
    for (const [index, reason] of reasons.entries()) {
      await mustRun(store, {
        type: 'AddMember',
        teamId: 'csv',
        data: { userId: `u${index}`, role: 'developer' },
        metadata: at('alice', reason),
      });
    }
    await audit.waitUntilIndexed(await lastPosition(), 5_000);
    const csv = await text(await audit.export('csv', 'csv'));
    const rows = parse(csv, { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(reasons.length + 1);
    expect(rows.slice(1).map((r) => r.reason)).toEqual(reasons);
    expect(rows[1]).toMatchObject({
      sequence: '2',
      actor: 'alice',
      action: 'team.member.added',
      target_user: 'u0',
      after: '{"role":"developer"}',
    });
    expect(rows[0].reason).toBe('');
  });

  it('summarises changes, privileged grants, denials and findings for a window', async () => {
    await enterpriseHistory(store);
    const refused = {
      type: 'AddMember' as const,
      teamId: 'acme',
      data: { userId: 'x', role: 'owner' as const },
      metadata: at('dev'),
    };
    const outcome = await run(store, refused);
    if (outcome.ok) throw new Error('expected a refusal');
    const denial = await audit.recordDenial(deniedTeamCommand(refused, outcome.rejection));
    if (!denial.recorded) throw new Error('expected the denial to be recorded');
    expect(await audit.waitUntilRecordIndexed(denial.position, 5_000)).toBe(true);
    const summary = await audit.summary('acme', {});
    expect(summary.changes.total).toBe(10);
    expect(summary.changes.byType['team.member.added']).toBe(5);
    expect(summary.changes.byActor).toEqual({ alice: 7, bob: 2, sec: 1 });
    expect(summary.privilegedGrants.map((g) => [g.userId, g.grant, g.value])).toEqual([
      ['alice', 'team_role', 'owner'],
      ['bob', 'team_role', 'owner'],
      ['sec', 'team_role', 'security'],
      ['dev', 'permission_group', 'full_production_deployment'],
      ['carol', 'project_role', 'project_admin'],
    ]);
    expect(summary.deniedAttempts).toMatchObject({
      total: 1,
      byActor: { dev: 1 },
      attempts: [{ actor: 'dev', commandType: 'AddMember', permission: 'team.members.invite' }],
    });
    expect(summary.findings).toEqual([
      expect.objectContaining({ finding: 'contributor.without-project-role', userIds: ['dan'] }),
    ]);
    const early = await audit.summary('acme', { to: audit.page('acme', {}, 1).entries[0].time });
    expect(early.changes.total).toBe(1);
    expect(early.findings.map((f) => f.finding)).toEqual(['owners.fewer-than-two']);
  });

  it('folds the team from its stream up to an instant, and names an event the team cannot be folded past', async () => {
    await enterpriseHistory(store);
    const events = await store.readStream(teamStreamId('acme'));
    const third = events[2]!.data as { occurredAt: string };
    const then = await audit.teamStateAt('acme', third.occurredAt);
    expect(then.status === 'active' && then.members.size).toBe(3);
    // A MemberAdded without its `after`: decodable, but no team state follows from it.
    const broken = randomUUID();
    await store.append(
      teamStreamId('acme'),
      [
        {
          id: broken,
          type: 'MemberAdded',
          data: { teamId: 'acme', actorId: 'alice', occurredAt: at('alice').now, policyVersion, userId: 'zed' },
        },
      ],
      'any',
    );
    const folded = audit.teamStateAt('acme');
    await expect(folded).rejects.toBeInstanceOf(UnauditableEventError);
    await expect(folded).rejects.toMatchObject({
      teamId: 'acme',
      event: { id: broken, type: 'MemberAdded', streamId: 'team-acme', streamRevision: events.length },
    });
    expect((await audit.teamStateAt('acme', third.occurredAt)).status).toBe('active');
  });

  it('records access-review campaign events in the team audit log, once, in global order', async () => {
    await enterpriseHistory(store);
    const review = (type: string, data: Record<string, unknown>) => ({
      id: randomUUID(),
      type,
      data: {
        teamId: 'acme',
        reviewId: 'q1',
        actorId: 'alice',
        occurredAt: at('alice').now,
        policyVersion: 'p',
        ...data,
      },
    });
    await store.append(
      'access-review-acme-q1',
      [
        review('AccessReviewOpened', {
          name: 'Q1',
          reviewerIds: ['sec'],
          dueAt: '2026-04-01T00:00:00.000Z',
          scope: { kind: 'team' },
          snapshot: { teamStreamId: 'team-acme', teamStreamRevision: 9, teamStreamPosition: '19' },
          population: { items: [{}, {}, {}], digest: { algorithm: 'sha256', value: 'ab'.repeat(32) } },
        }),
        review('AccessReviewItemDecided', {
          actorId: 'sec',
          itemId: 'project_role:carol:web',
          decision: 'revoke',
          justification: 'left the project',
          reviewerId: 'sec',
          supersedes: null,
        }),
      ],
      'no_stream',
    );
    await mustRun(store, {
      type: 'AddMember',
      teamId: 'acme',
      data: { userId: 'erin', role: 'member' },
      metadata: at('alice'),
    });
    await audit.waitUntilIndexed(await lastPosition(), 5_000);
    const actions = () =>
      audit
        .page('acme', {}, 100)
        .entries.map((e) => e.action)
        .slice(-3);
    expect(actions()).toEqual(['access_review.opened', 'access_review.item.decided', 'team.member.added']);
    expect(audit.page('acme', { subject: 'carol', type: 'access_review' }, 100).entries).toEqual([
      expect.objectContaining({
        actor: 'sec',
        target: { userId: 'carol', projectId: 'web', setting: 'accessReviews.q1.items.project_role:carol:web' },
        after: { decision: 'revoke', justification: 'left the project' },
      }),
    ]);
    await audit.stop();
    audit = open();
    await audit.catchUp();
    expect(audit.page('acme', {}, 100).entries).toHaveLength(13);
    expect(await audit.verify('acme')).toMatchObject({ valid: true, entries: 13 });
  });

  const checkpointsOf = async (teamId = 'acme'): Promise<AuditCheckpoint[]> =>
    (await store.readStream(auditStreamId(teamId)))
      .filter((event) => event.type === auditEventTypes.checkpointSigned)
      .map((event) => event.data as AuditCheckpoint);

  it('signs the unsigned tail once its oldest entry has waited the age bound, with no export and far below 100 entries', async () => {
    const maxAgeMs = 2_000;
    // The tick is a tenth of the age, and signs what falls due before the next one.
    const tickMs = maxAgeMs / 10;
    // The age is read on an injected clock, so that a busy machine's late timers move neither the due instant nor the
    // signing instant; the ticks are real ones, counted as they end.
    const startedAt = Date.parse('2025-03-03T12:00:00Z');
    let nowMs = startedAt;
    await audit.stop();
    audit = new AuditLog({
      store,
      signer,
      indexPath: ':memory:',
      checkpointMaxAgeMs: maxAgeMs,
      clock: () => new Date(nowMs),
    });
    const ticks: string[][] = [];
    const signDue = audit.trail.signDue.bind(audit.trail);
    jest.spyOn(audit.trail, 'signDue').mockImplementation(async (olderThanMs) => {
      const signed = await signDue(olderThanMs);
      ticks.push(signed);
      return signed;
    });
    const ticksAfter = async (from: number, count: number): Promise<string[][]> => {
      for (const deadline = Date.now() + 10_000; ticks.length < from + count;) {
        if (Date.now() > deadline) throw new Error(`fewer than ${count} ticks within 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return ticks.slice(from);
    };
    await audit.start();
    await enterpriseHistory(store);
    await audit.waitUntilIndexed(await lastPosition(), 5_000);
    expect(await checkpointsOf()).toEqual([]);
    expect((await audit.verify('acme')).unsignedTail).toMatchObject({ entries: 10, since: expect.any(String) });

    // Not before it is due: ticks pass and sign nothing.
    nowMs = startedAt + maxAgeMs - tickMs - 1;
    await ticksAfter(ticks.length, 3);
    expect(await checkpointsOf()).toEqual([]);

    // Due: signed by the first tick that reads the clock after it moved (one tick may have read it before).
    nowMs = startedAt + maxAgeMs - tickMs;
    const from = ticks.length;
    let after: string[][] = [];
    for (let count = 1; !after.some((signed) => signed.length > 0) && count <= 3; count++)
      after = await ticksAfter(from, count);
    expect([0, 1]).toContain(after.findIndex((signed) => signed.includes('acme')));
    const [checkpoint] = await checkpointsOf();
    expect(checkpoint).toMatchObject({ sequence: 10, signedAt: new Date(startedAt + maxAgeMs - tickMs).toISOString() });
    expect(await audit.verify('acme')).toMatchObject({ valid: true, signedThrough: 10, unsignedTail: { entries: 0 } });
  }, 30_000);

  it('signs every unsigned tail on a clean stop, and on start what a crashed process left unsigned', async () => {
    // Every 6 entries, so that the ten of the history leave four unsigned at rest (with 5, the tenth signs at once).
    const open = (): AuditLog => new AuditLog({ store, signer, indexPath: ':memory:', checkpointEvery: 6 });
    await audit.stop();
    audit = open();
    await audit.start();
    await enterpriseHistory(store);
    await audit.waitUntilIndexed(await lastPosition(), 5_000);
    expect(await checkpointsOf()).toEqual([expect.objectContaining({ sequence: 6 })]);
    await audit.stop();
    expect((await checkpointsOf()).map((c) => c.sequence)).toEqual([6, 10]);

    // A process that records without stopping cleanly (catchUp, then gone) leaves entry 11 unsigned…
    await mustRun(store, {
      type: 'AddMember',
      teamId: 'acme',
      data: { userId: 'erin', role: 'member' },
      metadata: at('alice'),
    });
    const crashed = open();
    await crashed.catchUp();
    expect((await checkpointsOf()).map((c) => c.sequence)).toEqual([6, 10]);
    // …and the next start signs it before it records anything.
    audit = open();
    await audit.start();
    expect((await checkpointsOf()).map((c) => c.sequence)).toEqual([6, 10, 11]);
  });

  it('reports an unsigned tail older than the age bound (checkpoints removed or signing refused) as invalid', async () => {
    await audit.stop();
    audit = new AuditLog({ store, signer, indexPath: ':memory:' });
    await enterpriseHistory(store);
    await audit.catchUp();
    expect(await audit.verify('acme')).toMatchObject({ valid: true, unsignedTail: { entries: 10 } });
    const later = new Date(Date.now() + 5 * 60_000);
    const stale = await verifyAuditStream(store, 'acme', signer.publicKey, { now: () => later });
    expect(stale).toMatchObject({ valid: false, unsignedTail: { entries: 10 } });
    expect(stale.unsignedTail.beyondBound).toMatch(
      /entry 1, the first after no signed checkpoint, was recorded at .* signs within 60 s/,
    );
  });
});
