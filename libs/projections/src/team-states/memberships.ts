import type Database from 'better-sqlite3';

/** A page of teams in id order: the ids kept, and the id to continue after (null: none is left). */
export interface TeamIdsPage {
  teamIds: string[];
  nextAfter: string | null;
}

/**
 * The teams of a user (`team_memberships`, by user) or every projected team (`team_states`), in team id order, paged
 * after a team id: a user's list reads their rows only, never every team.
 */
export class TeamMembershipsReader {
  readonly #ofUser: Database.Statement<[string, string, number], string>;
  readonly #all: Database.Statement<[string, number], string>;

  constructor(db: Database.Database) {
    this.#ofUser = db
      .prepare<[string, string, number], string>(
        'SELECT team_id FROM team_memberships WHERE user_id = ? AND team_id > ? ORDER BY team_id LIMIT ?',
      )
      .pluck();
    this.#all = db
      .prepare<[string, number], string>('SELECT team_id FROM team_states WHERE team_id > ? ORDER BY team_id LIMIT ?')
      .pluck();
  }

  /**
   * Up to `limit` team ids after `after` that `keep` accepts: those of `userId`'s memberships, or (userId undefined)
   * every projected team. Rows `keep` refuses are read past in chunks, so a page is short only at the end.
   */
  page(
    userId: string | undefined,
    after: string | undefined,
    limit: number,
    keep: (teamId: string) => boolean,
  ): TeamIdsPage {
    const teamIds: string[] = [];
    // Every id sorts after '' (ids are non-empty).
    let from = after ?? '';
    for (;;) {
      const chunk = limit + 1 - teamIds.length;
      const rows = userId === undefined ? this.#all.all(from, chunk) : this.#ofUser.all(userId, from, chunk);
      for (const teamId of rows) if (keep(teamId)) teamIds.push(teamId);
      if (teamIds.length > limit) return { teamIds: teamIds.slice(0, limit), nextAfter: teamIds[limit - 1]! };
      if (rows.length < chunk) return { teamIds, nextAfter: null };
      from = rows[rows.length - 1]!;
    }
  }
}
