import Database from 'better-sqlite3';
import type { RecordedEvent } from '@access-audit/event-store';
import type { AuditQuarantine } from './audit-log';
import { auditEventTypes, auditStreamPrefix, type AuditCheckpoint, type AuditEntry } from './entry';

/** The filters of `GET /v1/teams/{teamId}/audit`. */
export interface AuditFilter {
  /** Entries whose actor is this user. */
  actor?: string;
  /** Entries about this user (their target). */
  subject?: string;
  projectId?: string;
  /** An action (`team.member.role.updated`) or a dotted prefix of actions (`team.member`, `project.security`). */
  type?: string;
  /** ISO-8601 instants, inclusive. */
  from?: string;
  to?: string;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_entries (
  team_id         TEXT    NOT NULL,
  stream_revision INTEGER NOT NULL,
  sequence        INTEGER NOT NULL,
  entry_id        TEXT    NOT NULL,
  kind            TEXT    NOT NULL,
  time            TEXT    NOT NULL,
  actor           TEXT    NOT NULL,
  action          TEXT    NOT NULL,
  subject         TEXT,
  project_id      TEXT,
  source_position TEXT,
  entry           TEXT    NOT NULL,
  PRIMARY KEY (team_id, stream_revision)
);
CREATE INDEX IF NOT EXISTS audit_entries_sequence ON audit_entries (team_id, sequence);
CREATE INDEX IF NOT EXISTS audit_entries_actor ON audit_entries (team_id, actor, sequence);
CREATE INDEX IF NOT EXISTS audit_entries_subject ON audit_entries (team_id, subject, sequence);
CREATE INDEX IF NOT EXISTS audit_entries_project ON audit_entries (team_id, project_id, sequence);
CREATE INDEX IF NOT EXISTS audit_entries_time ON audit_entries (team_id, time);
CREATE TABLE IF NOT EXISTS audit_checkpoints (
  team_id         TEXT    NOT NULL,
  stream_revision INTEGER NOT NULL,
  sequence        INTEGER NOT NULL,
  checkpoint      TEXT    NOT NULL,
  PRIMARY KEY (team_id, stream_revision)
);
CREATE TABLE IF NOT EXISTS audit_index_state (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

interface EntryRow {
  sequence: number;
  entry: string;
}

/** ISO-8601 instants compare as text once normalised to `toISOString()` form. */
export function normaliseInstant(value: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new RangeError(`not an ISO-8601 instant: ${value}`);
  return new Date(time).toISOString();
}

/**
 * The query index: a read model over the audit streams (`audit-*`), in SQLite. It can be deleted at any time and is rebuilt
 * from the streams; its checkpoint (the last audit-stream position it holds) is written in the same transaction as the
 * rows. It also keeps the highest source position among the entries it holds, which tells how far the audit log has got.
 */
export class AuditIndex {
  readonly #db: Database.Database;
  readonly #compare: (a: string, b: string) => number;
  readonly #statements;
  readonly #applyBatch: (events: RecordedEvent[]) => void;

  constructor(path: string, comparePositions: (a: string, b: string) => number) {
    this.#compare = comparePositions;
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('busy_timeout = 10000');
    this.#db.exec(SCHEMA);
    const db = this.#db;
    this.#statements = {
      insertEntry: db.prepare(
        `INSERT OR REPLACE INTO audit_entries
           (team_id, stream_revision, sequence, entry_id, kind, time, actor, action, subject, project_id, source_position, entry)
         VALUES (@teamId, @revision, @sequence, @id, @kind, @time, @actor, @action, @subject, @projectId, @sourcePosition, @entry)`,
      ),
      insertCheckpoint: db.prepare(
        'INSERT OR REPLACE INTO audit_checkpoints (team_id, stream_revision, sequence, checkpoint) VALUES (?, ?, ?, ?)',
      ),
      readState: db.prepare<[string], string>('SELECT value FROM audit_index_state WHERE key = ?').pluck(),
      writeState: db.prepare('INSERT OR REPLACE INTO audit_index_state (key, value) VALUES (?, ?)'),
    };
    this.#applyBatch = db.transaction((events: RecordedEvent[]) => {
      let maxSource = this.maxSourcePosition;
      for (const event of events) {
        if (!event.streamId.startsWith(auditStreamPrefix)) continue;
        if (event.type === auditEventTypes.checkpointSigned) {
          const checkpoint = event.data as AuditCheckpoint;
          this.#statements.insertCheckpoint.run(
            checkpoint.teamId,
            event.revision,
            checkpoint.sequence,
            JSON.stringify(checkpoint),
          );
        } else if (event.type === auditEventTypes.entryRecorded || event.type === auditEventTypes.accessDenied) {
          const entry = event.data as AuditEntry;
          const sourcePosition = entry.kind === 'change' ? entry.source.position : null;
          this.#statements.insertEntry.run({
            teamId: entry.teamId,
            revision: event.revision,
            sequence: entry.sequence,
            id: entry.id,
            kind: entry.kind,
            time: normaliseInstant(entry.time),
            actor: entry.actor,
            action: entry.action,
            subject: entry.target.userId ?? null,
            projectId: entry.target.projectId ?? null,
            sourcePosition,
            entry: JSON.stringify(entry),
          });
          if (sourcePosition !== null && (maxSource === undefined || this.#compare(sourcePosition, maxSource) > 0)) {
            maxSource = sourcePosition;
          }
        }
      }
      if (events.length > 0) this.#statements.writeState.run('position', events[events.length - 1].position);
      if (maxSource !== undefined) this.#statements.writeState.run('maxSourcePosition', maxSource);
    });
  }

  /** Position of the last audit-stream event indexed; undefined before the first. */
  get position(): string | undefined {
    return this.#statements.readState.get('position');
  }

  /** Highest global position of a source event whose entry is indexed. Teams are recorded concurrently, so an earlier
   * event of another team may still lack its entry: `recordedThrough` is the position that vouches for every one. */
  get maxSourcePosition(): string | undefined {
    return this.#statements.readState.get('maxSourcePosition');
  }

  /** Every audited event at or before it has its entry indexed (or its team quarantined); set by the projection. */
  get recordedThrough(): string | undefined {
    return this.#statements.readState.get('recordedThrough');
  }

  set recordedThrough(position: string) {
    this.#statements.writeState.run('recordedThrough', position);
  }

  /** The teams the audit log holds quarantined (kept here so that a restart reads the log again from before them). */
  get quarantined(): AuditQuarantine[] {
    const stored = this.#statements.readState.get('quarantine');
    return stored === undefined ? [] : (JSON.parse(stored) as AuditQuarantine[]);
  }

  set quarantined(teams: AuditQuarantine[]) {
    this.#statements.writeState.run('quarantine', JSON.stringify(teams));
  }

  /** Indexes events of the global log (anything but audit-stream events is ignored); idempotent. */
  apply(events: RecordedEvent[]): void {
    this.#applyBatch(events);
  }

  /** One page, oldest first. `cursor` comes from the previous page. */
  page(teamId: string, filter: AuditFilter, limit: number, cursor?: string): AuditPage {
    const after = cursor === undefined ? 0 : decodeCursor(cursor);
    const rows = this.#select(teamId, filter, after, limit + 1);
    const entries = rows.slice(0, limit).map((row) => JSON.parse(row.entry) as AuditEntry);
    const last = entries[entries.length - 1];
    return { entries, nextCursor: rows.length > limit && last ? encodeCursor(last.sequence) : null };
  }

  /** Every matching entry, oldest first, read page by page so memory stays bounded. */
  *entries(teamId: string, filter: AuditFilter, pageSize = 500): Generator<AuditEntry> {
    let after = 0;
    for (;;) {
      const rows = this.#select(teamId, filter, after, pageSize);
      for (const row of rows) yield JSON.parse(row.entry) as AuditEntry;
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1].sequence;
    }
  }

  /** Teams whose last indexed entry comes after their last indexed checkpoint (left unsigned, e.g. by a crash). */
  teamsWithUnsignedTail(): string[] {
    return this.#db
      .prepare<[], string>(
        `SELECT e.team_id FROM (SELECT team_id, MAX(sequence) AS head FROM audit_entries GROUP BY team_id) e
         LEFT JOIN (SELECT team_id, MAX(sequence) AS signed FROM audit_checkpoints GROUP BY team_id) c
           ON c.team_id = e.team_id
         WHERE c.signed IS NULL OR c.signed < e.head`,
      )
      .pluck()
      .all();
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #select(teamId: string, filter: AuditFilter, afterSequence: number, limit: number): EntryRow[] {
    const conditions = ['team_id = ?', 'sequence > ?'];
    const parameters: unknown[] = [teamId, afterSequence];
    if (filter.actor !== undefined) {
      conditions.push('actor = ?');
      parameters.push(filter.actor);
    }
    if (filter.subject !== undefined) {
      conditions.push('subject = ?');
      parameters.push(filter.subject);
    }
    if (filter.projectId !== undefined) {
      conditions.push('project_id = ?');
      parameters.push(filter.projectId);
    }
    if (filter.type !== undefined) {
      conditions.push("(action = ? OR substr(action, 1, length(?) + 1) = ? || '.')");
      parameters.push(filter.type, filter.type, filter.type);
    }
    if (filter.from !== undefined) {
      conditions.push('time >= ?');
      parameters.push(normaliseInstant(filter.from));
    }
    if (filter.to !== undefined) {
      conditions.push('time <= ?');
      parameters.push(normaliseInstant(filter.to));
    }
    parameters.push(limit);
    return this.#db
      .prepare<unknown[], EntryRow>(
        `SELECT sequence, entry FROM audit_entries WHERE ${conditions.join(' AND ')} ORDER BY sequence LIMIT ?`,
      )
      .all(...parameters);
  }
}

const encodeCursor = (sequence: number): string =>
  Buffer.from(JSON.stringify({ after: sequence })).toString('base64url');

export class InvalidCursorError extends Error {
  constructor() {
    super('the cursor is not one this API returned');
    this.name = 'InvalidCursorError';
  }
}

function decodeCursor(cursor: string): number {
  try {
    const { after } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof after === 'number' && Number.isSafeInteger(after) && after >= 0) return after;
  } catch {
    // falls through to the error below
  }
  throw new InvalidCursorError();
}
