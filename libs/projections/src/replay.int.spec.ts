import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@access-audit/event-store/sqlite';
import { AccessReadModels } from './access-read-models';
import { appendFixture, parseFixture } from './fixture-file';
import { verifyReadModels, type ReplayProgress } from './replay';
import { openReadModelDatabase } from './schema';

const fixture = join(__dirname, '../../../test/fixtures/enterprise-team.ndjson');

describe('replay --verify (library)', () => {
  let dir: string;
  let store: SqliteEventStore;
  let livePath: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'replay-'));
    store = new SqliteEventStore(join(dir, 'events.db'));
    await appendFixture(store, parseFixture(readFileSync(fixture, 'utf8')));
    livePath = join(dir, 'read-models.db');
    const live = AccessReadModels.open(store, livePath);
    live.start();
    await live.runner.waitUntilReflects((await store.headPosition())!, 5000);
    await live.close();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('matches every model of the live database and reports progress', async () => {
    const progress: ReplayProgress[] = [];
    const live = openReadModelDatabase(livePath);
    const result = await verifyReadModels(store, live, openReadModelDatabase(':memory:'), {
      batchSize: 10,
      progressIntervalMs: 0,
      onProgress: (p) => progress.push(p),
    });
    live.close();
    expect(result.mismatched).toEqual([]);
    expect(result.models.map((m) => m.model)).toEqual([
      'checkpoint',
      'team-states',
      'current-permissions',
      'temporal-index',
      'member-history',
      'change-feed',
      'quarantined-teams',
      'team-memberships',
    ]);
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.at(-1)!.events).toBe(result.events);
  });

  it.each([
    [
      'member-history',
      'UPDATE history_events SET entry_json = replace(entry_json, \'"actorId":"olivia"\', \'"actorId":"mallory"\') WHERE seq = (SELECT event_seq FROM member_events WHERE seq = 5)',
    ],
    [
      'temporal-index',
      'UPDATE grant_intervals SET to_ms = to_ms - 1 WHERE from_ms = (SELECT MIN(from_ms) FROM grant_intervals WHERE to_ms < 8640000000000000) AND to_ms < 8640000000000000',
    ],
    [
      'change-feed',
      `UPDATE member_events SET changes_json = replace(changes_json, '[[[', '[[["forged",1],[') WHERE seq = (SELECT MIN(seq) FROM member_events WHERE changes_json LIKE '[[[%')`,
    ],
    ['team-memberships', "UPDATE team_memberships SET role = 'owner' WHERE role <> 'owner'"],
    ['team-memberships', "INSERT INTO team_memberships VALUES ('mallory', 'acme', 'owner')"],
  ])('names %s when the live one differs', async (model, tamper) => {
    const live = openReadModelDatabase(livePath);
    live.exec(tamper);
    const result = await verifyReadModels(store, live, openReadModelDatabase(':memory:'));
    live.close();
    expect(result.mismatched).toEqual([model]);
  });

  it('names team-states and current-permissions when a folded state differs', async () => {
    const live = openReadModelDatabase(livePath);
    live.exec(
      `UPDATE team_states SET state_json = replace(state_json, '"role":{"value":"security"', '"role":{"value":"owner"')`,
    );
    const result = await verifyReadModels(store, live, openReadModelDatabase(':memory:'));
    live.close();
    expect(result.mismatched).toEqual(['team-states', 'current-permissions']);
  });
});
