import type Database from 'better-sqlite3';
import type { EffectivePermission, Permission, Via } from '@access-audit/domain';
import type { PermissionRef } from '../model';
import { OPEN_END } from '../schema';
import { grantsByScope, missingFrom, sameGrants } from './scope-diff';

/** What a `grant_sets` row holds: [[permission, via], ...]. */
export type StoredGrantSet = Array<[Permission, Via[]]>;

const grantSetJson = (grants: readonly EffectivePermission[]): string =>
  JSON.stringify(grants.map(({ permission, via }): [Permission, Via[]] => [permission, via]));

/** Where and when an event changes a member's intervals. */
export interface IntervalInstant {
  teamId: string;
  /** The event's effective time (ms). */
  atMs: number;
  position: string;
  /** Whether the team's previous event had this very instant. */
  sameInstant: boolean;
}

/** The permissions an event gained and lost a member, in the order `effectivePermissions` lists them. */
export interface GrantChanges {
  granted: PermissionRef[];
  revoked: PermissionRef[];
}

/** Grant set ids remembered from committed rows; forgotten wholesale beyond this many (they are looked up again). */
const grantSetCacheSize = 50_000;

/**
 * The temporal index: for each member and scope (team-level, or one project), the intervals during which they held one
 * set of grants (`grant_intervals`), each distinct set stored once (`grant_sets`). Grant set ids a batch inserts are
 * remembered only once its transaction commits.
 */
export class TemporalIndexWriter {
  readonly #grantSets = new Map<string, number>();
  readonly #batchGrantSets = new Map<string, number>();
  readonly #statements;

  constructor(db: Database.Database) {
    this.#statements = {
      grantSetId: db.prepare<[string], number>('SELECT id FROM grant_sets WHERE grants_json = ?').pluck(),
      insertGrantSet: db.prepare<[string]>('INSERT INTO grant_sets (grants_json) VALUES (?)'),
      openInterval: db.prepare<[string, string, string, number, number, number, string]>(
        'INSERT INTO grant_intervals (team_id, user_id, project_id, from_ms, to_ms, grants_id, from_position) ' +
          'VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      // A scope's open interval is the one that starts last: one seek down the primary key.
      closeOpenInterval: db.prepare<{ to: number; position: string; team: string; user: string; project: string }>(
        'UPDATE grant_intervals SET to_ms = @to, to_position = @position ' +
          'WHERE team_id = @team AND user_id = @user AND project_id = @project AND from_ms = ' +
          '(SELECT MAX(from_ms) FROM grant_intervals WHERE team_id = @team AND user_id = @user AND project_id = @project) ' +
          `AND to_ms = ${OPEN_END}`,
      ),
      deleteOpenIntervalFrom: db.prepare<[string, string, string, number]>(
        'DELETE FROM grant_intervals WHERE team_id = ? AND user_id = ? AND project_id = ? ' +
          `AND from_ms = ? AND to_ms = ${OPEN_END}`,
      ),
    };
  }

  /**
   * Ends and starts the member's intervals of each scope whose grants (or their via) changed; returns the permissions
   * gained and lost (a change of `via` alone is neither).
   */
  write(
    at: IntervalInstant,
    userId: string,
    before: readonly EffectivePermission[],
    after: readonly EffectivePermission[],
  ): GrantChanges {
    const granted: PermissionRef[] = [];
    const revoked: PermissionRef[] = [];
    const held = grantsByScope(before);
    const holds = grantsByScope(after);
    const unchanged = new Set<string>();
    for (const [scope, grants] of held) {
      const now = holds.get(scope);
      if (now && sameGrants(grants, now)) {
        unchanged.add(scope);
        continue;
      }
      this.#closeInterval(at, userId, scope);
      if (now) this.#openInterval(at, userId, scope, now);
      missingFrom(grants, now, revoked);
    }
    for (const [scope, grants] of holds) {
      if (unchanged.has(scope)) continue;
      const then = held.get(scope);
      if (!then) this.#openInterval(at, userId, scope, grants);
      missingFrom(grants, then, granted);
    }
    return { granted, revoked };
  }

  /** Starts a batch, dropping the grant set ids an uncommitted one inserted. */
  begin(): void {
    this.#batchGrantSets.clear();
  }

  /** Marks the batch so far, for `undo` to return to when one event's savepoint rolls back. */
  mark(): number {
    return this.#batchGrantSets.size;
  }

  undo(mark: number): void {
    for (const json of [...this.#batchGrantSets.keys()].slice(mark)) this.#batchGrantSets.delete(json);
  }

  /** The batch's transaction committed: its grant set ids hold. */
  commit(): void {
    for (const [json, id] of this.#batchGrantSets) this.#remember(json, id);
    this.#batchGrantSets.clear();
  }

  /** The tables were emptied: no remembered id holds. */
  forget(): void {
    this.#grantSets.clear();
    this.#batchGrantSets.clear();
  }

  #grantSetId(grants: readonly EffectivePermission[]): number {
    const json = grantSetJson(grants);
    const known = this.#grantSets.get(json) ?? this.#batchGrantSets.get(json);
    if (known !== undefined) return known;
    // Not in this batch, so a row found here was committed before it.
    const stored = this.#statements.grantSetId.get(json);
    if (stored !== undefined) {
      this.#remember(json, stored);
      return stored;
    }
    const id = Number(this.#statements.insertGrantSet.run(json).lastInsertRowid);
    this.#batchGrantSets.set(json, id);
    return id;
  }

  #remember(json: string, id: number): void {
    if (this.#grantSets.size >= grantSetCacheSize) this.#grantSets.clear();
    this.#grantSets.set(json, id);
  }

  #openInterval(at: IntervalInstant, userId: string, scope: string, grants: readonly EffectivePermission[]): void {
    const id = this.#grantSetId(grants);
    this.#statements.openInterval.run(at.teamId, userId, scope, at.atMs, OPEN_END, id, at.position);
  }

  #closeInterval(at: IntervalInstant, userId: string, scope: string): void {
    // An interval that would end at the instant it began held at no instant (events sharing one timestamp): drop it.
    // Only possible when the team's previous event had this very instant.
    if (
      at.sameInstant &&
      this.#statements.deleteOpenIntervalFrom.run(at.teamId, userId, scope, at.atMs).changes === 1
    ) {
      return;
    }
    const closed = this.#statements.closeOpenInterval.run({
      to: at.atMs,
      position: at.position,
      team: at.teamId,
      user: userId,
      project: scope,
    });
    if (closed.changes !== 1) throw new Error(`no open interval for ${at.teamId}/${userId}/${scope || '-'}`);
  }
}
