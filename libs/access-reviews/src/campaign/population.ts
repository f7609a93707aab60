import { createHash } from 'node:crypto';
import {
  privilegedPermissionGroups,
  privilegedProjectRoles,
  privilegedTeamRoles,
  type ActiveTeam,
  type PermissionGroup,
  type ProjectRole,
  type TeamRole,
  type TeamState,
} from '@access-audit/domain';
import { canonicalJson } from '@access-audit/audit';

/** Which grants a campaign reviews. */
export type ReviewScope =
  /** Every grant in the team. */
  | { kind: 'team' }
  /** The explicit (contributor) project roles on these projects; inherent access comes from team roles, reviewed by role. */
  | { kind: 'projects'; projectIds: string[] }
  /** Members holding one of these team roles: their team role, permission groups and project roles. */
  | { kind: 'roles'; roles: TeamRole[] };

interface GrantFields {
  /** Stable within the team: the same grant always has the same id. */
  itemId: string;
  userId: string;
  grantedBy: string;
  grantedAt: string;
  /** A keep or revoke needs a justification (the domain's privileged roles and groups). */
  privileged: boolean;
}

/** One grant under review, as it was in the team stream when the campaign opened. */
export type PopulationItem =
  | (GrantFields & { kind: 'team_role'; role: TeamRole })
  | (GrantFields & { kind: 'project_role'; projectId: string; role: ProjectRole })
  | (GrantFields & { kind: 'permission_group'; group: PermissionGroup });

export type PopulationItemKind = PopulationItem['kind'];

export interface PopulationDigest {
  algorithm: 'sha256';
  /** Lowercase hex SHA-256 of the canonical JSON (RFC 8785, as the audit chain's) of the items, in itemId order. */
  value: string;
}

const itemIdOf = (kind: PopulationItemKind, ...parts: string[]): string =>
  [kind, ...parts.map(encodeURIComponent)].join(':');

export const teamRoleItemId = (userId: string): string => itemIdOf('team_role', userId);
export const projectRoleItemId = (userId: string, projectId: string): string =>
  itemIdOf('project_role', userId, projectId);
export const permissionGroupItemId = (userId: string, group: PermissionGroup): string =>
  itemIdOf('permission_group', userId, group);

/** The user (and project) an item id names, read back from the id alone. */
export function itemSubject(itemId: string): { userId?: string; projectId?: string } {
  let parts: string[];
  try {
    parts = itemId.split(':').map(decodeURIComponent);
  } catch {
    return {};
  }
  const [kind, userId, detail] = parts;
  if (!userId) return {};
  return kind === 'project_role' && detail ? { userId, projectId: detail } : { userId };
}

const byItemId = (a: PopulationItem, b: PopulationItem): number =>
  a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0;

/** Every grant of `team` that `scope` covers, in itemId order. */
export function snapshotPopulation(team: ActiveTeam, scope: ReviewScope): PopulationItem[] {
  const items: PopulationItem[] = [];
  for (const member of team.members.values()) {
    const inRoleScope = scope.kind !== 'roles' || scope.roles.includes(member.role.value);
    if (!inRoleScope) continue;
    if (scope.kind !== 'projects') {
      const { value: role, grantedBy, grantedAt } = member.role;
      items.push({
        itemId: teamRoleItemId(member.userId),
        kind: 'team_role',
        userId: member.userId,
        role,
        grantedBy,
        grantedAt,
        privileged: privilegedTeamRoles.includes(role),
      });
      for (const grant of member.permissionGroups.values()) {
        if (!grant) continue;
        items.push({
          itemId: permissionGroupItemId(member.userId, grant.value),
          kind: 'permission_group',
          userId: member.userId,
          group: grant.value,
          grantedBy: grant.grantedBy,
          grantedAt: grant.grantedAt,
          privileged: privilegedPermissionGroups.includes(grant.value),
        });
      }
    }
    for (const [projectId, grant] of member.projectRoles) {
      if (scope.kind === 'projects' && !scope.projectIds.includes(projectId)) continue;
      items.push({
        itemId: projectRoleItemId(member.userId, projectId),
        kind: 'project_role',
        userId: member.userId,
        projectId,
        role: grant.value,
        grantedBy: grant.grantedBy,
        grantedAt: grant.grantedAt,
        privileged: privilegedProjectRoles.includes(grant.value),
      });
    }
  }
  return items.sort(byItemId);
}

/** SHA-256 of the canonical population, so an auditor can check that nobody was added, changed or left out. */
export function populationDigest(items: readonly PopulationItem[]): PopulationDigest {
  const canonical = canonicalJson([...items].sort(byItemId));
  return { algorithm: 'sha256', value: createHash('sha256').update(canonical, 'utf8').digest('hex') };
}

/** The grant an item names as it is in `team` now, or null when it no longer exists. */
export function currentGrant(
  team: TeamState,
  item: PopulationItem,
): { value: string; grantedBy: string; grantedAt: string } | null {
  if (team.status !== 'active') return null;
  const member = team.members.get(item.userId);
  if (!member) return null;
  switch (item.kind) {
    case 'team_role':
      return member.role;
    case 'project_role':
      return member.projectRoles.get(item.projectId) ?? null;
    case 'permission_group':
      return member.permissionGroups.get(item.group) ?? null;
  }
}

const grantedValueOf = (item: PopulationItem): string => (item.kind === 'permission_group' ? item.group : item.role);

/** Whether the grant is still exactly the one snapshotted: same value, same granter, same grant time. */
export function unchangedSinceSnapshot(team: TeamState, item: PopulationItem): boolean {
  const now = currentGrant(team, item);
  return (
    now !== null &&
    now.value === grantedValueOf(item) &&
    now.grantedBy === item.grantedBy &&
    now.grantedAt === item.grantedAt
  );
}
