import { randomUUID } from 'node:crypto';
import { teamStreamId } from '@access-audit/domain';
import { MemoryEventStore, type EventStore, type RecordedEvent } from '@access-audit/event-store';
import { AuditTrail } from './audit-trail';
import { deniedTeamCommand } from './denial';
import { auditEventTypes, auditStreamId, type AuditCheckpoint, type AuditEntry, type AccessChangeEntry } from './entry';
import { CheckpointSigner } from './signing';
import { at, enterpriseHistory, run } from './testing/audit-fixtures';
import { verifyRecords } from './verify';

const signer = CheckpointSigner.generate();

const teamEvents = (store: EventStore, teamId = 'acme'): Promise<RecordedEvent[]> =>
  store.readStream(teamStreamId(teamId));
const auditEvents = (store: EventStore, teamId = 'acme'): Promise<RecordedEvent[]> =>
  store.readStream(auditStreamId(teamId));
const entriesOf = async (store: EventStore, teamId = 'acme'): Promise<AuditEntry[]> =>
  (await auditEvents(store, teamId))
    .filter((e) => e.type !== auditEventTypes.checkpointSigned)
    .map((e) => e.data as AuditEntry);

async function verifyStream(store: EventStore, teamId = 'acme') {
  return verifyRecords(
    (await auditEvents(store, teamId)).map((e) => ({ record: e.data })),
    signer.publicKey,
  );
}

describe('AuditTrail', () => {
  let store: MemoryEventStore;
  beforeEach(async () => {
    store = new MemoryEventStore();
    await enterpriseHistory(store);
  });
  afterEach(() => store.close());

  it('records each team event as one chained entry, in team stream order', async () => {
    const trail = new AuditTrail(store, signer);
    const events = await teamEvents(store);
    for (const event of events) await trail.recordTeamEvent(event);
    const entries = (await entriesOf(store)) as AccessChangeEntry[];
    expect(entries.map((e) => e.source.eventId)).toEqual(events.map((e) => e.id));
    expect(entries.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    expect(entries[3]).toMatchObject({
      kind: 'change',
      actor: 'bob',
      action: 'team.member.added',
      target: { userId: 'dev' },
      before: null,
      after: { role: 'developer' },
      context: { ip: '203.0.113.7', userAgent: 'curl/8.5.0', requestId: 'req-1' },
      source: { eventType: 'MemberAdded', streamId: 'team-acme', streamRevision: 3, position: events[3].position },
    });
    expect(entries[1].reason).toBe('second owner');
    expect(await verifyStream(store)).toMatchObject({ valid: true, entries: events.length });
  });

  it('records every event exactly once when a restarted projection sees events again', async () => {
    const events = await teamEvents(store);
    const beforeCrash = new AuditTrail(store, signer);
    for (const event of events.slice(0, 6)) await beforeCrash.recordTeamEvent(event);
    // A new process knows nothing but the streams, and is handed everything from the start.
    const afterRestart = new AuditTrail(store, signer);
    for (const event of events) await afterRestart.recordTeamEvent(event);
    for (const event of events.slice(2, 5)) await afterRestart.recordTeamEvent(event);
    const sources = ((await entriesOf(store)) as AccessChangeEntry[]).map((e) => e.source.eventId);
    expect(sources).toEqual(events.map((e) => e.id));
    expect(await verifyStream(store)).toMatchObject({ valid: true, entries: events.length });
  });

  it('records each event once when two instances record the same events at the same time', async () => {
    const events = await teamEvents(store);
    const one = new AuditTrail(store, signer);
    const two = new AuditTrail(store, signer);
    await Promise.all([
      (async () => {
        for (const event of events) await one.recordTeamEvent(event);
      })(),
      (async () => {
        for (const event of events) await two.recordTeamEvent(event);
      })(),
    ]);
    const sources = ((await entriesOf(store)) as AccessChangeEntry[]).map((e) => e.source.eventId);
    expect(sources).toEqual(events.map((e) => e.id));
    expect(await verifyStream(store)).toMatchObject({ valid: true });
  });

  it('records the earlier events of a team first when handed a later one', async () => {
    const trail = new AuditTrail(store, signer);
    const events = await teamEvents(store);
    await trail.recordTeamEvent(events[4]);
    expect(((await entriesOf(store)) as AccessChangeEntry[]).map((e) => e.source.streamRevision)).toEqual([
      0, 1, 2, 3, 4,
    ]);
  });

  it('signs a checkpoint every N entries and on demand, over the head at that point', async () => {
    const trail = new AuditTrail(store, signer, { checkpointEvery: 4, clock: () => new Date('2026-04-01T00:00:00Z') });
    for (const event of await teamEvents(store)) await trail.recordTeamEvent(event);
    const checkpoints = (await auditEvents(store)).filter((e) => e.type === auditEventTypes.checkpointSigned);
    expect(checkpoints.map((e) => (e.data as AuditCheckpoint).sequence)).toEqual([4, 8]);
    await trail.signHead('acme');
    await trail.signHead('acme');
    const all = await auditEvents(store);
    const last = all[all.length - 1].data as AuditCheckpoint;
    expect(last).toMatchObject({
      kind: 'checkpoint',
      teamId: 'acme',
      sequence: 10,
      signedAt: '2026-04-01T00:00:00.000Z',
    });
    expect(all.filter((e) => e.type === auditEventTypes.checkpointSigned)).toHaveLength(3);
    expect(await verifyStream(store)).toMatchObject({ valid: true, signedThrough: 10, checkpoints: 3 });
  });

  it('never appends past the bound unsigned: a tail a crashed process left at the bound is signed before the next entry', async () => {
    const events = await teamEvents(store);
    const crashed = new AuditTrail(store, signer, { checkpointEvery: 100 });
    for (const event of events.slice(0, 4)) await crashed.recordTeamEvent(event);
    const next = new AuditTrail(store, signer, { checkpointEvery: 4 });
    for (const event of events.slice(4)) await next.recordTeamEvent(event);
    const records = (await auditEvents(store)).map((e) => e.data as AuditEntry | AuditCheckpoint);
    expect(records.map((r) => `${r.kind === 'checkpoint' ? 'c' : 'e'}${r.sequence}`)).toEqual([
      'e1',
      'e2',
      'e3',
      'e4',
      'c4',
      'e5',
      'e6',
      'e7',
      'e8',
      'c8',
      'e9',
      'e10',
    ]);
    expect(await verifyStream(store)).toMatchObject({ valid: true, signedThrough: 8 });
  });

  it('records a denied command in the audit stream only, naming what was tried and what refused it', async () => {
    const trail = new AuditTrail(store, signer);
    for (const event of await teamEvents(store)) await trail.recordTeamEvent(event);
    const teamRevision = await store.streamRevision(teamStreamId('acme'));
    const command = {
      type: 'ChangeTeamRole' as const,
      teamId: 'acme',
      data: { userId: 'dev', role: 'owner' as const },
      metadata: at('dev', 'let me in'),
    };
    const outcome = await run(store, command);
    if (outcome.ok) throw new Error('expected a refusal');
    const recorded = await trail.recordDenial(
      deniedTeamCommand(command, outcome.rejection, { ip: '198.51.100.9', requestId: 'r-9' }),
    );
    expect(recorded.recorded).toBe(true);
    expect(await store.streamRevision(teamStreamId('acme'))).toBe(teamRevision);
    const entries = await entriesOf(store);
    expect(entries[entries.length - 1]).toMatchObject({
      kind: 'denial',
      actor: 'dev',
      action: 'access.denied',
      target: { userId: 'dev' },
      reason: 'let me in',
      context: { ip: '198.51.100.9', userAgent: null, requestId: 'r-9' },
      denial: {
        commandType: 'ChangeTeamRole',
        rejection: 'forbidden',
        permission: 'team.members.roles.manage',
        rule: null,
        suppressedBefore: 0,
      },
    });
    expect(await verifyStream(store)).toMatchObject({ valid: true });
  });

  it('rate-limits denials per actor and carries the number suppressed into the next recorded one', async () => {
    const trail = new AuditTrail(store, signer, { denialRateLimit: { burst: 3, perMinute: 1 } });
    const attempt = (minute: number) =>
      trail.recordDenial({
        teamId: 'acme',
        actorId: 'mallory',
        at: new Date(Date.UTC(2026, 3, 1, 0, minute)).toISOString(),
        commandType: 'AddMember',
        target: { userId: 'mallory' },
        rejection: { kind: 'forbidden', permission: 'team.members.invite', message: 'no' },
      });
    const outcomes = [];
    for (let i = 0; i < 20; i++) outcomes.push(await attempt(0));
    expect(outcomes.filter((o) => o.recorded)).toHaveLength(3);
    const later = await attempt(1);
    expect(later).toMatchObject({ recorded: true, entry: { kind: 'denial', denial: { suppressedBefore: 17 } } });
    expect((await entriesOf(store)).filter((e) => e.kind === 'denial')).toHaveLength(4);
  });

  it('holds the denial rate across trails on one store (instances), concurrent or one after the other, and restarts', async () => {
    const options = { denialRateLimit: { burst: 3, perMinute: 1 } };
    const trails = [new AuditTrail(store, signer, options), new AuditTrail(store, signer, options)];
    const attempt = (trail: AuditTrail, minute: number, second = 0) =>
      trail.recordDenial({
        teamId: 'acme',
        actorId: 'mallory',
        at: new Date(Date.UTC(2026, 3, 1, 0, minute, second)).toISOString(),
        commandType: 'AddMember',
        target: { userId: 'mallory' },
        rejection: { kind: 'forbidden', permission: 'team.members.invite', message: 'no' },
      });
    const alternating = [];
    for (let i = 0; i < 8; i++) alternating.push(await attempt(trails[i % 2], 0));
    expect(alternating.filter((o) => o.recorded)).toHaveLength(3);
    // A trail started afterwards (a restarted instance) takes the recorded denials from the stream.
    expect((await attempt(new AuditTrail(store, signer, options), 0, 30)).recorded).toBe(false);
    // Two minutes later two tokens are back; twelve concurrent attempts over both trails record exactly two.
    const concurrent = await Promise.all(Array.from({ length: 12 }, (_, i) => attempt(trails[i % 2], 2)));
    expect(concurrent.filter((o) => o.recorded)).toHaveLength(2);
    const denials = (await entriesOf(store)).filter((e) => e.kind === 'denial');
    expect(denials).toHaveLength(5);
    expect(await verifyStream(store)).toMatchObject({ valid: true });
  });

  it('finds the denials of the last refill period behind many later entries when it starts', async () => {
    const options = { denialRateLimit: { burst: 3, perMinute: 1 } };
    const first = new AuditTrail(store, signer, options);
    const attempt = (trail: AuditTrail, actorId: string, second: number) =>
      trail.recordDenial({
        teamId: 'acme',
        actorId,
        at: new Date(Date.UTC(2026, 3, 1, 0, 0, second)).toISOString(),
        commandType: 'AddMember',
        target: { userId: actorId },
        rejection: { kind: 'forbidden', permission: 'team.members.invite', message: 'no' },
      });
    for (let i = 0; i < 3; i++) expect((await attempt(first, 'mallory', 0)).recorded).toBe(true);
    for (let i = 0; i < 150; i++) expect((await attempt(first, `user-${i}`, 1)).recorded).toBe(true);
    expect((await attempt(new AuditTrail(store, signer, options), 'mallory', 2)).recorded).toBe(false);
  });

  it('records nothing for attempts on a team that does not exist', async () => {
    const trail = new AuditTrail(store, signer);
    const outcome = await trail.recordDenial({
      teamId: 'nope',
      actorId: 'mallory',
      at: new Date().toISOString(),
      commandType: 'AddMember',
      target: {},
      rejection: { kind: 'not_found', rule: 'team.exists', message: 'no such team' },
    });
    expect(outcome).toEqual({ recorded: false, why: 'no_team' });
    expect(await store.streamRevision(auditStreamId('nope'))).toBe(-1);
  });

  it('records campaign events once, however often a restarted projection hands the log over again', async () => {
    const decided = (itemId: string) => ({
      id: randomUUID(),
      type: 'AccessReviewItemDecided',
      data: {
        teamId: 'acme',
        reviewId: 'q1',
        actorId: 'sec',
        occurredAt: at('sec').now,
        policyVersion: 'p',
        itemId,
        decision: 'keep',
        reviewerId: 'sec',
        supersedes: null,
      },
    });
    await store.append('access-review-acme-q1', [decided('team_role:bob'), decided('team_role:dev')], 'no_stream');
    const log = async (): Promise<RecordedEvent[]> => {
      const events: RecordedEvent[] = [];
      for await (const event of store.readAll({ streamPrefixes: ['team-', 'access-review-'] })) events.push(event);
      return events;
    };
    for (const event of await log()) await new AuditTrail(store, signer).recordEvent(event);
    const restarted = new AuditTrail(store, signer);
    for (const event of await log()) await restarted.recordEvent(event);
    const entries = (await entriesOf(store)) as AccessChangeEntry[];
    expect(entries.map((e) => e.source.eventId)).toEqual((await log()).map((e) => e.id));
    expect(entries.slice(-2).map((e) => [e.action, e.target.userId])).toEqual([
      ['access_review.item.decided', 'bob'],
      ['access_review.item.decided', 'dev'],
    ]);
    expect(await verifyStream(store)).toMatchObject({ valid: true, entries: 12 });
  });
});
