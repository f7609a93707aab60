import { ruleIds } from '../policy/policy';
import { cmd, enterpriseTeam, given, now, past } from '../testing/team-spec';

describe('owner-only member administration (AR: role changes are "an exclusive capability of those with the owner role")', () => {
  it.each(['member1', 'dev1', 'sec1', 'bill1', 'viewer1', 'contrib1'])(
    '%s may not invite (team.members.invite)',
    (actor) => {
      given(enterpriseTeam())
        .when(cmd('AddMember', actor, { userId: 'newbie', role: 'developer' }))
        .thenRejects({ kind: 'forbidden', permission: 'team.members.invite' });
    },
  );

  it.each(['member1', 'sec1'])('%s may not change a team role (team.members.roles.manage)', (actor) => {
    given(enterpriseTeam())
      .when(cmd('ChangeTeamRole', actor, { userId: 'dev1', role: 'member' }))
      .thenRejects({ kind: 'forbidden', permission: 'team.members.roles.manage' });
  });

  it('a member may not raise their own role', () => {
    given(enterpriseTeam())
      .when(cmd('ChangeTeamRole', 'member1', { userId: 'member1', role: 'owner' }))
      .thenRejects({ kind: 'forbidden', permission: 'team.members.roles.manage' });
  });

  it('an outsider is refused with the permission named', () => {
    given(enterpriseTeam())
      .when(cmd('AddMember', 'stranger', { userId: 'newbie', role: 'developer' }))
      .thenRejects({ kind: 'forbidden', permission: 'team.members.invite' });
  });

  it('a member may not remove another member', () => {
    given(enterpriseTeam())
      .when(cmd('RemoveMember', 'member1', { userId: 'dev1' }))
      .thenRejects({ kind: 'forbidden', permission: 'team.members.roles.manage' });
  });

  it('anyone may leave the team (interpretation: leaving lowers rights only)', () => {
    given(enterpriseTeam())
      .when(cmd('RemoveMember', 'dev1', { userId: 'dev1' }))
      .thenAccepts();
  });

  it('the owner changes a role, recording before and after and the reason', () => {
    given(enterpriseTeam())
      .when({
        ...cmd('ChangeTeamRole', 'owner1', { userId: 'dev1', role: 'member' }),
        metadata: { actorId: 'owner1', now: '2026-03-03T10:00:00.000Z', reason: 'promotion' },
      })
      .then([
        {
          type: 'TeamRoleChanged',
          data: {
            ...now('owner1', 'promotion'),
            userId: 'dev1',
            before: { role: 'developer' },
            after: { role: 'member' },
          },
        },
      ]);
  });

  it('a role change to the same role changes nothing and records nothing', () => {
    given(enterpriseTeam())
      .when(cmd('ChangeTeamRole', 'owner1', { userId: 'dev1', role: 'developer' }))
      .then([]);
  });

  it('changing the role of someone outside the team is 404', () => {
    given(enterpriseTeam())
      .when(cmd('ChangeTeamRole', 'owner1', { userId: 'ghost', role: 'member' }))
      .thenRejects({ kind: 'not_found', rule: ruleIds.memberInTeam });
  });
});

describe('POLICY.md "At least one owner must remain" (rule team.at-least-one-owner)', () => {
  it('the last owner may not demote themselves', () => {
    given(enterpriseTeam())
      .when(cmd('ChangeTeamRole', 'owner1', { userId: 'owner1', role: 'member' }))
      .thenRejects({ kind: 'policy', rule: 'team.at-least-one-owner' });
  });

  it('the last owner may not leave', () => {
    given(enterpriseTeam())
      .when(cmd('RemoveMember', 'owner1', { userId: 'owner1' }))
      .thenRejects({ kind: 'policy', rule: 'team.at-least-one-owner' });
  });

  it('with a second owner, an owner may step down', () => {
    given([...enterpriseTeam(), past.memberAdded('owner2', 'owner')])
      .when(cmd('ChangeTeamRole', 'owner2', { userId: 'owner1', role: 'member' }))
      .thenAccepts();
  });

  it('with a second owner, an owner may remove the other', () => {
    given([...enterpriseTeam(), past.memberAdded('owner2', 'owner')])
      .when(cmd('RemoveMember', 'owner2', { userId: 'owner1' }))
      .thenAccepts();
  });
});

describe('cascades name their cause (POLICY.md: "end with their own events (cause recorded), never silently")', () => {
  const withAssignments = () => [
    ...enterpriseTeam(),
    past.projectRoleAssigned('web', 'contrib1', 'project_developer'),
    past.projectRoleAssigned('api', 'contrib1', 'project_viewer'),
    past.groupGranted('contrib1', 'create_project'),
  ];

  it('a contributor promoted to developer loses explicit project roles; a still-compatible group stays', () => {
    const cause = { type: 'TeamRoleChanged', userId: 'contrib1', from: 'contributor', to: 'developer' } as const;
    given(withAssignments())
      .when(cmd('ChangeTeamRole', 'owner1', { userId: 'contrib1', role: 'developer' }))
      .then([
        {
          type: 'TeamRoleChanged',
          data: { ...now('owner1'), userId: 'contrib1', before: { role: 'contributor' }, after: { role: 'developer' } },
        },
        {
          type: 'ProjectRoleRevoked',
          data: {
            ...now('owner1'),
            projectId: 'api',
            userId: 'contrib1',
            before: { role: 'project_viewer' },
            after: null,
            cause,
          },
        },
        {
          type: 'ProjectRoleRevoked',
          data: {
            ...now('owner1'),
            projectId: 'web',
            userId: 'contrib1',
            before: { role: 'project_developer' },
            after: null,
            cause,
          },
        },
      ]);
  });

  it('a role change that makes a held group incompatible ends it', () => {
    const cause = { type: 'TeamRoleChanged', userId: 'dev1', from: 'developer', to: 'security' } as const;
    given([
      ...enterpriseTeam(),
      past.groupGranted('dev1', 'environment_manager'),
      past.groupGranted('dev1', 'usage_viewer'),
    ])
      .when(cmd('ChangeTeamRole', 'owner1', { userId: 'dev1', role: 'security' }))
      .then([
        {
          type: 'TeamRoleChanged',
          data: { ...now('owner1'), userId: 'dev1', before: { role: 'developer' }, after: { role: 'security' } },
        },
        {
          type: 'PermissionGroupRevoked',
          data: {
            ...now('owner1'),
            userId: 'dev1',
            group: 'environment_manager',
            before: { group: 'environment_manager' },
            after: null,
            cause,
          },
        },
      ]);
  });

  it('a role change to one that already includes a held group ends it (member includes create_project)', () => {
    const events = given([...enterpriseTeam(), past.groupGranted('dev1', 'create_project')])
      .when(cmd('ChangeTeamRole', 'owner1', { userId: 'dev1', role: 'member' }))
      .thenAccepts();
    expect(events.map((e) => e.type)).toEqual(['TeamRoleChanged', 'PermissionGroupRevoked']);
  });

  it('removing a member ends their groups and project roles, each with its own event', () => {
    const cause = { type: 'MemberRemoved', userId: 'contrib1' } as const;
    given(withAssignments())
      .when(cmd('RemoveMember', 'owner1', { userId: 'contrib1' }))
      .then([
        {
          type: 'MemberRemoved',
          data: {
            ...now('owner1'),
            userId: 'contrib1',
            before: {
              role: 'contributor',
              permissionGroups: ['create_project'],
              projectRoles: { web: 'project_developer', api: 'project_viewer' },
            },
            after: null,
          },
        },
        {
          type: 'PermissionGroupRevoked',
          data: {
            ...now('owner1'),
            userId: 'contrib1',
            group: 'create_project',
            before: { group: 'create_project' },
            after: null,
            cause,
          },
        },
        {
          type: 'ProjectRoleRevoked',
          data: {
            ...now('owner1'),
            projectId: 'api',
            userId: 'contrib1',
            before: { role: 'project_viewer' },
            after: null,
            cause,
          },
        },
        {
          type: 'ProjectRoleRevoked',
          data: {
            ...now('owner1'),
            projectId: 'web',
            userId: 'contrib1',
            before: { role: 'project_developer' },
            after: null,
            cause,
          },
        },
      ]);
  });
});

describe('team settings (team.settings.manage: owner, member)', () => {
  it('a member renames the team', () => {
    given(enterpriseTeam())
      .when(cmd('RenameTeam', 'member1', { name: 'Acme Inc' }))
      .then([
        { type: 'TeamRenamed', data: { ...now('member1'), before: { name: 'Acme' }, after: { name: 'Acme Inc' } } },
      ]);
  });

  it.each(['dev1', 'sec1', 'bill1', 'viewer1', 'contrib1'])('%s may not rename the team', (actor) => {
    given(enterpriseTeam())
      .when(cmd('RenameTeam', actor, { name: 'x' }))
      .thenRejects({ kind: 'forbidden', permission: 'team.settings.manage' });
  });
});
