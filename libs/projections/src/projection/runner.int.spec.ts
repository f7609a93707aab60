import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { teamDecider, teamStreamId, type TeamCommand } from '@access-audit/domain';
import { handleCommand, MemoryEventStore, type EventStore } from '@access-audit/event-store';
import { SqliteEventStore } from '@access-audit/event-store/sqlite';
import { seededUuid } from '../../../../test/fixtures/team-history';
import { AccessReadModels } from '../access-read-models';
import { digestReadModels } from '../digest';
import { followChanges } from '../member-history/follow';
import type { PermissionChange } from '../model';
import { rebuildReadModels } from '../replay';
import { openReadModelDatabase } from '../schema';

let clock = Date.parse('2025-03-01T00:00:00.000Z');
async function run(store: EventStore, teamId: string, actorId: string, body: Pick<TeamCommand, 'type' | 'data'>) {
  clock += 60_000;
  const command = { ...body, teamId, metadata: { actorId, now: new Date(clock).toISOString() } } as TeamCommand;
  const outcome = await handleCommand(store, teamStreamId(teamId), teamDecider, command);
  if (!outcome.ok) throw new Error(outcome.rejection.message);
  return outcome;
}

async function seedTeam(store: EventStore, teamId: string) {
  await run(store, teamId, 'olivia', { type: 'CreateTeam', data: { name: teamId, plan: 'enterprise' } });
  await run(store, teamId, 'olivia', { type: 'CreateProject', data: { projectId: 'web', name: 'Web' } });
  return run(store, teamId, 'olivia', { type: 'AddMember', data: { userId: 'dana', role: 'developer' } });
}

describe('ProjectionRunner', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'projections-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reflects a command once its position is reached (read-your-writes) and reports being caught up', async () => {
    const store = new MemoryEventStore();
    const models = AccessReadModels.open(store, ':memory:', { retryDelayMs: 10 });
    const seeded = await seedTeam(store, 'acme');
    expect(await models.runner.caughtUp()).toBe(false);
    models.start();
    expect(await models.runner.waitUntilReflects(seeded.position, 5000)).toBe(true);
    expect(models.queries.check('acme', 'dana', 'project.deploy.production', 'web').allowed).toBe(true);
    expect(await models.runner.caughtUp()).toBe(true);

    const granted = await run(store, 'acme', 'olivia', {
      type: 'GrantPermissionGroup',
      data: { userId: 'dana', group: 'full_production_deployment' },
    });
    expect(await models.runner.waitUntilReflects(granted.position, 5000)).toBe(true);
    expect(models.queries.check('acme', 'dana', 'project.deploy.production.cli', 'web')).toEqual({
      allowed: true,
      via: [{ kind: 'permission_group', group: 'full_production_deployment' }],
    });
    await models.close();
    await store.close();
  });

  it('a position past the last team event counts as reflected once every team event before it is; a future one times out', async () => {
    const store = new MemoryEventStore();
    const models = AccessReadModels.open(store, ':memory:');
    await seedTeam(store, 'acme');
    const other = await store.append(
      'audit-acme',
      [{ id: seededUuid('audit-1'), type: 'AuditCheckpointSigned', data: {} }],
      'any',
    );
    models.start();
    expect(await models.runner.waitUntilReflects(other.position, 5000)).toBe(true);
    expect(await models.runner.waitUntilReflects(String(Number(other.position) + 10), 150)).toBe(false);
    expect(() => models.runner.reflects('C:1/P:1')).toThrow();
    await models.close();
    await store.close();
  });

  it('resumes from the stored checkpoint after a restart without processing an event twice, on the SQLite store', async () => {
    const store = new SqliteEventStore(join(dir, 'events.db'), { pollIntervalMs: 20 });
    const path = join(dir, 'read-models.db');
    let models = AccessReadModels.open(store, path);
    models.start();
    const first = await seedTeam(store, 'acme');
    expect(await models.runner.waitUntilReflects(first.position, 5000)).toBe(true);
    await models.close();

    const second = await seedTeam(store, 'globex');
    models = AccessReadModels.open(store, path);
    expect(models.projection.processed).toBe(3);
    models.start();
    expect(await models.runner.waitUntilReflects(second.position, 5000)).toBe(true);
    expect(models.projection.processed).toBe(6);

    const rebuilt = openReadModelDatabase(':memory:');
    await rebuildReadModels(store, rebuilt);
    expect(digestReadModels(models.db)).toEqual(digestReadModels(rebuilt));
    await models.close();
    await store.close();
  });

  it('retries from the checkpoint after a failed batch, and catches up once the cause is gone', async () => {
    const store = new MemoryEventStore();
    const errors: unknown[] = [];
    const models = AccessReadModels.open(store, ':memory:', {
      retryDelayMs: 20,
      onError: (error) => errors.push(error),
    });
    models.db.exec(
      "CREATE TRIGGER refuse BEFORE INSERT ON member_events WHEN NEW.user_id = 'dana' BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    );
    models.start();
    const seeded = await seedTeam(store, 'acme');
    expect(await models.runner.waitUntilReflects(seeded.position, 300)).toBe(false);
    expect(errors.length).toBeGreaterThan(0);
    expect(models.queries.check('acme', 'dana', 'project.view', 'web').allowed).toBe(false);
    models.db.exec('DROP TRIGGER refuse');
    expect(await models.runner.waitUntilReflects(seeded.position, 5000)).toBe(true);
    expect(models.queries.check('acme', 'dana', 'project.view', 'web').allowed).toBe(true);
    await models.close();
    await store.close();
  });

  it('follows the change feed live from a position, team by team', async () => {
    const store = new MemoryEventStore();
    const models = AccessReadModels.open(store, ':memory:');
    models.start();
    const seeded = await seedTeam(store, 'acme');
    await seedTeam(store, 'globex');
    await models.runner.waitUntilReflects(seeded.position, 5000);

    const controller = new AbortController();
    const received: PermissionChange[] = [];
    const following = (async () => {
      for await (const changes of followChanges(models.queries, models.runner, {
        after: seeded.position,
        teamId: 'acme',
        signal: controller.signal,
      })) {
        received.push(...changes);
        if (received.some((c) => c.cause.type === 'MemberRemoved')) controller.abort();
      }
    })();
    await run(store, 'globex', 'olivia', { type: 'RemoveMember', data: { userId: 'dana' } });
    const removed = await run(store, 'acme', 'olivia', { type: 'RemoveMember', data: { userId: 'dana' } });
    await following;

    expect(received.every((c) => c.teamId === 'acme' && c.change === 'revoked' && c.userId === 'dana')).toBe(true);
    expect(received.map((c) => c.position)).toEqual(received.map(() => removed.position));
    expect(received.map((c) => c.permission)).toContain('project.deploy.production');
    await models.close();
    await store.close();
  });
});
