import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { teamStreamId } from '@access-audit/domain';
import { removeTranspiledSources, runSourceFile } from '../../../../libs/audit/src/testing/transpiled-child';
import { startTestApi, type TestApi } from '../../../../test/e2e/support/test-api';

/**
 * The forgery of issue 10: a `MemberAdded` edited in events.db from developer to owner after its audit entry was
 * written, the read models deleted, the service restarted. The team view follows the forged event; verify must not.
 */
describe('audit verify and a forged team event (e2e)', () => {
  let api: TestApi | undefined;
  let dataDir: string;
  let forgedEventId: string;

  beforeAll(async () => {
    api = await startTestApi();
    dataDir = api.config.dataDir;
    const alice = await api.as('alice');
    await alice.post('/v1/teams', { id: 'forge', name: 'Forge', plan: 'enterprise' }).expect(201);
    let position = '';
    for (let index = 1; index <= 15; index++) {
      const role = index === 15 ? 'developer' : 'member';
      const added = await alice.post('/v1/teams/forge/members', { userId: `u${index}`, role }).expect(201);
      position = added.body.position as string;
    }
    await alice.get(`/v1/teams/forge/audit?minPosition=${position}`).expect(200);
    await api.close({ keepData: true });
    api = undefined;

    const db = new Database(join(dataDir, 'events.db'));
    try {
      const row = db
        .prepare<[string], { position: number; event_id: string; data: string }>(
          `SELECT position, event_id, data FROM events WHERE stream_id = ? AND type = 'MemberAdded' AND data LIKE '%"userId":"u15"%'`,
        )
        .get(teamStreamId('forge'))!;
      forgedEventId = row.event_id;
      db.prepare('UPDATE events SET data = ? WHERE position = ?').run(
        row.data.replace('"role":"developer"', '"role":"owner"'),
        row.position,
      );
    } finally {
      db.close();
    }
    rmSync(join(dataDir, 'read-models.db'), { force: true });
    api = await startTestApi({ dataDir });
  }, 90_000);

  afterAll(async () => {
    await api?.close();
    rmSync(dataDir, { recursive: true, force: true });
    removeTranspiledSources();
  });

  it('answers invalid over HTTP and names the entry, the event and the field, while the team view says owner', async () => {
    const alice = await api!.as('alice');
    const team = (await alice.get('/v1/teams/forge').expect(200)).body as { members: Array<{ userId: string }> };
    expect(team.members.find((member) => member.userId === 'u15')).toMatchObject({ role: 'owner' });

    const verification = (await alice.get('/v1/teams/forge/audit/verify').expect(200)).body;
    expect(verification).toMatchObject({ teamId: 'forge', valid: false, entries: 16 });
    expect(verification.break).toBeUndefined();
    expect(verification.sources).toMatchObject({ compared: 16, different: 1, missing: 0, extra: 0 });
    expect(verification.sources.mismatches).toEqual([
      expect.objectContaining({
        kind: 'different',
        sequence: 16,
        entryId: expect.any(String),
        source: expect.objectContaining({ streamId: 'team-forge', eventId: forgedEventId, eventType: 'MemberAdded' }),
        fields: [
          { field: 'after.role', entry: 'developer', source: 'owner' },
          { field: 'source.digest', entry: expect.stringMatching(/^[0-9a-f]{64}$/), source: expect.any(String) },
        ],
      }),
    ]);
    // The entry itself still says what was recorded.
    const entries = (await alice.get('/v1/teams/forge/audit?subject=u15').expect(200)).body.entries;
    expect(entries).toEqual([expect.objectContaining({ sequence: 16, after: { role: 'developer' } })]);
  });

  it('counts the team in audit_verification_failed_teams; /readyz stays ready and says how many teams failed', async () => {
    const metrics = await api!.http().get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^audit_verification_failed_teams 1$/m);
    const ready = await api!.http().get('/readyz').expect(200);
    expect(ready.body.checks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'audit', ready: true, detail: expect.stringMatching(/1 team\(s\) failed/) }),
      ]),
    );
  });

  it('is found by the CLI against the local store too, with the service stopped', async () => {
    await api!.close({ keepData: true });
    api = undefined;
    const result = await runSourceFile('apps/cli/src/main.ts', ['audit:verify', '--team', 'forge'], {
      env: { DATA_DIR: dataDir, EVENT_STORE: '' },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^INVALID: entries of team forge do not match their source events/);
    expect(result.stderr).toContain(`different entry 16`);
    expect(result.stderr).toContain(`event ${forgedEventId} (MemberAdded)`);
    expect(result.stderr).toContain('after.role: entry "developer", source event "owner"');
  }, 60_000);
});
