/**
 * No poison event stalls the others (issue #10, Build 2): an event of one team that cannot be applied quarantines that
 * team only, leaves no partial rows, and every other team's read models keep moving; a restart tries the event again,
 * and a rebuild meets it again.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { policyVersion, teamDecider, teamStreamId, type TeamCommand } from '@access-audit/domain';
import { handleCommand, MemoryEventStore, type EventStore, type RecordedEvent } from '@access-audit/event-store';
import { UndecodableTeamEventError } from '@access-audit/team-stream';
import { AccessReadModels } from '../access-read-models';
import { rebuildReadModels, verifyReadModels } from '../replay';
import { openReadModelDatabase } from '../schema';
import { AccessProjection } from './projection';

let clock = Date.parse('2025-06-01T00:00:00.000Z');
async function run(store: EventStore, teamId: string, actorId: string, body: Pick<TeamCommand, 'type' | 'data'>) {
  clock += 60_000;
  const command = { ...body, teamId, metadata: { actorId, now: new Date(clock).toISOString() } } as TeamCommand;
  const outcome = await handleCommand(store, teamStreamId(teamId), teamDecider, command);
  if (!outcome.ok) throw new Error(outcome.rejection.message);
  return outcome;
}

/** acme: olivia owner, bob member. bad: eve owner, dana developer. */
async function seed(store: EventStore): Promise<void> {
  await run(store, 'acme', 'olivia', { type: 'CreateTeam', data: { name: 'Acme', plan: 'enterprise' } });
  await run(store, 'acme', 'olivia', { type: 'AddMember', data: { userId: 'bob', role: 'member' } });
  await run(store, 'bad', 'eve', { type: 'CreateTeam', data: { name: 'Bad', plan: 'enterprise' } });
  await run(store, 'bad', 'eve', { type: 'AddMember', data: { userId: 'dana', role: 'developer' } });
}

/** A MemberAdded with no data at all, as a damaged or hand-edited store could hold: evolve cannot fold it. */
const appendMalformed = async (store: EventStore, teamId: string): Promise<RecordedEvent> => {
  await store.append(teamStreamId(teamId), [{ id: randomUUID(), type: 'MemberAdded', data: null }], 'any');
  const events = await store.readStream(teamStreamId(teamId));
  return events[events.length - 1]!;
};

/** A well-formed MemberAdded appended straight to the store (the command path cannot fold the damaged team any more). */
const appendMemberAdded = async (store: EventStore, teamId: string, userId: string): Promise<void> => {
  clock += 60_000;
  const data = {
    teamId,
    actorId: 'eve',
    occurredAt: new Date(clock).toISOString(),
    policyVersion,
    userId,
    before: null,
    after: { role: 'developer' },
  };
  await store.append(teamStreamId(teamId), [{ id: randomUUID(), type: 'MemberAdded', data }], 'any');
};

/**
 * Makes writing a member-history row of the team throw, as a projection bug would (a plain JS error, not SQLite's).
 * `temp`: the trigger lives with this connection only; '' stores it in the file, for a restart to meet it again.
 */
function poisonTeam(db: Database.Database, teamId: string, temp: 'TEMP' | '' = 'TEMP'): void {
  db.function('poisoned', () => {
    throw new TypeError('this member-history row cannot be written');
  });
  db.exec(
    `CREATE ${temp} TRIGGER poison BEFORE INSERT ON member_events WHEN NEW.team_id = '${teamId}' BEGIN SELECT poisoned(); END`,
  );
}

const rowCount = (db: Database.Database, table: string, teamId: string): number =>
  db.prepare<[string], number>(`SELECT COUNT(*) FROM ${table} WHERE team_id = ?`).pluck().get(teamId)!;

describe('a team event that cannot be applied quarantines its team only', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'quarantine-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("lets another team's revocation through in the same batch, names the failed event, and skips the team's later events", async () => {
    const store = new MemoryEventStore();
    await seed(store);
    const poison = await appendMalformed(store, 'bad');
    await appendMemberAdded(store, 'bad', 'zed');
    const removal = await run(store, 'acme', 'olivia', { type: 'RemoveMember', data: { userId: 'bob' } });

    const projection = new AccessProjection(openReadModelDatabase(':memory:'), (a, b) => store.comparePositions(a, b));
    const applied = projection.apply(await collect(store));

    expect(projection.position).toBe(removal.position);
    expect(projection.team('acme')?.state).toMatchObject({ status: 'active' });
    const acme = projection.team('acme')!.state;
    expect(acme.status === 'active' && [...acme.members.keys()]).toEqual(['olivia']);
    const quarantined = {
      teamId: 'bad',
      event: { id: poison.id, type: 'MemberAdded', position: poison.position, streamRevision: 2 },
    };
    expect(projection.quarantine('bad')).toEqual(quarantined);
    expect(applied.quarantined).toEqual([{ team: quarantined, error: expect.any(TypeError) }]);
    expect(projection.quarantine('acme')).toBeUndefined();
    // bad stops before the event it could not fold: zed's addition after it is not folded onto the wrong state.
    expect(projection.team('bad')?.revision).toBe(1);
    expect(applied.changes.some((change) => change.teamId === 'bad' && change.userId === 'zed')).toBe(false);
    expect(applied.changes).toEqual(
      expect.arrayContaining([expect.objectContaining({ teamId: 'acme', userId: 'bob', change: 'revoked' })]),
    );
  });

  it('quarantines a team whose event the team stream cannot decode, naming the event and never its data', async () => {
    const store = new MemoryEventStore();
    await seed(store);
    // Readable JSON, but no actor: the one decode refuses it before any fold sees it.
    const data = { teamId: 'bad', occurredAt: '2025-06-02T00:00:00.000Z', userId: 'zed', password: 'hunter2-secret' };
    await store.append(teamStreamId('bad'), [{ id: randomUUID(), type: 'MemberAdded', data }], 'any');
    const undecodable = (await store.readStream(teamStreamId('bad'))).at(-1)!;

    const projection = new AccessProjection(openReadModelDatabase(':memory:'), (a, b) => store.comparePositions(a, b));
    const applied = projection.apply(await collect(store));

    expect(projection.quarantine('bad')?.event).toEqual({
      id: undecodable.id,
      type: 'MemberAdded',
      position: undecodable.position,
      streamRevision: 2,
    });
    expect(applied.quarantined).toHaveLength(1);
    const error = applied.quarantined[0]!.error;
    expect(error).toBeInstanceOf(UndecodableTeamEventError);
    expect((error as Error).message).toContain(undecodable.id);
    expect((error as Error).message).not.toContain('hunter2');
    expect(projection.team('bad')?.revision).toBe(1);
    expect(projection.quarantine('acme')).toBeUndefined();
  });

  it('rolls back what the failed event had written (its savepoint), keeping the rest of the batch', async () => {
    const store = new MemoryEventStore();
    await seed(store);
    const db = openReadModelDatabase(':memory:');
    const projection = new AccessProjection(db, (a, b) => store.comparePositions(a, b));
    projection.apply(await collect(store));
    const intervalsBefore = rowCount(db, 'grant_intervals', 'bad');
    // A deliberately throwing hook: the member-history row of bad's next event fails, after its intervals were written.
    poisonTeam(db, 'bad');
    const after = projection.position!;
    const failing = await run(store, 'bad', 'eve', { type: 'AddMember', data: { userId: 'zed', role: 'member' } });
    const removal = await run(store, 'acme', 'olivia', { type: 'RemoveMember', data: { userId: 'bob' } });

    projection.apply(await collect(store, after));

    expect(projection.quarantine('bad')?.event.id).toBe(failing.events[0]!.id);
    expect(rowCount(db, 'grant_intervals', 'bad')).toBe(intervalsBefore);
    expect(rowCount(db, 'member_events', 'bad')).toBe(2);
    expect(projection.team('bad')?.revision).toBe(1);
    expect(projection.position).toBe(removal.position);
    expect(rowCount(db, 'member_events', 'acme')).toBe(3);
  });

  it('runs on: the runner reflects the other teams, and a restart keeps the quarantine while the event still fails', async () => {
    const store = new MemoryEventStore();
    const path = join(dir, 'read-models.db');
    await seed(store);
    const quarantinedBy: string[] = [];
    const onQuarantine = (team: { teamId: string; event: { id: string } }) =>
      quarantinedBy.push(`${team.teamId}:${team.event.id}`);
    let models = AccessReadModels.open(store, path, { onQuarantine });
    models.start();
    const poison = await appendMalformed(store, 'bad');
    const removal = await run(store, 'acme', 'olivia', { type: 'RemoveMember', data: { userId: 'bob' } });
    expect(await models.runner.waitUntilReflects(removal.position, 5000)).toBe(true);
    expect(models.queries.check('acme', 'bob', 'team.settings.manage').allowed).toBe(false);
    expect(models.projection.quarantine('bad')?.event.id).toBe(poison.id);
    expect(await models.runner.caughtUp()).toBe(true);
    await models.close();

    models = AccessReadModels.open(store, path, { onQuarantine });
    models.start();
    const later = await run(store, 'acme', 'olivia', { type: 'AddMember', data: { userId: 'bob', role: 'member' } });
    expect(await models.runner.waitUntilReflects(later.position, 5000)).toBe(true);
    expect(models.projection.quarantinedTeams()).toEqual([expect.objectContaining({ teamId: 'bad' })]);
    // Tried once when met, once again on restart: it failed both times.
    expect(quarantinedBy).toEqual([`bad:${poison.id}`, `bad:${poison.id}`]);
    await models.close();
  });

  it('rebuilds everything on restart once the failed event applies (its cause fixed), and serves the team again', async () => {
    const store = new MemoryEventStore();
    const path = join(dir, 'read-models.db');
    await seed(store);
    let models = AccessReadModels.open(store, path, { onQuarantine: () => undefined });
    models.start();
    expect(await models.runner.waitUntilReflects((await store.headPosition())!, 5000)).toBe(true);
    poisonTeam(models.db, 'bad', '');
    const failing = await run(store, 'bad', 'eve', { type: 'AddMember', data: { userId: 'zed', role: 'member' } });
    expect(await models.runner.waitUntilReflects(failing.position, 5000)).toBe(true);
    expect(models.projection.quarantine('bad')).toBeDefined();
    models.db.exec('DROP TRIGGER poison');
    await models.close();

    models = AccessReadModels.open(store, path);
    models.start();
    expect(await models.runner.waitUntilReflects(failing.position, 5000)).toBe(true);
    expect(models.projection.quarantinedTeams()).toEqual([]);
    expect(models.queries.check('bad', 'zed', 'team.settings.manage').allowed).toBe(true);
    await models.close();
  });

  it('is met again by a rebuild from the log, and replay --verify finds the live models equal', async () => {
    const store = new MemoryEventStore();
    await seed(store);
    const poison = await appendMalformed(store, 'bad');
    await run(store, 'acme', 'olivia', { type: 'RemoveMember', data: { userId: 'bob' } });
    const live = openReadModelDatabase(join(dir, 'live.db'));
    new AccessProjection(live, (a, b) => store.comparePositions(a, b)).apply(await collect(store));

    const rebuilt = openReadModelDatabase(':memory:');
    const result = await rebuildReadModels(store, rebuilt, { batchSize: 2 });
    const quarantined = [
      { teamId: 'bad', event: { id: poison.id, type: 'MemberAdded', position: poison.position, streamRevision: 2 } },
    ];
    expect(result.quarantined).toEqual(quarantined);
    expect(new AccessProjection(rebuilt, (a, b) => store.comparePositions(a, b)).quarantinedTeams()).toEqual(
      quarantined,
    );
    const verified = await verifyReadModels(store, live, openReadModelDatabase(':memory:'));
    expect(verified.mismatched).toEqual([]);
    live.close();
  });
});

async function collect(store: EventStore, after?: string): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of store.readAll({ streamPrefixes: ['team-'], ...(after ? { after } : {}) }))
    events.push(event);
  return events;
}
