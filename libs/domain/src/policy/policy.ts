/**
 * The access policy of POLICY.md as data. Every decision records `policyVersion`;
 * change a row here and policy-version.unit.spec.ts fails until a new version is released for it.
 */

export const policyVersion = '2026-12-01.1';

export const plans = ['hobby', 'pro', 'enterprise'] as const;
export type Plan = (typeof plans)[number];

export const teamRoles = [
  'owner',
  'member',
  'developer',
  'security',
  'billing',
  'pro_viewer',
  'enterprise_viewer',
  'contributor',
] as const;
export type TeamRole = (typeof teamRoles)[number];

/**
 * Team roles from most rights to fewest: which mapping wins when several directory groups hold one user (API.md
 * "Directory sync"; **interpretation**: security's firewall and protection rights rank below a developer's deploy rights).
 */
export const teamRolesByRights: readonly TeamRole[] = [
  'owner',
  'member',
  'developer',
  'security',
  'billing',
  'enterprise_viewer',
  'pro_viewer',
  'contributor',
];

/** A directory acts under the actor id `scim:{directoryId}` (POLICY.md "Who acts, beyond people"). */
export const directoryActorPrefix = 'scim:';
export const directoryActorId = (directoryId: string): string => `${directoryActorPrefix}${directoryId}`;
/** The directory id an actor id names, or undefined for any other actor. */
export const directoryIdOfActor = (actorId: string): string | undefined =>
  actorId.startsWith(directoryActorPrefix) ? actorId.slice(directoryActorPrefix.length) : undefined;

/** `viewer` is accepted on input as enterprise_viewer (POLICY.md, plans table, interpretation). */
export const teamRoleAliases: Readonly<Record<string, TeamRole>> = { viewer: 'enterprise_viewer' };

export const projectRoles = ['project_admin', 'project_developer', 'project_viewer'] as const;
export type ProjectRole = (typeof projectRoles)[number];

export const permissionGroups = [
  'create_project',
  'full_production_deployment',
  'usage_viewer',
  'environment_manager',
  'environment_variable_manager',
  'deployment_protection_manager',
] as const;
export type PermissionGroup = (typeof permissionGroups)[number];

export const teamPermissions = [
  'team.members.invite',
  'team.members.roles.manage',
  'team.permission-groups.manage',
  'team.plan.manage',
  'team.settings.manage',
  'team.billing.manage',
  'team.usage.view',
  'team.logs.view',
  'team.view',
  'team.security.manage',
  'team.audit.view',
  'project.create',
] as const;
export type TeamPermission = (typeof teamPermissions)[number];

export const projectPermissions = [
  'project.view',
  'project.env.view',
  'project.logs.view',
  'project.deploy.preview',
  'project.deploy.production',
  'project.deploy.production.cli',
  'project.env.preview.manage',
  'project.env.production.manage',
  'project.environments.manage',
  'project.domains.manage',
  'project.settings.manage',
  'project.integrations.manage',
  'project.delete',
  'project.protection.manage',
  'project.firewall.manage',
  'project.members.manage',
] as const;
export type ProjectPermission = (typeof projectPermissions)[number];

export type Permission = TeamPermission | ProjectPermission;
export const permissions: readonly Permission[] = [...teamPermissions, ...projectPermissions];

export function isProjectPermission(permission: string): permission is ProjectPermission {
  return (projectPermissions as readonly string[]).includes(permission);
}

export interface PlanRules {
  teamRoles: readonly TeamRole[];
  /** Most members that may hold a role on this plan; absent means no limit. */
  roleLimits: Readonly<Partial<Record<TeamRole, number>>>;
  projectRoles: boolean;
  permissionGroups: boolean;
  /** Whether an identity provider may provision the team over SCIM (Directory Sync is an Enterprise feature). */
  directorySync: boolean;
}

/** POLICY.md "Plans and which team roles they allow". */
export const planRules: Readonly<Record<Plan, PlanRules>> = {
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
};

/** POLICY.md "Team roles → inherent project role on every project"; contributors get nothing inherent. */
export const inherentProjectRole: Readonly<Record<TeamRole, ProjectRole | null>> = {
  owner: 'project_admin',
  member: 'project_admin',
  developer: 'project_developer',
  security: 'project_viewer',
  billing: 'project_viewer',
  pro_viewer: 'project_viewer',
  enterprise_viewer: 'project_viewer',
  contributor: null,
};

/** POLICY.md "Project roles → permissions on that project" (the ✔ cells, without group-only cells). */
export const projectRolePermissions: Readonly<Record<ProjectRole, readonly ProjectPermission[]>> = {
  project_admin: [
    'project.view',
    'project.env.view',
    'project.logs.view',
    'project.deploy.preview',
    'project.deploy.production',
    'project.deploy.production.cli',
    'project.env.preview.manage',
    'project.env.production.manage',
    'project.domains.manage',
    'project.settings.manage',
    'project.integrations.manage',
    'project.delete',
    'project.protection.manage',
    'project.firewall.manage',
    'project.members.manage',
  ],
  project_developer: [
    'project.view',
    'project.env.view',
    'project.logs.view',
    'project.deploy.preview',
    'project.deploy.production',
    'project.env.preview.manage',
    'project.domains.manage',
  ],
  project_viewer: ['project.view', 'project.env.view', 'project.logs.view'],
};

/** Project permissions a team role adds on every project beyond its inherent project role. */
export const teamRoleProjectExtras: Readonly<Partial<Record<TeamRole, readonly ProjectPermission[]>>> = {
  owner: ['project.environments.manage'],
  security: ['project.protection.manage', 'project.firewall.manage'],
};

/** Project permissions a team role withholds from its inherent project role (Pro Viewer's restrictions). */
export const teamRoleProjectRestrictions: Readonly<Partial<Record<TeamRole, readonly ProjectPermission[]>>> = {
  pro_viewer: ['project.env.view', 'project.logs.view'],
};

/** POLICY.md "Team-level permissions" (role columns; group grants are in permissionGroupRules). */
export const teamRolePermissions: Readonly<Record<TeamRole, readonly TeamPermission[]>> = {
  owner: [...teamPermissions],
  member: ['team.settings.manage', 'team.logs.view', 'team.view', 'project.create'],
  developer: ['team.logs.view'],
  security: ['team.view', 'team.security.manage', 'team.audit.view'],
  billing: ['team.billing.manage'],
  pro_viewer: [],
  enterprise_viewer: ['team.view', 'team.logs.view', 'team.audit.view'],
  contributor: [],
};

export interface PermissionGroupRule {
  compatibleWith: readonly TeamRole[];
  includedIn: readonly TeamRole[];
  teamPermissions: readonly TeamPermission[];
  /** Granted on every project where the holder has a project role listed in `onProjectRoles`. */
  projectPermissions: readonly ProjectPermission[];
}

/** Project roles on which a group's project permissions take effect (a group never opens a project by itself). */
export const groupProjectRoles: readonly ProjectRole[] = ['project_admin', 'project_developer'];

/** POLICY.md "Permission groups" table, with the permission each group adds (from the project-role table). */
export const permissionGroupRules: Readonly<Record<PermissionGroup, PermissionGroupRule>> = {
  create_project: {
    compatibleWith: ['developer', 'contributor'],
    includedIn: ['owner', 'member'],
    teamPermissions: ['project.create'],
    projectPermissions: [],
  },
  full_production_deployment: {
    compatibleWith: ['developer', 'contributor'],
    includedIn: ['owner', 'member'],
    teamPermissions: [],
    projectPermissions: ['project.deploy.production.cli'],
  },
  usage_viewer: {
    compatibleWith: ['developer', 'security', 'billing', 'enterprise_viewer'],
    includedIn: ['owner'],
    teamPermissions: ['team.usage.view'],
    projectPermissions: [],
  },
  environment_manager: {
    compatibleWith: ['developer'],
    includedIn: ['owner'],
    teamPermissions: [],
    projectPermissions: ['project.environments.manage'],
  },
  environment_variable_manager: {
    compatibleWith: ['developer'],
    includedIn: ['owner', 'member'],
    teamPermissions: [],
    projectPermissions: ['project.env.production.manage'],
  },
  deployment_protection_manager: {
    compatibleWith: ['developer'],
    includedIn: ['owner', 'member'],
    teamPermissions: [],
    projectPermissions: ['project.protection.manage'],
  },
};

/** Grants a review treats as privileged (justification required on keep/revoke). */
export const privilegedTeamRoles: readonly TeamRole[] = ['owner', 'member', 'security'];
export const privilegedProjectRoles: readonly ProjectRole[] = ['project_admin'];
export const privilegedPermissionGroups: readonly PermissionGroup[] = [
  'full_production_deployment',
  'environment_variable_manager',
  'deployment_protection_manager',
];

export const vercelAuthenticationScopes = ['none', 'preview', 'all'] as const;
export type VercelAuthenticationScope = (typeof vercelAuthenticationScopes)[number];

/** Drains a team may have at once (`audit-drain.limit`): each is a delivery worker and an outbound connection. */
export const maxAuditDrainsPerTeam = 5;

/** Rule ids: every policy rejection names one. */
export const ruleIds = {
  planRoleAvailable: 'plan.role-available',
  planRoleLimit: 'plan.role-limit',
  planDowngradeConflict: 'plan.change-conflict',
  planProjectRoles: 'plan.project-roles-available',
  planPermissionGroups: 'plan.permission-groups-available',
  lastOwner: 'team.at-least-one-owner',
  projectRoleContributorOnly: 'project-role.contributor-only',
  groupIncompatible: 'permission-group.compatible-role',
  groupAlreadyIncluded: 'permission-group.not-already-included',
  groupAlreadyHeld: 'permission-group.not-already-held',
  groupNotHeld: 'permission-group.held',
  memberAlreadyInTeam: 'member.not-already-in-team',
  memberInTeam: 'member.in-team',
  projectExists: 'project.exists',
  projectIdFree: 'project.id-free',
  teamExists: 'team.exists',
  teamIdFree: 'team.id-free',
  projectRoleAssigned: 'project-role.assigned',
  ipBlockValidCidr: 'security.ip-block.valid-cidr',
  ipBlockPresent: 'security.ip-block.present',
  ipBlockAbsent: 'security.ip-block.absent',
  rateLimitValid: 'security.rate-limit.valid',
  rateLimitPresent: 'security.rate-limit.present',
  bypassTokenAbsent: 'security.bypass-token.absent',
  bypassTokenPresent: 'security.bypass-token.present',
  passwordProtectionEnabled: 'security.password-protection.enabled',
  planDirectorySync: 'plan.directory-sync-available',
  directoryConnected: 'directory-sync.connected',
  /** POLICY.md "Who acts, beyond people", directory row: what a directory (actor `scim:{directoryId}`) may do. */
  directoryIsConnected: 'directory.is-connected',
  directoryCommandAllowed: 'directory.command-allowed',
  directoryMappingRequired: 'directory.mapping-required',
  directoryOwnerNeedsMapping: 'directory.owner-needs-mapping',
  directoryProvisionedOnly: 'directory.provisioned-member-only',
  directoryOwnGrantsOnly: 'directory.own-grants-only',
  directoryMappingValid: 'directory-sync.mapping-valid',
  auditDrainExists: 'audit-drain.exists',
  auditDrainLimit: 'audit-drain.limit',
  auditDrainUrlFree: 'audit-drain.url-free',
} as const;
export type RuleId = (typeof ruleIds)[keyof typeof ruleIds];
