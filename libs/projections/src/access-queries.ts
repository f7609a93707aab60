import type { ActiveTeam, Permission, Via } from '@access-audit/domain';
import type { ChangesPage } from './member-history/reader';
import type { CheckAnswer, MemberHistoryEntry, MemberPermissionGrant, PermissionSelection } from './model';
import type { AccessProjection, AccessReaders } from './projection/projection';
import type { TeamIdsPage } from './team-states/memberships';
import type { TeamView } from './team-states/team-view';

/**
 * The answers of the query API, each from the read model that holds it: current answers from the team states in
 * memory, answers `at` an instant from the temporal index, timelines and the change feed from member history.
 */
export class AccessQueries {
  readonly #readers: AccessReaders;

  constructor(private readonly projection: AccessProjection) {
    this.#readers = projection.readers;
  }

  /** The position the read models reflect. */
  get position(): string | undefined {
    return this.projection.position;
  }

  /** The folded state of a team now, or undefined when no such team exists. */
  teamState(teamId: string): ActiveTeam | undefined {
    return this.#readers.teamStates.teamState(teamId);
  }

  teamView(teamId: string): TeamView | undefined {
    return this.#readers.teamStates.teamView(teamId);
  }

  check(teamId: string, userId: string, permission: Permission, projectId?: string, atMs?: number): CheckAnswer {
    return atMs === undefined
      ? this.#readers.teamStates.check(teamId, userId, permission, projectId)
      : this.#readers.temporalIndex.check(teamId, userId, permission, projectId, atMs);
  }

  /** Every effective permission of the selection (team-level ones, plus those on `projectId` or on every project). */
  permissions(teamId: string, selection: PermissionSelection = {}, atMs?: number): readonly MemberPermissionGrant[] {
    return atMs === undefined
      ? this.#readers.teamStates.permissions(teamId, selection)
      : this.#readers.temporalIndex.permissions(teamId, selection, atMs);
  }

  /** Who holds `permission` on the project, each with why. */
  projectAccess(
    teamId: string,
    projectId: string,
    permission: Permission,
    atMs?: number,
  ): Array<{ userId: string; via: Via[] }> {
    return atMs === undefined
      ? this.#readers.teamStates.projectAccess(teamId, projectId, permission)
      : this.#readers.temporalIndex.projectAccess(teamId, projectId, permission, atMs);
  }

  /** The member's access timeline in the team, oldest first, up to the instant when given. */
  memberHistory(teamId: string, userId: string, atMs?: number): MemberHistoryEntry[] {
    return this.#readers.memberHistory.history(teamId, userId, atMs);
  }

  /**
   * A page of the change feed after `after` (from the start when absent). The changes one event caused are never split
   * across pages, so a page may hold a few more than `limit`.
   */
  changes(options: { after?: string; teamId?: string; limit?: number } = {}): ChangesPage {
    return this.#readers.memberHistory.changes(options);
  }

  /**
   * The ids of `userId`'s teams (every projected team when undefined) after `after`, in id order, that `keep` accepts:
   * from the memberships-by-user read model, never a scan of every team for a user.
   */
  teamsPage(
    userId: string | undefined,
    options: { after?: string; limit: number; keep: (teamId: string) => boolean },
  ): TeamIdsPage {
    return this.#readers.memberships.page(userId, options.after, options.limit, options.keep);
  }
}
