import type { Permission } from '../policy/policy';
import { effectivePermissions } from './effective-permissions';
import type { TeamState } from './state';

/** A permission a user would gain (`granted`) or lose (`revoked`) between two states of a team. */
export interface EffectivePermissionChange {
  userId: string;
  /** null for team-level permissions. */
  projectId: string | null;
  permission: Permission;
  change: 'granted' | 'revoked';
}

const keyOf = (projectId: string | null, permission: Permission): string => JSON.stringify([projectId, permission]);

const sameKeys = (a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): boolean =>
  a === b || (a.size === b.size && [...a.keys()].every((key) => b.has(key)));

/**
 * Every effective permission that differs between `before` and `after`, per user (sorted by id): revoked ones, then
 * granted ones, each in `effectivePermissions` order. A user whose member state and the team's project ids are the same
 * in both states is skipped: `effectivePermissions` reads nothing else.
 */
export function permissionChanges(before: TeamState, after: TeamState): EffectivePermissionChange[] {
  const membersBefore = before.status === 'active' ? before.members : new Map<string, never>();
  const membersAfter = after.status === 'active' ? after.members : new Map<string, never>();
  const sameProjects =
    before.status === 'active' && after.status === 'active' && sameKeys(before.projects, after.projects);
  const userIds = [...new Set([...membersBefore.keys(), ...membersAfter.keys()])].sort();
  const changes: EffectivePermissionChange[] = [];
  for (const userId of userIds) {
    if (sameProjects && membersBefore.get(userId) === membersAfter.get(userId)) continue;
    const held = effectivePermissions(before, userId);
    const holds = effectivePermissions(after, userId);
    const heldKeys = new Set(held.map((p) => keyOf(p.projectId, p.permission)));
    const holdsKeys = new Set(holds.map((p) => keyOf(p.projectId, p.permission)));
    for (const { projectId, permission } of held)
      if (!holdsKeys.has(keyOf(projectId, permission)))
        changes.push({ userId, projectId, permission, change: 'revoked' });
    for (const { projectId, permission } of holds)
      if (!heldKeys.has(keyOf(projectId, permission)))
        changes.push({ userId, projectId, permission, change: 'granted' });
  }
  return changes;
}
