import {
  groupProjectRoles,
  inherentProjectRole,
  isProjectPermission,
  permissionGroupRules,
  projectPermissions,
  projectRolePermissions,
  teamPermissions,
  teamRolePermissions,
  teamRoleProjectExtras,
  teamRoleProjectRestrictions,
  type Permission,
  type PermissionGroup,
  type ProjectPermission,
  type ProjectRole,
  type TeamPermission,
  type TeamRole,
} from '../policy/policy';
import { heldGroups, type ActiveTeam, type MemberState, type TeamState } from './state';

/** Why a permission holds. */
export type Via =
  | { kind: 'team_role'; role: TeamRole; actsAs?: ProjectRole }
  | { kind: 'project_role'; role: ProjectRole; projectId: string }
  | { kind: 'permission_group'; group: PermissionGroup };

export interface EffectivePermission {
  permission: Permission;
  /** null for team-level permissions. */
  projectId: string | null;
  via: Via[];
}

/** The project role a member acts as on one project, and why. */
export function projectRoleOf(member: MemberState, projectId: string): { role: ProjectRole; via: Via } | undefined {
  const inherent = inherentProjectRole[member.role.value];
  if (inherent) return { role: inherent, via: { kind: 'team_role', role: member.role.value, actsAs: inherent } };
  const explicit = member.projectRoles.get(projectId);
  if (explicit) return { role: explicit.value, via: { kind: 'project_role', role: explicit.value, projectId } };
  return undefined;
}

function teamLevelVia(member: MemberState, groups: readonly PermissionGroup[], permission: TeamPermission): Via[] {
  const via: Via[] = [];
  if (teamRolePermissions[member.role.value].includes(permission))
    via.push({ kind: 'team_role', role: member.role.value });
  for (const group of groups) {
    if (permissionGroupRules[group].teamPermissions.includes(permission)) via.push({ kind: 'permission_group', group });
  }
  return via;
}

/** `acting` is `projectRoleOf(member, projectId)`, computed once by the caller for every permission it asks about. */
function projectLevelVia(
  member: MemberState,
  groups: readonly PermissionGroup[],
  acting: ReturnType<typeof projectRoleOf>,
  permission: ProjectPermission,
): Via[] {
  const via: Via[] = [];
  const teamRole = member.role.value;
  if (
    acting &&
    projectRolePermissions[acting.role].includes(permission) &&
    !(teamRoleProjectRestrictions[teamRole] ?? []).includes(permission)
  ) {
    via.push(acting.via);
  }
  if ((teamRoleProjectExtras[teamRole] ?? []).includes(permission)) via.push({ kind: 'team_role', role: teamRole });
  if (acting && groupProjectRoles.includes(acting.role)) {
    for (const group of groups) {
      if (permissionGroupRules[group].projectPermissions.includes(permission))
        via.push({ kind: 'permission_group', group });
    }
  }
  return via;
}

function activeMember(state: TeamState, userId: string): { team: ActiveTeam; member: MemberState } | undefined {
  if (state.status !== 'active') return undefined;
  const member = state.members.get(userId);
  return member ? { team: state, member } : undefined;
}

/**
 * Whether `userId` holds `permission` (on `projectId` for project permissions), with every reason it holds.
 * The one function behind command authorization, `/v1/check` and every read model.
 */
export function checkPermission(
  state: TeamState,
  userId: string,
  permission: Permission,
  projectId?: string,
): { allowed: boolean; via: Via[] } {
  const found = activeMember(state, userId);
  if (!found) return { allowed: false, via: [] };
  let via: Via[];
  if (isProjectPermission(permission)) {
    if (projectId === undefined || !found.team.projects.has(projectId)) return { allowed: false, via: [] };
    via = projectLevelVia(found.member, heldGroups(found.member), projectRoleOf(found.member, projectId), permission);
  } else {
    via = teamLevelVia(found.member, heldGroups(found.member), permission);
  }
  return { allowed: via.length > 0, via };
}

/**
 * Every permission a user holds in the team: team-level ones, plus project-level ones on `projectId`
 * (or on every project when it is omitted). Sorted by project then permission, in policy order.
 */
export function effectivePermissions(state: TeamState, userId: string, projectId?: string): EffectivePermission[] {
  const found = activeMember(state, userId);
  if (!found) return [];
  const { team, member } = found;
  const result: EffectivePermission[] = [];
  const groups = heldGroups(member);
  for (const permission of teamPermissions) {
    const via = teamLevelVia(member, groups, permission);
    if (via.length) result.push({ permission, projectId: null, via });
  }
  const projectIds =
    projectId === undefined ? [...team.projects.keys()].sort() : team.projects.has(projectId) ? [projectId] : [];
  for (const pid of projectIds) {
    const acting = projectRoleOf(member, pid);
    for (const permission of projectPermissions) {
      const via = projectLevelVia(member, groups, acting, permission);
      if (via.length) result.push({ permission, projectId: pid, via });
    }
  }
  return result;
}
