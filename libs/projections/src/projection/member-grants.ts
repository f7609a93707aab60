import type { EffectivePermission } from '@access-audit/domain';
import { TEAM_LEVEL } from '../schema';

/** A member's grants by scope (TEAM_LEVEL first, then projects by id): what `grantsByScope` makes of `effectivePermissions`. */
export type GrantsByScope = ReadonlyMap<string, EffectivePermission[]>;

interface KnownGrants {
  /** Every scope is known (a scope absent from `grants` holds nothing); else only those in `known`. */
  complete: boolean;
  known: Set<string>;
  grants: Map<string, EffectivePermission[]>;
  /** A scope was set out of order since `grants` was last sorted. */
  unsorted: boolean;
}

const byScope = ([a]: [string, unknown], [b]: [string, unknown]): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The grants each member was last computed to hold, within one batch: the state before an event is the state after the
 * last event that could change them (an event changes only the permissions its scope names), so it is read from here
 * instead of being computed again from the previous team state. Forgotten at each batch and each rolled-back event.
 */
export class MemberGrants {
  readonly #members = new Map<string, KnownGrants>();

  /** The member's grants in the selection (every scope, or TEAM_LEVEL and one project), when known. */
  get(teamId: string, userId: string, projectId: string | undefined): GrantsByScope | undefined {
    const known = this.#members.get(memberKey(teamId, userId));
    if (!known) return undefined;
    if (projectId === undefined) {
      if (!known.complete) return undefined;
      if (known.unsorted) {
        known.grants = new Map([...known.grants].sort(byScope));
        known.unsorted = false;
      }
      return known.grants;
    }
    if (!known.complete && !(known.known.has(TEAM_LEVEL) && known.known.has(projectId))) return undefined;
    const selection = new Map<string, EffectivePermission[]>();
    for (const scope of [TEAM_LEVEL, projectId]) {
      const grants = known.grants.get(scope);
      if (grants) selection.set(scope, grants);
    }
    return selection;
  }

  /** What the member now holds in the selection. */
  set(teamId: string, userId: string, projectId: string | undefined, grants: GrantsByScope): void {
    const key = memberKey(teamId, userId);
    if (projectId === undefined) {
      this.#members.set(key, { complete: true, known: new Set(), grants: new Map(grants), unsorted: false });
      return;
    }
    let known = this.#members.get(key);
    if (!known)
      this.#members.set(key, (known = { complete: false, known: new Set(), grants: new Map(), unsorted: false }));
    for (const scope of [TEAM_LEVEL, projectId]) {
      const held = grants.get(scope);
      if (held) {
        if (!known.grants.has(scope)) known.unsorted = true;
        known.grants.set(scope, held);
      } else {
        known.grants.delete(scope);
      }
      if (!known.complete) known.known.add(scope);
    }
  }

  clear(): void {
    this.#members.clear();
  }
}

const memberKey = (teamId: string, userId: string): string => `${teamId}\u0000${userId}`;
