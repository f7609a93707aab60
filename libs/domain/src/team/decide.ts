import {
  permissionGroupRules,
  planRules,
  policyVersion,
  ruleIds,
  teamRoles,
  type Permission,
  type PermissionGroup,
  type Plan,
  type TeamRole,
} from '../policy/policy';
import { canonicalCidr } from './cidr';
import type {
  AddMember,
  AssignProjectRole,
  ChangePlan,
  ChangeProjectSecurity,
  ChangeTeamRole,
  CreateProject,
  CreateTeam,
  DeleteProject,
  GrantPermissionGroup,
  RemoveMember,
  RenameTeam,
  RevokePermissionGroup,
  RevokeProjectRole,
  SecurityChange,
  TeamCommand,
} from './commands';
import { checkPermission } from './effective-permissions';
import type { CascadeCause, ProjectSecurity, TeamEvent, TeamEventBase } from './events';
import type { Decision, Rejection } from './rejection';
import { assertNever, evolve, heldGroups, type ActiveTeam, type MemberState, type TeamState } from './state';

/** New projects start with these settings; they are recorded in ProjectCreated so replay never depends on code defaults. */
export const defaultProjectSecurity = (): ProjectSecurity => ({
  firewall: { enabled: false },
  ipBlocks: [],
  rateLimitRules: [],
  deploymentProtection: {
    vercelAuthentication: 'preview',
    passwordProtection: { enabled: false },
    bypassTokens: [],
  },
});

/** The permission a command needs from its actor, and on which project. `undefined`: any authenticated user. */
export interface RequiredPermission {
  permission: Permission;
  projectId?: string;
}

const firewallSettings: ReadonlySet<SecurityChange['setting']> = new Set([
  'firewall',
  'ipBlock.add',
  'ipBlock.remove',
  'rateLimitRule.set',
  'rateLimitRule.remove',
]);

export const permissionForSecurityChange = (change: SecurityChange): Permission =>
  firewallSettings.has(change.setting) ? 'project.firewall.manage' : 'project.protection.manage';

/** Every permission the actor must hold for the command (one per distinct need). */
export function requiredPermissions(command: TeamCommand): RequiredPermission[] {
  switch (command.type) {
    case 'CreateTeam':
      return [];
    case 'RenameTeam':
      return [{ permission: 'team.settings.manage' }];
    case 'ChangePlan':
      return [{ permission: 'team.plan.manage' }];
    case 'AddMember':
      return [{ permission: 'team.members.invite' }];
    case 'ChangeTeamRole':
      return [{ permission: 'team.members.roles.manage' }];
    case 'RemoveMember':
      // Leaving a team needs no right (interpretation: everyone may leave; the last owner still may not).
      return command.data.userId === command.metadata.actorId ? [] : [{ permission: 'team.members.roles.manage' }];
    case 'GrantPermissionGroup':
    case 'RevokePermissionGroup':
      return [{ permission: 'team.permission-groups.manage' }];
    case 'CreateProject':
      return [{ permission: 'project.create' }];
    case 'DeleteProject':
      return [{ permission: 'project.delete', projectId: command.data.projectId }];
    case 'AssignProjectRole':
    case 'RevokeProjectRole':
      return [{ permission: 'project.members.manage', projectId: command.data.projectId }];
    case 'ChangeProjectSecurity': {
      // Nothing to change still needs someone who sees the project: an outsider's empty request is refused, not a 200.
      if (command.data.changes.length === 0) return [{ permission: 'project.view', projectId: command.data.projectId }];
      const needed = new Set(command.data.changes.map(permissionForSecurityChange));
      return [...needed].sort().map((permission) => ({ permission, projectId: command.data.projectId }));
    }
    default:
      return assertNever(command);
  }
}

const reject = (rejection: Rejection): Decision<TeamEvent> => ({ ok: false, rejection });
const accept = (...events: TeamEvent[]): Decision<TeamEvent> => ({ ok: true, events });

const baseOf = (command: TeamCommand): TeamEventBase => ({
  teamId: command.teamId,
  actorId: command.metadata.actorId,
  occurredAt: command.metadata.now,
  ...(command.metadata.reason !== undefined ? { reason: command.metadata.reason } : {}),
  policyVersion,
});

const countRole = (team: ActiveTeam, role: TeamRole, except?: string): number =>
  [...team.members.values()].filter((m) => m.role.value === role && m.userId !== except).length;

function roleAllowedOnPlan(team: ActiveTeam, role: TeamRole, userId: string): Rejection | undefined {
  const rules = planRules[team.plan];
  if (!rules.teamRoles.includes(role)) {
    return {
      kind: 'policy',
      rule: ruleIds.planRoleAvailable,
      message: `the ${role} role is not available on the ${team.plan} plan (allowed: ${rules.teamRoles.join(', ')})`,
    };
  }
  const limit = rules.roleLimits[role];
  if (limit !== undefined && countRole(team, role, userId) + 1 > limit) {
    return {
      kind: 'policy',
      rule: ruleIds.planRoleLimit,
      message: `the ${team.plan} plan allows at most ${limit} member(s) with the ${role} role`,
    };
  }
  return undefined;
}

function memberOf(team: ActiveTeam, userId: string): MemberState | Rejection {
  return (
    team.members.get(userId) ?? {
      kind: 'not_found',
      rule: ruleIds.memberInTeam,
      message: `${userId} is not a member of team ${team.id}`,
    }
  );
}

const isRejection = (value: object): value is Rejection => 'kind' in value;

const lastOwnerRejection = (userId: string): Rejection => ({
  kind: 'policy',
  rule: ruleIds.lastOwner,
  message: `${userId} is the team's only owner; at least one owner must remain`,
});

function groupRefusal(role: TeamRole, group: PermissionGroup): Rejection | undefined {
  const rule = permissionGroupRules[group];
  if (rule.includedIn.includes(role)) {
    return {
      kind: 'policy',
      rule: ruleIds.groupAlreadyIncluded,
      message: `the ${role} role already includes the ${group} permission group`,
    };
  }
  if (!rule.compatibleWith.includes(role)) {
    return {
      kind: 'policy',
      rule: ruleIds.groupIncompatible,
      message: `the ${group} permission group may be granted only to: ${rule.compatibleWith.join(', ')} (not ${role})`,
    };
  }
  return undefined;
}

/** Events that end a member's explicit project roles and groups because of `cause`. */
function endGrants(
  command: TeamCommand,
  member: MemberState,
  cause: CascadeCause,
  keep: { group: (g: PermissionGroup) => boolean; projectRoles: boolean },
): TeamEvent[] {
  const base = baseOf(command);
  const events: TeamEvent[] = [];
  for (const group of heldGroups(member)) {
    if (keep.group(group)) continue;
    events.push({
      type: 'PermissionGroupRevoked',
      data: { ...base, userId: member.userId, group, before: { group }, after: null, cause },
    });
  }
  if (!keep.projectRoles) {
    for (const projectId of [...member.projectRoles.keys()].sort()) {
      events.push({
        type: 'ProjectRoleRevoked',
        data: {
          ...base,
          projectId,
          userId: member.userId,
          before: { role: member.projectRoles.get(projectId)!.value },
          after: null,
          cause,
        },
      });
    }
  }
  return events;
}

function createTeam(command: CreateTeam, state: TeamState): Decision<TeamEvent> {
  if (state.status === 'active') {
    return reject({ kind: 'conflict', rule: ruleIds.teamIdFree, message: `team ${command.teamId} already exists` });
  }
  return accept({
    type: 'TeamCreated',
    data: { ...baseOf(command), name: command.data.name, plan: command.data.plan, ownerId: command.metadata.actorId },
  });
}

function renameTeam(command: RenameTeam, team: ActiveTeam): Decision<TeamEvent> {
  if (team.name === command.data.name) return accept();
  return accept({
    type: 'TeamRenamed',
    data: { ...baseOf(command), before: { name: team.name }, after: { name: command.data.name } },
  });
}

/** Members and grants that the target plan would not allow; nothing is revoked silently. */
export function planChangeConflicts(
  team: ActiveTeam,
  plan: Plan,
): Array<{ userId: string; holds: string; message: string }> {
  const rules = planRules[plan];
  const conflicts: Array<{ userId: string; holds: string; message: string }> = [];
  for (const member of team.members.values()) {
    const role = member.role.value;
    if (!rules.teamRoles.includes(role)) {
      conflicts.push({ userId: member.userId, holds: role, message: `the ${role} role is not available on ${plan}` });
    }
    if (!rules.permissionGroups) {
      for (const group of heldGroups(member)) {
        conflicts.push({
          userId: member.userId,
          holds: group,
          message: `permission groups are not available on ${plan}`,
        });
      }
    }
    if (!rules.projectRoles) {
      for (const projectId of [...member.projectRoles.keys()]) {
        conflicts.push({
          userId: member.userId,
          holds: `${projectId}:${member.projectRoles.get(projectId)!.value}`,
          message: `project roles are not available on ${plan}`,
        });
      }
    }
  }
  for (const role of teamRoles) {
    const limit = rules.roleLimits[role];
    if (limit !== undefined && countRole(team, role) > limit) {
      conflicts.push({
        userId: '*',
        holds: role,
        message: `${plan} allows at most ${limit} member(s) with the ${role} role`,
      });
    }
  }
  return conflicts;
}

function changePlan(command: ChangePlan, team: ActiveTeam): Decision<TeamEvent> {
  const plan = command.data.plan;
  if (team.plan === plan) return accept();
  const conflicts = planChangeConflicts(team, plan);
  if (conflicts.length) {
    return reject({
      kind: 'policy',
      rule: ruleIds.planDowngradeConflict,
      message: `changing to ${plan} would leave ${conflicts.length} grant(s) the plan does not allow; change them first`,
      conflicts,
    });
  }
  return accept({
    type: 'TeamPlanChanged',
    data: { ...baseOf(command), before: { plan: team.plan }, after: { plan } },
  });
}

function addMember(command: AddMember, team: ActiveTeam): Decision<TeamEvent> {
  const { userId, role } = command.data;
  if (team.members.has(userId)) {
    return reject({ kind: 'policy', rule: ruleIds.memberAlreadyInTeam, message: `${userId} is already a member` });
  }
  const refusal = roleAllowedOnPlan(team, role, userId);
  if (refusal) return reject(refusal);
  return accept({ type: 'MemberAdded', data: { ...baseOf(command), userId, before: null, after: { role } } });
}

function changeTeamRole(command: ChangeTeamRole, team: ActiveTeam): Decision<TeamEvent> {
  const member = memberOf(team, command.data.userId);
  if (isRejection(member)) return reject(member);
  const from = member.role.value;
  const to = command.data.role;
  if (from === to) return accept();
  const refusal = roleAllowedOnPlan(team, to, member.userId);
  if (refusal) return reject(refusal);
  if (from === 'owner' && countRole(team, 'owner') === 1) return reject(lastOwnerRejection(member.userId));
  const changed: TeamEvent = {
    type: 'TeamRoleChanged',
    data: { ...baseOf(command), userId: member.userId, before: { role: from }, after: { role: to } },
  };
  const cascades = endGrants(
    command,
    member,
    { type: 'TeamRoleChanged', userId: member.userId, from, to },
    { group: (g) => groupRefusal(to, g) === undefined, projectRoles: to === 'contributor' },
  );
  return accept(changed, ...cascades);
}

function removeMember(command: RemoveMember, team: ActiveTeam): Decision<TeamEvent> {
  const member = memberOf(team, command.data.userId);
  if (isRejection(member)) return reject(member);
  if (member.role.value === 'owner' && countRole(team, 'owner') === 1) return reject(lastOwnerRejection(member.userId));
  const projectRoles = Object.fromEntries([...member.projectRoles].map(([p, g]) => [p, g.value]));
  const removed: TeamEvent = {
    type: 'MemberRemoved',
    data: {
      ...baseOf(command),
      userId: member.userId,
      before: { role: member.role.value, permissionGroups: heldGroups(member), projectRoles },
      after: null,
    },
  };
  const cascades = endGrants(
    command,
    member,
    { type: 'MemberRemoved', userId: member.userId },
    {
      group: () => false,
      projectRoles: false,
    },
  );
  return accept(removed, ...cascades);
}

function grantPermissionGroup(command: GrantPermissionGroup, team: ActiveTeam): Decision<TeamEvent> {
  const { userId, group } = command.data;
  if (!planRules[team.plan].permissionGroups) {
    return reject({
      kind: 'policy',
      rule: ruleIds.planPermissionGroups,
      message: `permission groups are not available on the ${team.plan} plan`,
    });
  }
  const member = memberOf(team, userId);
  if (isRejection(member)) return reject(member);
  if (member.permissionGroups.has(group)) return accept();
  const refusal = groupRefusal(member.role.value, group);
  if (refusal) return reject(refusal);
  return accept({
    type: 'PermissionGroupGranted',
    data: { ...baseOf(command), userId, group, before: null, after: { group } },
  });
}

function revokePermissionGroup(command: RevokePermissionGroup, team: ActiveTeam): Decision<TeamEvent> {
  const { userId, group } = command.data;
  const member = memberOf(team, userId);
  if (isRejection(member)) return reject(member);
  if (!member.permissionGroups.has(group)) {
    return reject({ kind: 'not_found', rule: ruleIds.groupNotHeld, message: `${userId} does not hold ${group}` });
  }
  return accept({
    type: 'PermissionGroupRevoked',
    data: { ...baseOf(command), userId, group, before: { group }, after: null },
  });
}

function createProject(command: CreateProject, team: ActiveTeam): Decision<TeamEvent> {
  const { projectId, name } = command.data;
  if (team.projects.has(projectId)) {
    return reject({ kind: 'conflict', rule: ruleIds.projectIdFree, message: `project ${projectId} already exists` });
  }
  return accept({
    type: 'ProjectCreated',
    data: { ...baseOf(command), projectId, name, security: defaultProjectSecurity() },
  });
}

function deleteProject(command: DeleteProject, team: ActiveTeam): Decision<TeamEvent> {
  const project = team.projects.get(command.data.projectId)!;
  const base = baseOf(command);
  const deleted: TeamEvent = {
    type: 'ProjectDeleted',
    data: { ...base, projectId: project.id, before: { name: project.name }, after: null },
  };
  const cause: CascadeCause = { type: 'ProjectDeleted', projectId: project.id };
  const cascades: TeamEvent[] = [...team.members.values()]
    .filter((m) => m.projectRoles.has(project.id))
    .sort((a, b) => a.userId.localeCompare(b.userId))
    .map((m) => ({
      type: 'ProjectRoleRevoked',
      data: {
        ...base,
        projectId: project.id,
        userId: m.userId,
        before: { role: m.projectRoles.get(project.id)!.value },
        after: null,
        cause,
      },
    }));
  return accept(deleted, ...cascades);
}

function assignProjectRole(command: AssignProjectRole, team: ActiveTeam): Decision<TeamEvent> {
  const { projectId, userId, role } = command.data;
  if (!planRules[team.plan].projectRoles) {
    return reject({
      kind: 'policy',
      rule: ruleIds.planProjectRoles,
      message: `project roles are not available on the ${team.plan} plan`,
    });
  }
  const member = memberOf(team, userId);
  if (isRejection(member)) return reject(member);
  if (member.role.value !== 'contributor') {
    return reject({
      kind: 'policy',
      rule: ruleIds.projectRoleContributorOnly,
      message: `only contributors hold project roles; ${userId} is ${member.role.value}`,
    });
  }
  const current = member.projectRoles.get(projectId);
  if (current?.value === role) return accept();
  return accept({
    type: 'ProjectRoleAssigned',
    data: {
      ...baseOf(command),
      projectId,
      userId,
      before: current ? { role: current.value } : null,
      after: { role },
    },
  });
}

function revokeProjectRole(command: RevokeProjectRole, team: ActiveTeam): Decision<TeamEvent> {
  const { projectId, userId } = command.data;
  const member = memberOf(team, userId);
  if (isRejection(member)) return reject(member);
  const current = member.projectRoles.get(projectId);
  if (!current) {
    return reject({
      kind: 'not_found',
      rule: ruleIds.projectRoleAssigned,
      message: `${userId} has no project role on ${projectId}`,
    });
  }
  return accept({
    type: 'ProjectRoleRevoked',
    data: { ...baseOf(command), projectId, userId, before: { role: current.value }, after: null },
  });
}

function decideSecurityChange(
  command: ChangeProjectSecurity,
  security: ProjectSecurity,
  change: SecurityChange,
  index: number,
): Decision<TeamEvent> {
  const base = { ...baseOf(command), projectId: command.data.projectId };
  const protection = security.deploymentProtection;
  switch (change.setting) {
    case 'firewall':
      if (security.firewall.enabled === change.enabled) return accept();
      return accept({
        type: 'FirewallChanged',
        data: { ...base, before: { enabled: security.firewall.enabled }, after: { enabled: change.enabled } },
      });
    case 'ipBlock.add': {
      const cidr = canonicalCidr(change.cidr);
      if (!cidr) {
        return reject({
          kind: 'invalid',
          field: `ipBlocks.add[${index}]`,
          rule: ruleIds.ipBlockValidCidr,
          message: `${JSON.stringify(change.cidr.slice(0, 64))} is not an IPv4 or IPv6 CIDR (e.g. 203.0.113.0/24, 2001:db8::/32)`,
        });
      }
      if (security.ipBlocks.includes(cidr)) return accept();
      return accept({ type: 'IpBlockAdded', data: { ...base, cidr, before: null, after: { cidr } } });
    }
    case 'ipBlock.remove': {
      const cidr = canonicalCidr(change.cidr) ?? change.cidr;
      if (!security.ipBlocks.includes(cidr)) {
        return reject({
          kind: 'not_found',
          rule: ruleIds.ipBlockPresent,
          message: `no IP block ${cidr} on this project`,
        });
      }
      return accept({ type: 'IpBlockRemoved', data: { ...base, cidr, before: { cidr }, after: null } });
    }
    case 'rateLimitRule.set': {
      const rule = change.rule;
      const invalid = rateLimitRuleProblem(rule);
      if (invalid) {
        return reject({
          kind: 'invalid',
          field: `rateLimitRules.set[${index}].${invalid.field}`,
          rule: ruleIds.rateLimitValid,
          message: invalid.message,
        });
      }
      const before = security.rateLimitRules.find((r) => r.id === rule.id) ?? null;
      if (
        before &&
        before.path === rule.path &&
        before.limit === rule.limit &&
        before.windowSeconds === rule.windowSeconds
      ) {
        return accept();
      }
      const after = { id: rule.id, path: rule.path, limit: rule.limit, windowSeconds: rule.windowSeconds };
      return accept({ type: 'RateLimitRuleSet', data: { ...base, ruleId: rule.id, before, after } });
    }
    case 'rateLimitRule.remove': {
      const before = security.rateLimitRules.find((r) => r.id === change.ruleId);
      if (!before) {
        return reject({
          kind: 'not_found',
          rule: ruleIds.rateLimitPresent,
          message: `no rate-limit rule ${change.ruleId}`,
        });
      }
      return accept({ type: 'RateLimitRuleRemoved', data: { ...base, ruleId: change.ruleId, before, after: null } });
    }
    case 'vercelAuthentication':
      if (protection.vercelAuthentication === change.scope) return accept();
      return accept({
        type: 'VercelAuthenticationChanged',
        data: { ...base, before: { scope: protection.vercelAuthentication }, after: { scope: change.scope } },
      });
    case 'passwordProtection':
      if (protection.passwordProtection.enabled === change.enabled) return accept();
      return accept({
        type: 'PasswordProtectionChanged',
        data: {
          ...base,
          before: { enabled: protection.passwordProtection.enabled },
          after: { enabled: change.enabled },
        },
      });
    case 'passwordProtection.rotate':
      if (!protection.passwordProtection.enabled) {
        return reject({
          kind: 'policy',
          rule: ruleIds.passwordProtectionEnabled,
          message: 'password protection is off; there is no password to rotate',
        });
      }
      return accept({
        type: 'PasswordRotated',
        data: {
          ...base,
          before: { rotatedAt: protection.passwordProtection.rotatedAt ?? null },
          after: { rotatedAt: command.metadata.now },
        },
      });
    case 'bypassToken.record': {
      if (protection.bypassTokens.some((t) => t.tokenId === change.tokenId)) {
        return reject({
          kind: 'policy',
          rule: ruleIds.bypassTokenAbsent,
          message: `bypass token ${change.tokenId} is already recorded`,
        });
      }
      const fingerprint = change.fingerprint !== undefined ? { fingerprint: change.fingerprint } : {};
      return accept({
        type: 'BypassTokenRecorded',
        data: {
          ...base,
          tokenId: change.tokenId,
          ...fingerprint,
          ...(change.note !== undefined ? { note: change.note } : {}),
          before: null,
          after: { tokenId: change.tokenId, ...fingerprint },
        },
      });
    }
    case 'bypassToken.revoke': {
      const token = protection.bypassTokens.find((t) => t.tokenId === change.tokenId);
      if (!token) {
        return reject({
          kind: 'not_found',
          rule: ruleIds.bypassTokenPresent,
          message: `no bypass token ${change.tokenId}`,
        });
      }
      const fingerprint = token.fingerprint !== undefined ? { fingerprint: token.fingerprint } : {};
      return accept({
        type: 'BypassTokenRevoked',
        data: { ...base, tokenId: change.tokenId, before: { tokenId: change.tokenId, ...fingerprint }, after: null },
      });
    }
    default:
      return assertNever(change);
  }
}

function rateLimitRuleProblem(rule: { id: string; path: string; limit: number; windowSeconds: number }) {
  if (!rule.id) return { field: 'id', message: 'a rate-limit rule needs an id' };
  if (!rule.path.startsWith('/')) return { field: 'path', message: 'the path pattern must start with /' };
  if (!Number.isInteger(rule.limit) || rule.limit < 1)
    return { field: 'limit', message: 'limit must be a positive integer' };
  if (!Number.isInteger(rule.windowSeconds) || rule.windowSeconds < 1 || rule.windowSeconds > 86_400) {
    return { field: 'windowSeconds', message: 'windowSeconds must be an integer from 1 to 86400' };
  }
  return undefined;
}

/** Applies the changes in order, all or nothing: one event per setting that actually changes. */
function changeProjectSecurity(command: ChangeProjectSecurity, team: ActiveTeam): Decision<TeamEvent> {
  const events: TeamEvent[] = [];
  let state: TeamState = team;
  // A refused value is named by its place in its own list of the request body (`ipBlocks.add[0]`), not in `changes`.
  const perSetting = new Map<SecurityChange['setting'], number>();
  for (const change of command.data.changes) {
    const index = perSetting.get(change.setting) ?? 0;
    perSetting.set(change.setting, index + 1);
    const project = (state as ActiveTeam).projects.get(command.data.projectId)!;
    const decision = decideSecurityChange(command, project.security, change, index);
    if (!decision.ok) return decision;
    events.push(...decision.events);
    state = decision.events.reduce(evolve, state);
  }
  return accept(...events);
}

function authorize(command: TeamCommand, team: ActiveTeam): Rejection | undefined {
  for (const need of requiredPermissions(command)) {
    if (!checkPermission(team, command.metadata.actorId, need.permission, need.projectId).allowed) {
      const where = need.projectId ? ` on project ${need.projectId}` : '';
      return {
        kind: 'forbidden',
        permission: need.permission,
        ...(need.projectId ? { projectId: need.projectId } : {}),
        message: `${command.metadata.actorId} lacks ${need.permission}${where}`,
      };
    }
  }
  return undefined;
}

const projectIdOf = (command: TeamCommand): string | undefined => {
  switch (command.type) {
    case 'DeleteProject':
    case 'AssignProjectRole':
    case 'RevokeProjectRole':
    case 'ChangeProjectSecurity':
      return command.data.projectId;
    default:
      return undefined;
  }
};

/**
 * Decides a team command: the events it causes, or why it is refused.
 * Order of checks: the team exists (404), the project named exists (404), the actor holds the permission (403),
 * then the policy rules (422).
 */
export function decide(command: TeamCommand, state: TeamState): Decision<TeamEvent> {
  if (command.type === 'CreateTeam') return createTeam(command, state);
  if (state.status !== 'active') {
    return reject({ kind: 'not_found', rule: ruleIds.teamExists, message: `team ${command.teamId} does not exist` });
  }
  const team = state;
  const projectId = projectIdOf(command);
  if (projectId !== undefined && !team.projects.has(projectId)) {
    return reject({ kind: 'not_found', rule: ruleIds.projectExists, message: `project ${projectId} does not exist` });
  }
  const forbidden = authorize(command, team);
  if (forbidden) return reject(forbidden);
  switch (command.type) {
    case 'RenameTeam':
      return renameTeam(command, team);
    case 'ChangePlan':
      return changePlan(command, team);
    case 'AddMember':
      return addMember(command, team);
    case 'ChangeTeamRole':
      return changeTeamRole(command, team);
    case 'RemoveMember':
      return removeMember(command, team);
    case 'GrantPermissionGroup':
      return grantPermissionGroup(command, team);
    case 'RevokePermissionGroup':
      return revokePermissionGroup(command, team);
    case 'CreateProject':
      return createProject(command, team);
    case 'DeleteProject':
      return deleteProject(command, team);
    case 'AssignProjectRole':
      return assignProjectRole(command, team);
    case 'RevokeProjectRole':
      return revokeProjectRole(command, team);
    case 'ChangeProjectSecurity':
      return changeProjectSecurity(command, team);
    default:
      return assertNever(command);
  }
}

/** The team aggregate as an Emmett-style decider. */
export const teamDecider = {
  initialState: (): TeamState => ({ status: 'none' }),
  evolve,
  decide,
};
