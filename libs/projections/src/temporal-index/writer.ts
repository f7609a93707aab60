import type Database from 'better-sqlite3';
import type { EffectivePermission, Permission, Via } from '@access-audit/domain';
import type { PermissionRef } from '../model';
import { OPEN_END } from '../schema';
import { BulkRows, InternedText } from '../projection/bulk-rows';
import type { GrantsByScope } from '../projection/member-grants';
import { missingFrom, sameGrants } from './scope-diff';

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

type KnownSets = Map<string, Array<{ grants: readonly EffectivePermission[]; id: number }>>;
/** Hints of grant lists remembered across batches; beyond this many, only the last batch's are kept. */
const knownSetHints = 10_000;

/** An interval this batch opened, not yet written: inserted at the end of the batch, closed or still open. */
interface OpenInterval {
  teamId: string;
  userId: string;
  scope: string;
  fromMs: number;
  grantsId: number;
  fromPosition: string;
}

const intervalColumns = [
  'team_id',
  'user_id',
  'project_id',
  'from_ms',
  'to_ms',
  'grants_id',
  'from_position',
  'to_position',
] as const;

/**
 * The temporal index: for each member and scope (team-level, or one project), the intervals during which they held one
 * set of grants (`grant_intervals`), each distinct set stored once (`grant_sets`). An interval the batch opens is kept
 * in memory and written once at the end of the batch (`flush`), already closed when the batch ended it, so most
 * intervals cost one row insert and no update; only intervals opened by an earlier batch are updated in place.
 * Grant set ids a batch inserts are remembered only once its transaction commits.
 */
export class TemporalIndexWriter {
  readonly #grantSets: InternedText;
  /** Grant lists met, by a cheap hint of their content, each with its set id: most opens meet a known set. */
  #knownSets: KnownSets = new Map();
  /** Those met by this batch, known only once it commits. */
  #batchSets: KnownSets = new Map();
  /** This batch's open intervals, by team, member and scope. */
  readonly #open = new Map<string, OpenInterval>();
  readonly #rows: BulkRows;
  readonly #statements;

  constructor(db: Database.Database) {
    this.#grantSets = new InternedText(db, 'grant_sets', 'grants_json');
    this.#rows = new BulkRows(db, 'grant_intervals', intervalColumns);
    this.#statements = {
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
   * Ends and starts the member's intervals of each scope whose grants (or their via) changed, from what they held to
   * what they hold (by scope, in `effectivePermissions` order); returns the permissions gained and lost (a change of
   * `via` alone is neither).
   */
  write(at: IntervalInstant, userId: string, held: GrantsByScope, holds: GrantsByScope): GrantChanges {
    const granted: PermissionRef[] = [];
    const revoked: PermissionRef[] = [];
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

  /** Inside the batch's transaction: writes the intervals the batch opened (closed or still open). */
  flush(): void {
    for (const open of this.#open.values()) this.#pushRow(open, OPEN_END, null);
    this.#open.clear();
    this.#rows.flush();
  }

  /** Starts a batch, dropping what an uncommitted one collected. */
  begin(): void {
    this.#grantSets.begin();
    this.#batchSets.clear();
    this.#open.clear();
    this.#rows.clear();
  }

  /** Marks the batch so far, for `undo` to return to when one event's savepoint rolls back (flushed after each event). */
  mark(): number {
    return this.#grantSets.mark();
  }

  undo(mark: number): void {
    this.#grantSets.undo(mark);
    this.#batchSets.clear();
    this.#open.clear();
    this.#rows.clear();
  }

  /** The batch's transaction committed: its grant set ids hold. */
  commit(): void {
    this.#grantSets.commit();
    if (this.#knownSets.size + this.#batchSets.size > knownSetHints) this.#knownSets = this.#batchSets;
    else
      for (const [hint, sets] of this.#batchSets)
        this.#knownSets.set(hint, [...(this.#knownSets.get(hint) ?? []), ...sets]);
    this.#batchSets = new Map();
  }

  /** The tables were emptied: no remembered id holds. */
  forget(): void {
    this.#grantSets.forget();
    this.#knownSets.clear();
    this.#batchSets.clear();
  }

  /** The id of the grant set, compared with the lists met before (no JSON) and only written out when new. */
  #grantSetId(scope: string, grants: readonly EffectivePermission[]): number {
    let vias = 0;
    for (const grant of grants) vias = vias * 31 + grant.via.length;
    const hint = `${scope}\u0000${grants.length}\u0000${vias}\u0000${grants[0]!.permission}\u0000${grants[grants.length - 1]!.permission}`;
    for (const candidate of this.#knownSets.get(hint) ?? [])
      if (sameGrants(candidate.grants, grants)) return candidate.id;
    let known = this.#batchSets.get(hint);
    if (known) {
      for (const candidate of known) if (sameGrants(candidate.grants, grants)) return candidate.id;
    } else {
      this.#batchSets.set(hint, (known = []));
    }
    const id = this.#grantSets.id(grantSetJson(grants));
    known.push({ grants, id });
    return id;
  }

  #pushRow(open: OpenInterval, toMs: number, toPosition: string | null): void {
    this.#rows.values.push(
      open.teamId,
      open.userId,
      open.scope,
      open.fromMs,
      toMs,
      open.grantsId,
      open.fromPosition,
      toPosition,
    );
  }

  #openInterval(at: IntervalInstant, userId: string, scope: string, grants: readonly EffectivePermission[]): void {
    const grantsId = this.#grantSetId(scope, grants);
    this.#open.set(intervalKey(at.teamId, userId, scope), {
      teamId: at.teamId,
      userId,
      scope,
      fromMs: at.atMs,
      grantsId,
      fromPosition: at.position,
    });
  }

  #closeInterval(at: IntervalInstant, userId: string, scope: string): void {
    const key = intervalKey(at.teamId, userId, scope);
    const open = this.#open.get(key);
    if (open) {
      this.#open.delete(key);
      // An interval that would end at the instant it began held at no instant (events sharing one timestamp): no row.
      if (open.fromMs !== at.atMs) this.#pushRow(open, at.atMs, at.position);
      return;
    }
    // Opened by an earlier batch. At the instant it began (only when the team's previous event had this very instant): drop it.
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

const intervalKey = (teamId: string, userId: string, scope: string): string => `${teamId}\u0000${userId}\u0000${scope}`;
