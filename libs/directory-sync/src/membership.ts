import { permissionGroupRules, teamRolesByRights, type PermissionGroup, type TeamRole } from '@access-audit/domain';

/** A directory user as the team side needs it: its fixed member userId and whether the directory keeps it active. */
export interface DirectoryUserView {
  scimId: string;
  memberUserId: string;
  active: boolean;
}

/** A directory group: its SCIM id, the names a mapping may match, and its members by SCIM user id. */
export interface DirectoryGroupView {
  scimId: string;
  displayName: string;
  externalId?: string;
  memberScimIds: readonly string[];
}

/** One row of the team's role mappings: a directory group (displayName or externalId) → a team role and/or groups. */
export interface DirectoryRoleMapping {
  group: string;
  role?: TeamRole;
  permissionGroups?: readonly PermissionGroup[];
}

/** What the mappings say one member should hold. */
export interface DesiredMember {
  role: TeamRole;
  permissionGroups: readonly PermissionGroup[];
}

const rightsRank = (role: TeamRole): number => teamRolesByRights.indexOf(role);

/** Whether a mapping names this group (by displayName or externalId, exactly as the directory sends them). */
export const mappingMatchesGroup = (mapping: DirectoryRoleMapping, group: DirectoryGroupView): boolean =>
  mapping.group === group.displayName || (group.externalId !== undefined && mapping.group === group.externalId);

/**
 * API.md: a user is a member when an active mapped group holds them; the mapping with the most rights wins, ties by order.
 * Role: the matching mapping whose role has the most rights (policy `teamRolesByRights`), the first such on a tie; a
 * mapping without a role only adds permission groups, so a user whom no role-bearing mapping holds is not a member.
 * Permission groups: the union over every matching mapping, keeping those the winning role may hold (a group the role
 * already includes or may not hold is left out), in policy order.
 */
export function desiredMembership(
  users: Iterable<DirectoryUserView>,
  groups: Iterable<DirectoryGroupView>,
  mappings: readonly DirectoryRoleMapping[],
): Map<string, DesiredMember> {
  const activeByScimId = new Map<string, DirectoryUserView>();
  for (const user of users) if (user.active) activeByScimId.set(user.scimId, user);

  // Per member userId: the winning role so far (with its mapping's order) and every matching mapping's groups.
  const found = new Map<string, { role?: TeamRole; order: number; groups: Set<PermissionGroup> }>();
  for (const group of groups) {
    const matching = mappings.map((m, order) => ({ m, order })).filter(({ m }) => mappingMatchesGroup(m, group));
    if (matching.length === 0) continue;
    for (const scimId of new Set(group.memberScimIds)) {
      const user = activeByScimId.get(scimId);
      if (!user) continue;
      const entry = found.get(user.memberUserId) ?? { order: Number.POSITIVE_INFINITY, groups: new Set() };
      for (const { m, order } of matching) {
        for (const g of m.permissionGroups ?? []) entry.groups.add(g);
        if (m.role === undefined) continue;
        const better =
          entry.role === undefined ||
          rightsRank(m.role) < rightsRank(entry.role) ||
          (rightsRank(m.role) === rightsRank(entry.role) && order < entry.order);
        if (better) {
          entry.role = m.role;
          entry.order = order;
        }
      }
      found.set(user.memberUserId, entry);
    }
  }

  const desired = new Map<string, DesiredMember>();
  for (const [userId, entry] of found) {
    const role = entry.role;
    if (role === undefined) continue;
    const permissionGroups = (Object.keys(permissionGroupRules) as PermissionGroup[]).filter(
      (g) => entry.groups.has(g) && permissionGroupRules[g].compatibleWith.includes(role),
    );
    desired.set(userId, { role, permissionGroups });
  }
  return desired;
}
