import { effectivePermissions, type ActiveTeam } from '@access-audit/domain';
import { asRecorded } from '../../../../test/fixtures/team-history';
import { day, enterpriseTeam, setup } from '../testing/acme';

describe('current permissions answers', () => {
  it('are built once per change of the team: the same frozen answer until an applied event changes it', () => {
    const team = enterpriseTeam();
    const { projection, queries } = setup();
    projection.apply(asRecorded('acme', team.events));
    const before = queries.permissions('acme', { userId: 'cleo', projectId: 'web' });
    expect(queries.permissions('acme', { userId: 'cleo', projectId: 'web' })).toBe(before);
    expect(Object.isFrozen(before)).toBe(true);
    expect(before.every((grant) => Object.isFrozen(grant))).toBe(true);
    expect(() => (before as unknown[]).push({})).toThrow(TypeError);

    const applied = team.events.length;
    team.run('olivia', day(3), {
      type: 'AssignProjectRole',
      data: { projectId: 'web', userId: 'cleo', role: 'project_developer' },
    });
    projection.apply(asRecorded('acme', team.events.slice(applied), applied, applied));
    const after = queries.permissions('acme', { userId: 'cleo', projectId: 'web' });
    expect(after).not.toBe(before);
    expect(after.map(({ userId: _user, ...grant }) => grant)).toEqual(effectivePermissions(team.state, 'cleo', 'web'));
    expect(after.map((grant) => grant.permission)).toContain('project.deploy.production');
    expect(before.map((grant) => grant.permission)).not.toContain('project.deploy.production');
  });

  it('keep each selection apart, and stay right when a team is read with more selections than it keeps', () => {
    const team = enterpriseTeam();
    const { projection, queries } = setup();
    projection.apply(asRecorded('acme', team.events));
    const members = (projection.team('acme')!.state as ActiveTeam).members;
    const everyone = [...members.keys()].sort();
    const expected = (userId: string | undefined, projectId: string | undefined) =>
      (userId === undefined ? everyone : [userId]).flatMap((user) =>
        effectivePermissions(team.state, user, projectId).map((grant) => ({ userId: user, ...grant })),
      );
    for (let round = 0; round < 2; round++) {
      for (const userId of [undefined, 'dana', 'cleo', 'nobody', ...Array.from({ length: 1500 }, (_, i) => `u${i}`)]) {
        for (const projectId of [undefined, 'web', 'other']) {
          if (userId?.startsWith('u') && projectId !== 'web') continue;
          expect(
            queries.permissions('acme', { ...(userId ? { userId } : {}), ...(projectId ? { projectId } : {}) }),
          ).toEqual(expected(userId, projectId));
        }
      }
    }
  });
});
