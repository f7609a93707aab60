import { permissionGroupRules, permissionGroups, ruleIds, teamRoles, type PermissionGroup } from '../policy/policy';
import { cmd, enterpriseTeam, given, now, past, proTeam } from '../testing/team-spec';

const holderOf = {
  developer: 'dev1',
  security: 'sec1',
  billing: 'bill1',
  enterprise_viewer: 'viewer1',
  contributor: 'contrib1',
  member: 'member1',
  owner: 'owner1',
} as const;

describe('POLICY.md "Permission groups (AR table)"', () => {
  const rows: Array<[PermissionGroup, string, string]> = [];
  for (const group of permissionGroups) {
    for (const role of teamRoles) {
      if (role === 'pro_viewer') continue; // not on Enterprise, where groups exist
      const rule = permissionGroupRules[group];
      const outcome = rule.includedIn.includes(role)
        ? 'already-included'
        : rule.compatibleWith.includes(role)
          ? 'granted'
          : 'incompatible';
      rows.push([group, role, outcome]);
    }
  }

  it('covers every row of the table with an explicit expectation', () => {
    // The table of POLICY.md, restated: group → (compatible roles | already included in).
    expect(
      Object.fromEntries(
        permissionGroups.map((g) => [g, [permissionGroupRules[g].compatibleWith, permissionGroupRules[g].includedIn]]),
      ),
    ).toEqual({
      create_project: [
        ['developer', 'contributor'],
        ['owner', 'member'],
      ],
      full_production_deployment: [
        ['developer', 'contributor'],
        ['owner', 'member'],
      ],
      usage_viewer: [['developer', 'security', 'billing', 'enterprise_viewer'], ['owner']],
      environment_manager: [['developer'], ['owner']],
      environment_variable_manager: [['developer'], ['owner', 'member']],
      deployment_protection_manager: [['developer'], ['owner', 'member']],
    });
  });

  it.each(rows)('%s to %s: %s', (group, role, outcome) => {
    const userId = holderOf[role as keyof typeof holderOf];
    const when = given(enterpriseTeam()).when(cmd('GrantPermissionGroup', 'owner1', { userId, group }));
    if (outcome === 'granted') {
      when.then([
        {
          type: 'PermissionGroupGranted',
          data: { ...now('owner1'), userId, group, before: null, after: { group } },
        },
      ]);
    } else if (outcome === 'already-included') {
      when.thenRejects({ kind: 'policy', rule: 'permission-group.not-already-included' });
    } else {
      when.thenRejects({ kind: 'policy', rule: 'permission-group.compatible-role' });
    }
  });

  it('only owners grant groups (team.permission-groups.manage)', () => {
    given(enterpriseTeam())
      .when(cmd('GrantPermissionGroup', 'member1', { userId: 'dev1', group: 'create_project' }))
      .thenRejects({ kind: 'forbidden', permission: 'team.permission-groups.manage' });
  });

  it('a developer may not grant themselves a group', () => {
    given(enterpriseTeam())
      .when(cmd('GrantPermissionGroup', 'dev1', { userId: 'dev1', group: 'environment_manager' }))
      .thenRejects({ kind: 'forbidden', permission: 'team.permission-groups.manage' });
  });

  it('groups are Enterprise-only: usage_viewer for a Pro billing member is refused (rule plan.permission-groups-available)', () => {
    given([...proTeam(), past.memberAdded('bill1', 'billing')])
      .when(cmd('GrantPermissionGroup', 'owner1', { userId: 'bill1', group: 'usage_viewer' }))
      .thenRejects({ kind: 'policy', rule: 'plan.permission-groups-available' });
  });

  it('granting a held group again changes nothing', () => {
    given([...enterpriseTeam(), past.groupGranted('dev1', 'create_project')])
      .when(cmd('GrantPermissionGroup', 'owner1', { userId: 'dev1', group: 'create_project' }))
      .then([]);
  });

  it('revokes a held group', () => {
    given([...enterpriseTeam(), past.groupGranted('dev1', 'create_project')])
      .when(cmd('RevokePermissionGroup', 'owner1', { userId: 'dev1', group: 'create_project' }))
      .then([
        {
          type: 'PermissionGroupRevoked',
          data: {
            ...now('owner1'),
            userId: 'dev1',
            group: 'create_project',
            before: { group: 'create_project' },
            after: null,
          },
        },
      ]);
  });

  it('revoking a group that is not held is 404', () => {
    given(enterpriseTeam())
      .when(cmd('RevokePermissionGroup', 'owner1', { userId: 'dev1', group: 'create_project' }))
      .thenRejects({ kind: 'not_found', rule: ruleIds.groupNotHeld });
  });
});

describe('projects (project.create, project.delete)', () => {
  it('a member creates a project (project.create: owner, member)', () => {
    const [event] = given(enterpriseTeam())
      .when(cmd('CreateProject', 'member1', { projectId: 'docs', name: 'Docs' }))
      .thenAccepts();
    expect(event).toMatchObject({
      type: 'ProjectCreated',
      data: { projectId: 'docs', name: 'Docs', actorId: 'member1' },
    });
  });

  it('a developer needs the create_project group to create a project', () => {
    given(enterpriseTeam())
      .when(cmd('CreateProject', 'dev1', { projectId: 'docs', name: 'Docs' }))
      .thenRejects({ kind: 'forbidden', permission: 'project.create' });
    given([...enterpriseTeam(), past.groupGranted('dev1', 'create_project')])
      .when(cmd('CreateProject', 'dev1', { projectId: 'docs', name: 'Docs' }))
      .thenAccepts();
  });

  it('refuses a project id that exists (409)', () => {
    given(enterpriseTeam())
      .when(cmd('CreateProject', 'owner1', { projectId: 'web', name: 'Web' }))
      .thenRejects({ kind: 'conflict', rule: ruleIds.projectIdFree });
  });

  it('a developer may not delete a project (project.delete: project_admin only)', () => {
    given(enterpriseTeam())
      .when(cmd('DeleteProject', 'dev1', { projectId: 'web' }))
      .thenRejects({ kind: 'forbidden', permission: 'project.delete', projectId: 'web' });
  });

  it('deleting a project ends the contributor roles on it, naming the cause', () => {
    const cause = { type: 'ProjectDeleted', projectId: 'web' } as const;
    given([...enterpriseTeam(), past.projectRoleAssigned('web', 'contrib1', 'project_admin')])
      .when(cmd('DeleteProject', 'member1', { projectId: 'web' }))
      .then([
        { type: 'ProjectDeleted', data: { ...now('member1'), projectId: 'web', before: { name: 'web' }, after: null } },
        {
          type: 'ProjectRoleRevoked',
          data: {
            ...now('member1'),
            projectId: 'web',
            userId: 'contrib1',
            before: { role: 'project_admin' },
            after: null,
            cause,
          },
        },
      ]);
  });

  it('commands on a project that does not exist are 404', () => {
    given(enterpriseTeam())
      .when(cmd('DeleteProject', 'owner1', { projectId: 'nope' }))
      .thenRejects({ kind: 'not_found', rule: ruleIds.projectExists });
  });
});

describe('POLICY.md "Only contributors hold explicit project roles" (rule project-role.contributor-only)', () => {
  it.each(['member1', 'dev1', 'sec1', 'bill1', 'viewer1'])('refuses a project role for %s', (userId) => {
    given(enterpriseTeam())
      .when(cmd('AssignProjectRole', 'owner1', { projectId: 'web', userId, role: 'project_viewer' }))
      .thenRejects({ kind: 'policy', rule: 'project-role.contributor-only' });
  });

  it('assigns a contributor a project role, then changes it, with before and after', () => {
    given(enterpriseTeam())
      .when(cmd('AssignProjectRole', 'owner1', { projectId: 'web', userId: 'contrib1', role: 'project_viewer' }))
      .then([
        {
          type: 'ProjectRoleAssigned',
          data: {
            ...now('owner1'),
            projectId: 'web',
            userId: 'contrib1',
            before: null,
            after: { role: 'project_viewer' },
          },
        },
      ]);
    given([...enterpriseTeam(), past.projectRoleAssigned('web', 'contrib1', 'project_viewer')])
      .when(cmd('AssignProjectRole', 'owner1', { projectId: 'web', userId: 'contrib1', role: 'project_admin' }))
      .then([
        {
          type: 'ProjectRoleAssigned',
          data: {
            ...now('owner1'),
            projectId: 'web',
            userId: 'contrib1',
            before: { role: 'project_viewer' },
            after: { role: 'project_admin' },
          },
        },
      ]);
  });

  it('a member, as project administrator, manages contributors on the project (project.members.manage, interpretation)', () => {
    given(enterpriseTeam())
      .when(cmd('AssignProjectRole', 'member1', { projectId: 'web', userId: 'contrib1', role: 'project_developer' }))
      .thenAccepts();
  });

  it('a contributor who administers one project manages its contributors, but not another project', () => {
    const history = [
      ...enterpriseTeam(),
      past.memberAdded('contrib2', 'contributor'),
      past.projectRoleAssigned('web', 'contrib1', 'project_admin'),
    ];
    given(history)
      .when(cmd('AssignProjectRole', 'contrib1', { projectId: 'web', userId: 'contrib2', role: 'project_viewer' }))
      .thenAccepts();
    given(history)
      .when(cmd('AssignProjectRole', 'contrib1', { projectId: 'api', userId: 'contrib2', role: 'project_viewer' }))
      .thenRejects({ kind: 'forbidden', permission: 'project.members.manage', projectId: 'api' });
  });

  it('a developer may not assign project roles', () => {
    given(enterpriseTeam())
      .when(cmd('AssignProjectRole', 'dev1', { projectId: 'web', userId: 'contrib1', role: 'project_viewer' }))
      .thenRejects({ kind: 'forbidden', permission: 'project.members.manage' });
  });

  it('revoking an assignment that does not exist is 404', () => {
    given(enterpriseTeam())
      .when(cmd('RevokeProjectRole', 'owner1', { projectId: 'web', userId: 'contrib1' }))
      .thenRejects({ kind: 'not_found', rule: ruleIds.projectRoleAssigned });
  });

  it('revokes an assignment', () => {
    given([...enterpriseTeam(), past.projectRoleAssigned('web', 'contrib1', 'project_viewer')])
      .when(cmd('RevokeProjectRole', 'owner1', { projectId: 'web', userId: 'contrib1' }))
      .then([
        {
          type: 'ProjectRoleRevoked',
          data: {
            ...now('owner1'),
            projectId: 'web',
            userId: 'contrib1',
            before: { role: 'project_viewer' },
            after: null,
          },
        },
      ]);
  });
});
