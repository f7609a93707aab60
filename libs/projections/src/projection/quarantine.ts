import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@access-audit/event-store';

/**
 * A team whose read models stopped at an event that could not be applied (a poison event): its later events are skipped
 * and its queries refused, while every other team's read models move on. Names the event, never its data.
 */
export interface QuarantinedTeam {
  teamId: string;
  event: { id: string; type: string; position: string; streamRevision: number };
}

/** A team quarantined by the batch being applied, with why its event failed. */
export interface NewlyQuarantined {
  team: QuarantinedTeam;
  error: unknown;
}

/** SQLite errors an event's own content can cause (a key it makes collide, a value too big): retrying cannot help. */
const eventCausedSqliteErrors: ReadonlySet<string> = new Set([
  'SQLITE_CONSTRAINT_PRIMARYKEY',
  'SQLITE_CONSTRAINT_UNIQUE',
  'SQLITE_CONSTRAINT_NOTNULL',
  'SQLITE_MISMATCH',
  'SQLITE_TOOBIG',
]);

/**
 * A failure of the read-model database itself (busy, full, I/O…): no event is to blame, so the batch is retried whole.
 * Known by its code: the addon's SqliteError class need not be the one this module instance sees.
 */
export function isStorageFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') && !eventCausedSqliteErrors.has(code);
}

type QuarantineRow = {
  team_id: string;
  event_id: string;
  event_type: string;
  position: string;
  stream_revision: number;
};

/**
 * The quarantined teams: the committed ones in memory (loaded from `quarantined_teams`), and those the batch in progress
 * adds, whose rows go in with that batch's transaction and which count only once it commits.
 */
export class QuarantinedTeams {
  readonly #committed = new Map<string, QuarantinedTeam>();
  readonly #pending = new Map<string, NewlyQuarantined>();
  readonly #read: Database.Statement<[], QuarantineRow>;
  readonly #insert: Database.Statement<[string, string, string, string, number]>;

  constructor(db: Database.Database) {
    this.#read = db.prepare<[], QuarantineRow>(
      'SELECT team_id, event_id, event_type, position, stream_revision FROM quarantined_teams',
    );
    this.#insert = db.prepare<[string, string, string, string, number]>(
      'INSERT INTO quarantined_teams (team_id, event_id, event_type, position, stream_revision) VALUES (?, ?, ?, ?, ?)',
    );
  }

  /** Why the team's read models are not to be answered from, if they are quarantined. */
  get(teamId: string): QuarantinedTeam | undefined {
    return this.#committed.get(teamId);
  }

  all(): QuarantinedTeam[] {
    return [...this.#committed.values()];
  }

  /** Whether the team is quarantined, by a committed batch or by the one in progress. */
  has(teamId: string): boolean {
    return this.#committed.has(teamId) || this.#pending.has(teamId);
  }

  /** Quarantines the team at `event`, in the batch in progress. */
  add(teamId: string, event: RecordedEvent, error: unknown): void {
    const team: QuarantinedTeam = {
      teamId,
      event: { id: event.id, type: event.type, position: event.position, streamRevision: event.revision },
    };
    this.#insert.run(teamId, event.id, event.type, event.position, event.revision);
    this.#pending.set(teamId, { team, error });
  }

  /** Starts a batch, dropping what an uncommitted one added. */
  begin(): void {
    this.#pending.clear();
  }

  /** The teams the batch in progress quarantined. */
  pending(): NewlyQuarantined[] {
    return [...this.#pending.values()];
  }

  /** The batch's transaction committed: its quarantines hold. */
  commit(): void {
    for (const [teamId, { team }] of this.#pending) this.#committed.set(teamId, team);
    this.begin();
  }

  load(): void {
    this.#committed.clear();
    this.#pending.clear();
    for (const row of this.#read.iterate()) {
      this.#committed.set(row.team_id, {
        teamId: row.team_id,
        event: { id: row.event_id, type: row.event_type, position: row.position, streamRevision: row.stream_revision },
      });
    }
  }
}
