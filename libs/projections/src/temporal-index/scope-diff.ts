import type { EffectivePermission, Via } from '@access-audit/domain';
import type { PermissionRef } from '../model';
import { TEAM_LEVEL } from '../schema';

/** A member's grants by scope: team-level ones under TEAM_LEVEL, then each project's, in effectivePermissions order. */
export function grantsByScope(grants: readonly EffectivePermission[]): Map<string, EffectivePermission[]> {
  const scopes = new Map<string, EffectivePermission[]>();
  for (const grant of grants) {
    const scope = grant.projectId ?? TEAM_LEVEL;
    const held = scopes.get(scope);
    if (held) held.push(grant);
    else scopes.set(scope, [grant]);
  }
  return scopes;
}

/** Whether two grant lists of one scope hold the same permissions for the same reasons, in the same order. */
export function sameGrants(a: readonly EffectivePermission[], b: readonly EffectivePermission[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.permission !== b[i]!.permission || !sameVia(a[i]!.via, b[i]!.via)) return false;
  }
  return true;
}

/** Via entries are flat objects built by the domain in a fixed order. */
function sameVia(a: readonly Via[], b: readonly Via[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const left = a[i] as Record<string, unknown>;
    const right = b[i] as Record<string, unknown>;
    // Counted with for…in: no key arrays allocated on this hot path.
    let keys = 0;
    for (const key in left) {
      if (left[key] !== right[key]) return false;
      keys++;
    }
    for (const _key in right) keys--;
    if (keys !== 0) return false;
  }
  return true;
}

/** The permissions of `grants` (one scope) missing from `others` (the same scope), in order; a change of `via` is none. */
export function missingFrom(
  grants: readonly EffectivePermission[],
  others: readonly EffectivePermission[] | undefined,
  into: PermissionRef[],
): void {
  const kept = new Set(others?.map((grant) => grant.permission));
  for (const { permission, projectId } of grants) if (!kept.has(permission)) into.push({ permission, projectId });
}
