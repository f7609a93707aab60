import { effectivePermissions } from '@access-audit/domain';
import { asRecorded, compareSequence, TeamHistory } from '../../../../test/fixtures/team-history';
import { AccessQueries } from '../access-queries';
import { digestReadModels } from '../digest';
import { openReadModelDatabase } from '../schema';
import { AccessProjection } from './projection';

const day = (d: number, time = '09:00:00.000'): string => `2025-03-${String(d).padStart(2, '0')}T${time}Z`;
const ms = (iso: string): number => Date.parse(iso);

function enterpriseTeam(): TeamHistory {
  const team = new TeamHistory('acme');
  team.run('olivia', day(1), { type: 'CreateTeam', data: { name: 'Acme', plan: 'enterprise' } });
  team.run('olivia', day(1, '10:00:00.000'), { type: 'CreateProject', data: { projectId: 'web', name: 'Web' } });
  team.run('olivia', day(2), { type: 'AddMember', data: { userId: 'dana', role: 'developer' } }, 'hired');
  team.run('olivia', day(2), { type: 'AddMember', data: { userId: 'cleo', role: 'contributor' } });
  return team;
}

function setup() {
  const db = openReadModelDatabase(':memory:');
  const projection = new AccessProjection(db, compareSequence);
  return { db, projection, queries: new AccessQueries(projection) };
}

describe('AccessProjection', () => {
  it('folds every team event and answers current permissions exactly as effectivePermissions on the folded state', () => {
    const team = enterpriseTeam();
    team.run('olivia', day(3), {
      type: 'AssignProjectRole',
      data: { projectId: 'web', userId: 'cleo', role: 'project_developer' },
    });
    const { projection, queries } = setup();
    projection.apply(asRecorded('acme', team.events));

    expect(projection.team('acme')?.state).toEqual(team.state);
    for (const userId of ['olivia', 'dana', 'cleo', 'nobody']) {
      expect(queries.permissions('acme', { userId }).map(({ userId: _u, ...grant }) => grant)).toEqual(
        effectivePermissions(team.state, userId),
      );
    }
    expect(queries.check('acme', 'cleo', 'project.deploy.production', 'web')).toEqual({
      allowed: true,
      via: [{ kind: 'project_role', role: 'project_developer', projectId: 'web' }],
    });
    expect(projection.position).toBe(String(team.events.length));
  });

  it('answers at= from validity intervals: before, during and after a grant (POLICY.md: contributors have nothing unless assigned)', () => {
    const team = enterpriseTeam();
    team.run('olivia', day(5), {
      type: 'AssignProjectRole',
      data: { projectId: 'web', userId: 'cleo', role: 'project_viewer' },
    });
    team.run('olivia', day(9), { type: 'RevokeProjectRole', data: { projectId: 'web', userId: 'cleo' } });
    const { projection, queries } = setup();
    projection.apply(asRecorded('acme', team.events));

    const viewAt = (at: string) => queries.check('acme', 'cleo', 'project.view', 'web', ms(at)).allowed;
    expect(viewAt(day(4))).toBe(false);
    expect(viewAt(day(5))).toBe(true); // [from, to): the instant of the grant is inside
    expect(viewAt(day(8, '23:59:59.999'))).toBe(true);
    expect(viewAt(day(9))).toBe(false); // ... and the instant of the revocation is outside
    expect(queries.check('acme', 'cleo', 'project.view', 'web').allowed).toBe(false);
  });

  it('a change of reason without a change of right keeps one grant but records the new via from that instant', () => {
    const team = enterpriseTeam();
    team.run('olivia', day(5), {
      type: 'AssignProjectRole',
      data: { projectId: 'web', userId: 'cleo', role: 'project_admin' },
    });
    team.run('olivia', day(6), {
      type: 'AssignProjectRole',
      data: { projectId: 'web', userId: 'cleo', role: 'project_developer' },
    });
    const { projection, queries } = setup();
    projection.apply(asRecorded('acme', team.events));

    expect(queries.check('acme', 'cleo', 'project.deploy.production', 'web', ms(day(5, '12:00:00.000'))).via).toEqual([
      { kind: 'project_role', role: 'project_admin', projectId: 'web' },
    ]);
    expect(queries.check('acme', 'cleo', 'project.deploy.production', 'web', ms(day(6))).via).toEqual([
      { kind: 'project_role', role: 'project_developer', projectId: 'web' },
    ]);
    const feed = queries.changes({ teamId: 'acme' }).changes.filter((c) => c.userId === 'cleo');
    // Only the rights project_developer lacks are revoked by the downgrade; deploy rights stay held throughout.
    expect(feed.filter((c) => c.permission === 'project.deploy.production')).toHaveLength(1);
    expect(feed.filter((c) => c.change === 'revoked').map((c) => c.permission)).toEqual([
      'project.deploy.production.cli',
      'project.env.production.manage',
      'project.settings.manage',
      'project.integrations.manage',
      'project.delete',
      'project.protection.manage',
      'project.firewall.manage',
      'project.members.manage',
    ]);
  });

  it('a change of reason for every right held on a project (none gained or lost there) is recorded from that instant', () => {
    const team = enterpriseTeam();
    team.run('olivia', day(3), {
      type: 'AssignProjectRole',
      data: { projectId: 'web', userId: 'cleo', role: 'project_developer' },
    });
    // POLICY.md: a developer acts as project_developer on every project, so cleo keeps exactly the rights she had on web.
    team.run('olivia', day(5), { type: 'ChangeTeamRole', data: { userId: 'cleo', role: 'developer' } });
    const { projection, queries } = setup();
    projection.apply(asRecorded('acme', team.events));

    const onWeb = (at: string) => queries.permissions('acme', { userId: 'cleo', projectId: 'web' }, ms(at));
    const before = onWeb(day(4)).filter((grant) => grant.projectId === 'web');
    const after = onWeb(day(5)).filter((grant) => grant.projectId === 'web');
    expect(after.map((grant) => grant.permission)).toEqual(before.map((grant) => grant.permission));
    expect(before.length).toBeGreaterThan(0);
    for (const grant of before)
      expect(grant.via).toEqual([{ kind: 'project_role', role: 'project_developer', projectId: 'web' }]);
    for (const grant of after)
      expect(grant.via).toEqual([{ kind: 'team_role', role: 'developer', actsAs: 'project_developer' }]);
    expect(queries.check('acme', 'cleo', 'project.deploy.production', 'web', ms(day(6))).via).toEqual(
      queries.check('acme', 'cleo', 'project.deploy.production', 'web').via,
    );
  });

  it('events sharing one instant leave no empty interval, and an earlier-stamped event counts at its predecessor’s time', () => {
    const team = enterpriseTeam();
    team.run('olivia', day(5), {
      type: 'AssignProjectRole',
      data: { projectId: 'web', userId: 'cleo', role: 'project_viewer' },
    });
    team.run('olivia', day(5), { type: 'RevokeProjectRole', data: { projectId: 'web', userId: 'cleo' } });
    team.run('olivia', day(4), {
      type: 'AssignProjectRole',
      data: { projectId: 'web', userId: 'cleo', role: 'project_admin' },
    });
    const { db, projection, queries } = setup();
    projection.apply(asRecorded('acme', team.events));

    const cleoIntervals = db
      .prepare<[], { from_ms: number; to_ms: number }>(
        "SELECT from_ms, to_ms FROM grant_intervals JOIN grant_sets ON grant_sets.id = grants_id WHERE user_id = 'cleo' " +
          "AND EXISTS (SELECT 1 FROM json_each(grants_json) WHERE json_extract(value, '$[0]') = 'project.view')",
      )
      .all();
    expect(cleoIntervals).toEqual([{ from_ms: ms(day(5)), to_ms: expect.any(Number) }]);
    expect(queries.check('acme', 'cleo', 'project.delete', 'web', ms(day(4, '23:00:00.000'))).allowed).toBe(false);
    expect(queries.check('acme', 'cleo', 'project.delete', 'web', ms(day(5))).allowed).toBe(true);
  });

  it('is idempotent by position: re-applying events at or before the checkpoint changes nothing', () => {
    const team = enterpriseTeam();
    team.run('olivia', day(5), {
      type: 'GrantPermissionGroup',
      data: { userId: 'dana', group: 'full_production_deployment' },
    });
    const events = asRecorded('acme', team.events);
    const once = setup();
    once.projection.apply(events);
    const twice = setup();
    twice.projection.apply(events.slice(0, 3));
    twice.projection.apply(events.slice(1));
    twice.projection.apply(events);

    expect(digestReadModels(twice.db)).toEqual(digestReadModels(once.db));
    expect(twice.projection.processed).toBe(events.length);
  });

  it('reloads the folded team states and checkpoint from the database', () => {
    const team = enterpriseTeam();
    const { db, projection } = setup();
    projection.apply(asRecorded('acme', team.events));
    const reopened = new AccessProjection(db, compareSequence);
    expect(reopened.team('acme')).toEqual(projection.team('acme'));
    expect(reopened.position).toBe(projection.position);
  });

  it('keeps the read models and checkpoint unchanged when a batch fails part-way (one transaction)', () => {
    const team = enterpriseTeam();
    const events = asRecorded('acme', team.events);
    const { db, projection } = setup();
    projection.apply(events.slice(0, 2));
    const before = digestReadModels(db);
    db.exec(
      "CREATE TRIGGER refuse_cleo BEFORE INSERT ON member_events WHEN NEW.user_id = 'cleo' BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    );
    expect(() => projection.apply(events.slice(2))).toThrow('disk full');
    expect(digestReadModels(db)).toEqual(before);
    expect(projection.position).toBe('2');
    expect(projection.team('acme')?.state).not.toHaveProperty('members.dana');

    db.exec('DROP TRIGGER refuse_cleo');
    projection.apply(events);
    expect(projection.team('acme')?.state).toEqual(team.state);
  });

  it('records each member’s timeline with actor, reason, before/after, the cascade cause and the rights it changed', () => {
    const team = enterpriseTeam();
    team.run('olivia', day(5), {
      type: 'AssignProjectRole',
      data: { projectId: 'web', userId: 'cleo', role: 'project_viewer' },
    });
    team.run('olivia', day(6), { type: 'GrantPermissionGroup', data: { userId: 'cleo', group: 'create_project' } });
    team.run('olivia', day(7), { type: 'RemoveMember', data: { userId: 'cleo' } }, 'contract ended');
    const { projection, queries } = setup();
    projection.apply(asRecorded('acme', team.events));

    const history = queries.memberHistory('acme', 'cleo');
    expect(history.map((h) => h.type)).toEqual([
      'MemberAdded',
      'ProjectRoleAssigned',
      'PermissionGroupGranted',
      'MemberRemoved',
      'PermissionGroupRevoked',
      'ProjectRoleRevoked',
    ]);
    const [added, assigned, , removed, groupEnded, roleEnded] = history;
    expect(added).toMatchObject({
      actorId: 'olivia',
      before: null,
      after: { role: 'contributor' },
      granted: [],
      revoked: [],
    });
    expect(assigned).toMatchObject({ projectId: 'web', before: null, after: { role: 'project_viewer' } });
    expect(assigned!.granted.map((g) => g.permission)).toEqual([
      'project.view',
      'project.env.view',
      'project.logs.view',
    ]);
    expect(removed).toMatchObject({ reason: 'contract ended', after: null });
    // The removal itself ends every right at once; the cascades that follow record why they happened.
    expect(removed!.revoked.map((g) => g.permission).sort()).toEqual(
      ['project.create', 'project.env.view', 'project.logs.view', 'project.view'].sort(),
    );
    expect(groupEnded).toMatchObject({
      group: 'create_project',
      cause: { type: 'MemberRemoved', userId: 'cleo' },
      revoked: [],
    });
    expect(roleEnded).toMatchObject({ projectId: 'web', cause: { type: 'MemberRemoved', userId: 'cleo' } });
    expect(queries.memberHistory('acme', 'cleo', ms(day(5)))).toHaveLength(2);
  });

  it('feeds every granted and revoked right with the event that caused it, and pages without splitting an event', () => {
    const team = enterpriseTeam();
    const created = team.run('olivia', day(4), { type: 'CreateProject', data: { projectId: 'api', name: 'API' } });
    const { projection, queries } = setup();
    const recorded = asRecorded('acme', team.events);
    projection.apply(recorded);

    const all = queries.changes({ limit: 1000 });
    expect(all.hasMore).toBe(false);
    expect(all.next).toBe(projection.position);
    const causedByApi = all.changes.filter((c) => c.cause.type === 'ProjectCreated' && c.projectId === 'api');
    expect(new Set(causedByApi.map((c) => c.userId))).toEqual(new Set(['olivia', 'dana']));
    expect(causedByApi.every((c) => c.change === 'granted' && c.position === recorded.at(-1)!.position)).toBe(true);
    expect(causedByApi[0]!.cause).toMatchObject({
      eventId: recorded.at(-1)!.id,
      actorId: 'olivia',
      occurredAt: created[0]!.data.occurredAt,
    });

    const paged: unknown[] = [];
    let after: string | undefined;
    for (;;) {
      const page = queries.changes({ limit: 5, ...(after ? { after } : {}) });
      paged.push(...page.changes);
      const positions = new Set(page.changes.map((c) => c.position));
      for (const position of positions) {
        expect(page.changes.filter((c) => c.position === position)).toHaveLength(
          all.changes.filter((c) => c.position === position).length,
        );
      }
      if (!page.hasMore) break;
      after = page.next;
    }
    expect(paged).toEqual(all.changes);
    expect(queries.changes({ after: recorded.at(-2)!.position }).changes).toEqual(causedByApi);
    expect(queries.changes({ after: recorded.at(-1)!.position }).changes).toEqual([]);
    expect(() => queries.changes({ after: 'not-a-position' })).toThrow('not a position');
  });

  it('never moves the feed cursor back before `after` while the read models lag (a resumed reader gets nothing twice)', () => {
    const team = enterpriseTeam();
    const { projection, queries } = setup();
    const recorded = asRecorded('acme', team.events);
    projection.apply(recorded.slice(0, 2));
    // The reader has already seen every change up to the last event (e.g. Last-Event-ID from before a rebuild).
    const resumeAfter = recorded.at(-1)!.position;
    const lagging = queries.changes({ after: resumeAfter });
    expect(lagging).toEqual({ changes: [], hasMore: false, next: resumeAfter });
    projection.apply(recorded);
    expect(queries.changes({ after: lagging.next! }).changes).toEqual([]);
  });

  it('answers the project access lookup and whole-team permissions at an instant in the same order as now', () => {
    const team = enterpriseTeam();
    team.run('olivia', day(5), {
      type: 'AssignProjectRole',
      data: { projectId: 'web', userId: 'cleo', role: 'project_developer' },
    });
    const { projection, queries } = setup();
    projection.apply(asRecorded('acme', team.events));
    const now = ms(day(20));
    expect(queries.permissions('acme', {}, now)).toEqual(queries.permissions('acme'));
    expect(queries.permissions('acme', { projectId: 'web' }, now)).toEqual(
      queries.permissions('acme', { projectId: 'web' }),
    );
    expect(queries.projectAccess('acme', 'web', 'project.deploy.production', now)).toEqual(
      queries.projectAccess('acme', 'web', 'project.deploy.production'),
    );
    expect(queries.projectAccess('acme', 'web', 'project.deploy.production').map((a) => a.userId)).toEqual([
      'cleo',
      'dana',
      'olivia',
    ]);
    expect(queries.projectAccess('acme', 'web', 'project.deploy.production', ms(day(4))).map((a) => a.userId)).toEqual([
      'dana',
      'olivia',
    ]);
  });
});
