import type Database from 'better-sqlite3';
import type { MemberHistoryEntry, PermissionChange } from '../model';
import { causeOf, parseChanges, PermissionNames, type MemberEvent } from './rows';

export interface ChangesPage {
  changes: PermissionChange[];
  /** Pass as `after` to read on; every change up to it has been considered. Absent when nothing is projected yet. */
  next?: string;
  hasMore: boolean;
}

/** An `after` position that this store did not issue. */
export class InvalidPositionError extends Error {
  constructor(readonly position: string) {
    super(`not a position of this event store: ${JSON.stringify(position.slice(0, 64))}`);
    this.name = 'InvalidPositionError';
  }
}

interface MemberEventRow {
  seq: number;
  position: string;
  team_id: string;
  user_id: string;
  entry_json: string;
  changes_json: string | null;
}

/** Member histories and the change feed, read from `member_events` (with their event) in log order. */
export class MemberHistoryReader {
  readonly #statements;
  readonly #names: PermissionNames;

  /** `reflected`: the position the read models reflect (a page read to the end resumes from there). */
  constructor(
    db: Database.Database,
    private readonly comparePositions: (a: string, b: string) => number,
    private readonly reflected: () => string | undefined,
  ) {
    const rows =
      'SELECT m.seq, e.position, m.team_id, m.user_id, e.entry_json, m.changes_json FROM member_events m ' +
      'JOIN history_events e ON e.seq = m.event_seq';
    this.#names = new PermissionNames(db);
    this.#statements = {
      history: db.prepare<[string, string, number], MemberEventRow>(
        `${rows} WHERE m.team_id = ? AND m.user_id = ? AND m.at_ms <= ? ORDER BY m.seq`,
      ),
      eventAtOrAfter: db.prepare<[number], { seq: number; position: string }>(
        'SELECT m.seq, e.position FROM member_events m JOIN history_events e ON e.seq = m.event_seq ' +
          'WHERE m.seq >= ? ORDER BY m.seq LIMIT 1',
      ),
      lastEventSeq: db.prepare<[], number | null>('SELECT MAX(seq) FROM member_events').pluck(),
      changesAfter: db.prepare<[number], MemberEventRow>(
        `${rows} WHERE m.seq > ? AND m.changes_json IS NOT NULL ORDER BY m.seq`,
      ),
      teamChangesAfter: db.prepare<[string, number], MemberEventRow>(
        `${rows} WHERE m.team_id = ? AND m.seq > ? AND m.changes_json IS NOT NULL ORDER BY m.seq`,
      ),
    };
  }

  /** The member's access timeline in the team, oldest first, up to the instant when given. */
  history(teamId: string, userId: string, atMs = Number.MAX_SAFE_INTEGER): MemberHistoryEntry[] {
    return this.#statements.history.all(teamId, userId, atMs).map((row) => {
      const event = JSON.parse(row.entry_json) as MemberEvent;
      return { position: row.position, ...event, ...parseChanges(row.changes_json, this.#names.nameOf) };
    });
  }

  /**
   * A page of the change feed after `after` (from the start when absent). The changes one event caused are never split
   * across pages, so a page may hold a few more than `limit`.
   */
  changes(options: { after?: string; teamId?: string; limit?: number } = {}): ChangesPage {
    const limit = Math.max(1, options.limit ?? 100);
    const fromSeq = options.after === undefined ? 0 : this.#lastSeqAtOrBefore(options.after);
    const rows =
      options.teamId === undefined
        ? this.#statements.changesAfter.iterate(fromSeq)
        : this.#statements.teamChangesAfter.iterate(options.teamId, fromSeq);
    const changes: PermissionChange[] = [];
    let hasMore = false;
    for (const row of rows) {
      const last = changes[changes.length - 1];
      if (changes.length >= limit && last && last.position !== row.position) {
        hasMore = true;
        break;
      }
      const cause = causeOf(row.position, JSON.parse(row.entry_json) as MemberEvent);
      const { granted, revoked } = parseChanges(row.changes_json, this.#names.nameOf);
      const base = { position: row.position, teamId: row.team_id, userId: row.user_id };
      for (const { projectId, permission } of revoked)
        changes.push({ ...base, projectId, permission, change: 'revoked', cause });
      for (const { projectId, permission } of granted)
        changes.push({ ...base, projectId, permission, change: 'granted', cause });
    }
    const next = hasMore ? changes[changes.length - 1]!.position : this.#later(this.reflected(), options.after);
    return { changes, hasMore, ...(next !== undefined ? { next } : {}) };
  }

  /** The tables were emptied: no permission id read holds. */
  forget(): void {
    this.#names.forget();
  }

  /** The later of two positions; `after` may be ahead of read models that are still catching up. */
  #later(reflected: string | undefined, after: string | undefined): string | undefined {
    if (reflected === undefined || after === undefined) return reflected ?? after;
    return this.comparePositions(after, reflected) > 0 ? after : reflected;
  }

  /** The sequence number of the last member event at or before the position (0 when none). */
  #lastSeqAtOrBefore(position: string): number {
    const compare = (stored: string): number => {
      try {
        return this.comparePositions(stored, position);
      } catch {
        throw new InvalidPositionError(position);
      }
    };
    let low = 0;
    let high = (this.#statements.lastEventSeq.get() ?? 0) + 1;
    if (high === 1) compare(position);
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      const row = this.#statements.eventAtOrAfter.get(middle);
      if (!row || row.seq >= high) high = middle;
      else if (compare(row.position) <= 0) low = row.seq;
      else high = row.seq;
    }
    return low;
  }
}
