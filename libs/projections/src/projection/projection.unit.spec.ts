import { effectivePermissions } from '@access-audit/domain';
import { asRecorded, compareSequence } from '../../../../test/fixtures/team-history';
import { digestReadModels } from '../digest';
import { day, enterpriseTeam, ms, setup } from '../testing/acme';
import { AccessProjection } from './projection';

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
