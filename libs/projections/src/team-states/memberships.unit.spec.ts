import { TeamHistory, asRecorded } from '../../../../test/fixtures/team-history';
import { digestReadModels } from '../digest';
import { day, enterpriseTeam, setup } from '../testing/acme';

const rows = (db: ReturnType<typeof setup>['db']) =>
  db.prepare('SELECT user_id, team_id, role FROM team_memberships ORDER BY user_id, team_id').all();

describe('team memberships by user', () => {
  it('follow members added, re-roled and removed, batch by batch', () => {
    const team = enterpriseTeam();
    const { db, projection, queries } = setup();
    projection.apply(asRecorded('acme', team.events));
    expect(rows(db)).toEqual([
      { user_id: 'cleo', team_id: 'acme', role: 'contributor' },
      { user_id: 'dana', team_id: 'acme', role: 'developer' },
      { user_id: 'olivia', team_id: 'acme', role: 'owner' },
    ]);
    const applied = team.events.length;
    team.run('olivia', day(3), { type: 'ChangeTeamRole', data: { userId: 'dana', role: 'security' } });
    team.run('olivia', day(3), { type: 'RemoveMember', data: { userId: 'cleo' } });
    projection.apply(asRecorded('acme', team.events.slice(applied), applied, applied));
    expect(rows(db)).toEqual([
      { user_id: 'dana', team_id: 'acme', role: 'security' },
      { user_id: 'olivia', team_id: 'acme', role: 'owner' },
    ]);
    expect(queries.teamsPage('cleo', { limit: 10, keep: () => true })).toEqual({ teamIds: [], nextAfter: null });
  });

  it('page a user’s teams in id order, reading past the ones refused, with ids such as __proto__', () => {
    const { projection, queries } = setup();
    const ids = ['__proto__', 'constructor', 'b', 'a', 'hasOwnProperty', 'c'];
    let position = 0;
    for (const id of ids) {
      const team = new TeamHistory(id);
      team.run('olivia', day(1), { type: 'CreateTeam', data: { name: `Team ${id}`, plan: 'pro' } });
      projection.apply(asRecorded(id, team.events, position, 0));
      position += team.events.length;
    }
    const sorted = [...ids].sort();
    const all: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = queries.teamsPage('olivia', { ...(after ? { after } : {}), limit: 2, keep: (id) => id !== 'b' });
      all.push(...page.teamIds);
      expect(page.teamIds.length).toBeLessThanOrEqual(2);
      if (page.nextAfter === null) break;
      after = page.nextAfter;
    }
    expect(all).toEqual(sorted.filter((id) => id !== 'b'));
    expect(queries.teamsPage(undefined, { limit: 100, keep: () => true }).teamIds).toEqual(sorted);
    expect(queries.teamsPage('nobody', { limit: 100, keep: () => true }).teamIds).toEqual([]);
  });

  it('are the same after a rebuild from the log, by digest', () => {
    const team = enterpriseTeam();
    team.run('olivia', day(3), { type: 'RemoveMember', data: { userId: 'cleo' } });
    const live = setup();
    for (const [index, event] of team.events.entries())
      live.projection.apply(asRecorded('acme', [event], index, index));
    const rebuilt = setup();
    rebuilt.projection.apply(asRecorded('acme', team.events));
    expect(digestReadModels(rebuilt.db)['team-memberships']).toBe(digestReadModels(live.db)['team-memberships']);
    rebuilt.db.exec("DELETE FROM team_memberships WHERE user_id = 'dana'");
    expect(digestReadModels(rebuilt.db)['team-memberships']).not.toBe(digestReadModels(live.db)['team-memberships']);
  });
});
