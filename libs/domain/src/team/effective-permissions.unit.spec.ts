import { inherentProjectRole, planRules, projectPermissions, teamPermissions, type TeamRole } from '../policy/policy';
import { checkPermission, effectivePermissions } from './effective-permissions';
import { foldTeam } from './state';
import { enterpriseTeam, past, proTeam } from '../testing/team-spec';

const VIEW = ['project.view', 'project.env.view', 'project.logs.view'];
const DEVELOP = [
  ...VIEW,
  'project.deploy.preview',
  'project.deploy.production',
  'project.env.preview.manage',
  'project.domains.manage',
];
const ADMIN = [
  ...DEVELOP,
  'project.deploy.production.cli',
  'project.env.production.manage',
  'project.settings.manage',
  'project.integrations.manage',
  'project.delete',
  'project.protection.manage',
  'project.firewall.manage',
  'project.members.manage',
];

const projectPerms = (events: Parameters<typeof foldTeam>[0], userId: string, projectId = 'web') =>
  effectivePermissions(foldTeam(events), userId, projectId)
    .filter((p) => p.projectId === projectId)
    .map((p) => p.permission)
    .sort();
const teamPerms = (events: Parameters<typeof foldTeam>[0], userId: string) =>
  effectivePermissions(foldTeam(events), userId, 'web')
    .filter((p) => p.projectId === null)
    .map((p) => p.permission)
    .sort();

describe('POLICY.md "Team roles → inherent project role" and "Project roles → permissions"', () => {
  const cases: Array<[TeamRole, string, string[]]> = [
    ['owner', 'owner1', [...ADMIN, 'project.environments.manage']],
    ['member', 'member1', ADMIN],
    ['developer', 'dev1', DEVELOP],
    ['security', 'sec1', [...VIEW, 'project.protection.manage', 'project.firewall.manage']],
    ['billing', 'bill1', VIEW],
    ['enterprise_viewer', 'viewer1', VIEW],
    ['contributor', 'contrib1', []],
  ];
  it.each(cases)('%s on every project holds exactly its row', (_role, userId, expected) => {
    expect(projectPerms(enterpriseTeam(), userId, 'web')).toEqual([...expected].sort());
    expect(projectPerms(enterpriseTeam(), userId, 'api')).toEqual([...expected].sort());
  });

  it('pro_viewer: project_viewer without env values or logs (interpretation of "restricted")', () => {
    expect(projectPerms(proTeam(), 'pv1')).toEqual(['project.view']);
  });

  it('a contributor holds exactly the assigned project role, on that project only (AR: "no access to projects unless explicitly assigned")', () => {
    const events = [...enterpriseTeam(), past.projectRoleAssigned('web', 'contrib1', 'project_developer')];
    expect(projectPerms(events, 'contrib1', 'web')).toEqual([...DEVELOP].sort());
    expect(projectPerms(events, 'contrib1', 'api')).toEqual([]);
  });

  it.each([
    ['project_admin', ADMIN],
    ['project_viewer', VIEW],
  ] as const)('a contributor with %s holds that column', (role, expected) => {
    const events = [...enterpriseTeam(), past.projectRoleAssigned('web', 'contrib1', role)];
    expect(projectPerms(events, 'contrib1', 'web')).toEqual([...expected].sort());
  });

  it('states the inherent project role of each team role', () => {
    expect(inherentProjectRole).toEqual({
      owner: 'project_admin',
      member: 'project_admin',
      developer: 'project_developer',
      security: 'project_viewer',
      billing: 'project_viewer',
      pro_viewer: 'project_viewer',
      enterprise_viewer: 'project_viewer',
      contributor: null,
    });
  });
});

describe('POLICY.md "Team-level permissions"', () => {
  const cases: Array<[string, string[]]> = [
    ['owner1', [...teamPermissions]],
    ['member1', ['team.settings.manage', 'team.logs.view', 'team.view', 'project.create']],
    ['dev1', ['team.logs.view']],
    ['sec1', ['team.view', 'team.security.manage', 'team.audit.view']],
    ['bill1', ['team.billing.manage']],
    ['viewer1', ['team.view', 'team.logs.view', 'team.audit.view']],
    ['contrib1', []],
  ];
  it.each(cases)('%s holds exactly its team-level row', (userId, expected) => {
    expect(teamPerms(enterpriseTeam(), userId)).toEqual([...expected].sort());
  });

  it('pro_viewer holds no team-level permission (no logs, no usage, no settings)', () => {
    expect(teamPerms(proTeam(), 'pv1')).toEqual([]);
  });
});

describe('permission groups add their permissions, with via', () => {
  it('usage_viewer adds team.usage.view (interpretation: viewers need the group for usage)', () => {
    const events = [...enterpriseTeam(), past.groupGranted('viewer1', 'usage_viewer')];
    expect(checkPermission(foldTeam(events), 'viewer1', 'team.usage.view')).toEqual({
      allowed: true,
      via: [{ kind: 'permission_group', group: 'usage_viewer' }],
    });
  });

  it.each([
    ['full_production_deployment', 'project.deploy.production.cli'],
    ['environment_manager', 'project.environments.manage'],
    ['environment_variable_manager', 'project.env.production.manage'],
    ['deployment_protection_manager', 'project.protection.manage'],
  ] as const)('developer + %s holds %s on every project', (group, permission) => {
    const events = [...enterpriseTeam(), past.groupGranted('dev1', group)];
    const state = foldTeam(events);
    expect(checkPermission(state, 'dev1', permission, 'web')).toEqual({
      allowed: true,
      via: [{ kind: 'permission_group', group }],
    });
    expect(checkPermission(state, 'dev1', permission, 'api').allowed).toBe(true);
    expect(checkPermission(foldTeam(enterpriseTeam()), 'dev1', permission, 'web').allowed).toBe(false);
  });

  it('a group never opens a project by itself: contributor + full_production_deployment deploys only where they develop', () => {
    const events = [
      ...enterpriseTeam(),
      past.groupGranted('contrib1', 'full_production_deployment'),
      past.projectRoleAssigned('web', 'contrib1', 'project_developer'),
      past.projectRoleAssigned('api', 'contrib1', 'project_viewer'),
    ];
    const state = foldTeam(events);
    expect(checkPermission(state, 'contrib1', 'project.deploy.production.cli', 'web').allowed).toBe(true);
    expect(checkPermission(state, 'contrib1', 'project.deploy.production.cli', 'api').allowed).toBe(false);
  });

  it('create_project lets a developer create projects (team-level)', () => {
    const state = foldTeam([...enterpriseTeam(), past.groupGranted('dev1', 'create_project')]);
    expect(checkPermission(state, 'dev1', 'project.create')).toEqual({
      allowed: true,
      via: [{ kind: 'permission_group', group: 'create_project' }],
    });
  });
});

describe('via explains every permission', () => {
  it('names the team role and the project role it acts as', () => {
    expect(checkPermission(foldTeam(enterpriseTeam()), 'member1', 'project.deploy.production', 'web')).toEqual({
      allowed: true,
      via: [{ kind: 'team_role', role: 'member', actsAs: 'project_admin' }],
    });
  });

  it('names the explicit project role of a contributor', () => {
    const state = foldTeam([...enterpriseTeam(), past.projectRoleAssigned('web', 'contrib1', 'project_viewer')]);
    expect(checkPermission(state, 'contrib1', 'project.view', 'web').via).toEqual([
      { kind: 'project_role', role: 'project_viewer', projectId: 'web' },
    ]);
  });

  it('the security role holds firewall rights through its team role and viewing through project_viewer', () => {
    const state = foldTeam(enterpriseTeam());
    expect(checkPermission(state, 'sec1', 'project.firewall.manage', 'web').via).toEqual([
      { kind: 'team_role', role: 'security' },
    ]);
    expect(checkPermission(state, 'sec1', 'project.deploy.preview', 'web')).toEqual({ allowed: false, via: [] });
  });

  it('answers false for non-members, unknown projects, and project permissions asked without a project', () => {
    const state = foldTeam(enterpriseTeam());
    expect(checkPermission(state, 'stranger', 'project.view', 'web').allowed).toBe(false);
    expect(checkPermission(state, 'owner1', 'project.view', 'nope').allowed).toBe(false);
    expect(checkPermission(state, 'owner1', 'project.view').allowed).toBe(false);
  });

  it('without a project, lists team permissions and every project permission on every project', () => {
    const all = effectivePermissions(foldTeam(enterpriseTeam()), 'owner1');
    expect(all).toHaveLength(teamPermissions.length + 2 * projectPermissions.length);
  });
});

describe('POLICY.md plans table as data', () => {
  it('states the roles, limits and features of each plan (directory sync: Enterprise, API.md "Directory sync")', () => {
    expect(planRules).toEqual({
      hobby: {
        teamRoles: ['owner'],
        roleLimits: { owner: 1 },
        projectRoles: false,
        permissionGroups: false,
        directorySync: false,
      },
      pro: {
        teamRoles: ['owner', 'member', 'billing', 'pro_viewer'],
        roleLimits: { billing: 1 },
        projectRoles: false,
        permissionGroups: false,
        directorySync: false,
      },
      enterprise: {
        teamRoles: ['owner', 'member', 'developer', 'security', 'billing', 'enterprise_viewer', 'contributor'],
        roleLimits: {},
        projectRoles: true,
        permissionGroups: true,
        directorySync: true,
      },
    });
  });
});
