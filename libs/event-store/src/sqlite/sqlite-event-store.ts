import { EventEmitter } from 'node:events';
import Database from 'better-sqlite3';
import {
  WrongExpectedRevisionError,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type GlobalFilter,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from '../port';
import { CatchUpSubscription, type LogPage } from '../internal/catch-up-subscription';
import { GroupCommitter, type GroupCommitterOptions, type Settled } from '../internal/group-committer';
import { pagedEvents } from '../internal/paged-iterable';
import {
  DuplicateEventIdError,
  findOriginalAppend,
  type IdempotencyLookup,
  type StoredEventRef,
} from '../internal/idempotency';
import { compareSequencePositions, parseSequencePosition } from '../internal/sequence-positions';
import { expectationHolds, normalizeExpected, normalizeFilter, toJson, validateAppend } from '../internal/validation';
import { SQLITE_PRAGMAS, SQLITE_SCHEMA } from './schema';

export interface SqliteEventStoreOptions {
  /** How often an idle subscription looks for appends made by other processes. Default 200 ms. */
  pollIntervalMs?: number;
  /** Rows per query when reading the global log. Default 1000. */
  pageSize?: number;
  /**
   * Appends that arrive while a commit is in flight share the next transaction: at most `maxRequests` appends (default
   * 256) and `maxWeight` events (default 10,000) per transaction. `onGroup` is told each group's size.
   */
  groupCommit?: GroupCommitterOptions;
}

/** One append as it waits for its transaction: ids in lower case, data and metadata already JSON text. */
interface AppendRequest {
  streamId: string;
  events: Array<{ id: string; type: string; data: string; metadata: string }>;
  expected: ExpectedRevision;
}

type AppendRows = (streamId: string, events: AppendRequest['events'], expected: ExpectedRevision) => AppendResult;

/** Rows of the read paths, fetched as arrays (cheaper than objects) in the order of EVENT_COLUMNS. */
type EventRow = [
  position: number,
  streamId: string,
  revision: number,
  eventId: string,
  type: string,
  data: string,
  metadata: string,
  recordedAt: string,
];

interface RefRow {
  position: number;
  stream_id: string;
  revision: number;
  event_id: string;
  recorded_at: string;
}

const EVENT_COLUMNS = 'position, stream_id, revision, event_id, type, data, metadata, recorded_at';

/** Thrown inside the append transaction so it rolls back before the idempotency lookup. */
class EventIdTaken extends Error {
  constructor(readonly eventId: string) {
    super(`event id ${eventId} taken`);
  }
}

/** Durable embedded event store: one SQLite file in WAL mode, one table, one global sequence. */
export class SqliteEventStore implements EventStore {
  readonly kind = 'sqlite';
  readonly #db: Database.Database;
  readonly #pollIntervalMs: number;
  readonly #pageSize: number;
  readonly #appended = new EventEmitter().setMaxListeners(0);
  readonly #subscriptions = new Set<CatchUpSubscription>();
  readonly #pageStatements = new Map<string, Database.Statement<unknown[], EventRow>>();
  readonly #statements;
  readonly #appendTransaction;
  readonly #groupTransaction;
  readonly #committer: GroupCommitter<AppendRequest, AppendResult>;
  readonly #readPageTransaction;

  constructor(
    readonly path: string,
    options: SqliteEventStoreOptions = {},
  ) {
    this.#pollIntervalMs = options.pollIntervalMs ?? 200;
    this.#pageSize = options.pageSize ?? 1000;
    this.#db = new Database(path);
    for (const pragma of SQLITE_PRAGMAS) this.#db.pragma(pragma);
    this.#db.exec(SQLITE_SCHEMA);
    const db = this.#db;
    this.#statements = {
      lastRevision: db.prepare<[string], number | null>('SELECT MAX(revision) FROM events WHERE stream_id = ?').pluck(),
      insert: db.prepare<[string, number, string, string, string, string, string]>(
        'INSERT INTO events (stream_id, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      refById: db.prepare<[string], RefRow>(
        'SELECT position, stream_id, revision, event_id, recorded_at FROM events WHERE event_id = ?',
      ),
      refSlice: db.prepare<[string, number, number], RefRow>(
        'SELECT position, stream_id, revision, event_id, recorded_at FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?',
      ),
      readStream: db
        .prepare<[string, number, number], EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?`,
        )
        .raw(),
      lastPositionOfStream: db
        .prepare<[string], number>('SELECT position FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1')
        .pluck(),
      head: db.prepare<[], number | null>('SELECT MAX(position) FROM events').pluck(),
    };
    const appendRows: AppendRows = (streamId, events, expected) => {
      const expectation = normalizeExpected(expected);
      const actual = this.#statements.lastRevision.get(streamId) ?? -1;
      if (!expectationHolds(expectation, actual)) {
        const original = findOriginalAppend(streamId, events, expectation, this.#idempotencyLookup());
        if (original) return original;
        throw new WrongExpectedRevisionError(streamId, expected, actual);
      }
      if (events.length === 0) {
        const position = this.#statements.lastPositionOfStream.get(streamId) ?? this.#statements.head.get() ?? 0;
        return { streamRevision: actual, position: String(position), events: [] };
      }
      const recordedAt = new Date().toISOString();
      const appended: AppendResult['events'] = [];
      for (const event of events) {
        const revision = actual + appended.length + 1;
        let position: number | bigint;
        try {
          position = this.#statements.insert.run(
            streamId,
            revision,
            event.id,
            event.type,
            event.data,
            event.metadata,
            recordedAt,
          ).lastInsertRowid;
        } catch (error) {
          if (isUniqueViolation(error)) throw new EventIdTaken(event.id);
          throw error;
        }
        appended.push({ id: event.id, revision, position: String(position), recordedAt });
      }
      const last = appended[appended.length - 1];
      return { streamRevision: last.revision, position: last.position, events: appended };
    };
    this.#appendTransaction = db.transaction(appendRows);
    this.#groupTransaction = db.transaction((group: readonly AppendRequest[]): Array<Settled<AppendResult>> =>
      group.map((request) => {
        try {
          // One insert needs no SAVEPOINT: a failing statement undoes itself and the transaction stays open.
          const run = request.events.length <= 1 ? appendRows : this.#appendTransaction;
          return { ok: true, value: this.#appendOrRecall(request, run) };
        } catch (error) {
          // SQLite itself rolled the whole transaction back (I/O error, disk full): the group fails as one.
          if (!db.inTransaction) throw error;
          return { ok: false, error };
        }
      }),
    );
    this.#committer = new GroupCommitter((group) => this.#commitGroup(group), options.groupCommit);
    this.#readPageTransaction = db.transaction(
      (after: string | undefined, limit: number, filter: GlobalFilter): LogPage => {
        const events = this.#readEvents(after, limit, filter);
        if (events.length === limit) return { events, scannedThrough: events[events.length - 1].position };
        // Same snapshot as the page: nothing up to the head is left unread.
        const head = this.#statements.head.get();
        return { events, scannedThrough: head === null ? after : String(head) };
      },
    );
  }

  /** Committed at once when no commit is in flight, else in the next group; resolves after its transaction committed. */
  async append(streamId: string, events: EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    validateAppend(streamId, events, expected);
    const request: AppendRequest = {
      streamId,
      events: events.map((event) => ({
        id: event.id.toLowerCase(),
        type: event.type,
        data: toJson(event.data),
        metadata: toJson(event.metadata ?? {}),
      })),
      expected,
    };
    return this.#committer.submit(request, Math.max(1, request.events.length));
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const from = Math.max(0, options.fromRevision ?? 0);
    const limit = options.limit === undefined ? -1 : Math.max(0, options.limit);
    return this.#statements.readStream.all(streamId, from, limit).map(toRecordedEvent);
  }

  async streamRevision(streamId: string): Promise<number> {
    return this.#statements.lastRevision.get(streamId) ?? -1;
  }

  readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    const filter = normalizeFilter(options);
    return pagedEvents((after, limit) => this.#readEvents(after, limit, filter), {
      after: options.after,
      limit: options.limit,
      pageSize: this.#pageSize,
    });
  }

  subscribe(options: SubscribeOptions = {}): Subscription {
    const filter = normalizeFilter(options);
    const subscription = new CatchUpSubscription(
      {
        readPage: (after, limit) => this.#readPage(after, limit, filter),
        onAppend: (listener) => {
          this.#appended.on('appended', listener);
          return () => this.#appended.off('appended', listener);
        },
      },
      options.after,
      { pageSize: this.#pageSize, pollIntervalMs: this.#pollIntervalMs },
      (stopped) => this.#subscriptions.delete(stopped),
    );
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<string | undefined> {
    const head = this.#statements.head.get();
    return head === null ? undefined : String(head);
  }

  comparePositions(a: string, b: string): number {
    return compareSequencePositions(a, b);
  }

  /** Appends already waiting for a transaction are committed first. */
  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.stop()));
    await this.#committer.idle();
    if (this.#db.open) this.#db.close();
  }

  /** One transaction and one fsync for the group; a lone append skips the SAVEPOINT. Events are announced once committed. */
  #commitGroup(group: readonly AppendRequest[]): ReadonlyArray<Settled<AppendResult>> {
    if (!this.#db.open) throw new Error('the event store is closed');
    const outcomes: ReadonlyArray<Settled<AppendResult>> =
      group.length === 1 ? [this.#commitAlone(group[0])] : this.#groupTransaction.immediate(group);
    if (outcomes.some((outcome) => outcome.ok && outcome.value.events.length > 0)) this.#appended.emit('appended');
    return outcomes;
  }

  #commitAlone(request: AppendRequest): Settled<AppendResult> {
    try {
      return { ok: true, value: this.#appendOrRecall(request, this.#appendTransaction.immediate) };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /** Runs the append; when an event id is taken, the original append of these events if that is what this one repeats. */
  #appendOrRecall(request: AppendRequest, run: AppendRows): AppendResult {
    try {
      return run(request.streamId, request.events, request.expected);
    } catch (error) {
      if (!(error instanceof EventIdTaken)) throw error;
      const expected = normalizeExpected(request.expected);
      const original = findOriginalAppend(request.streamId, request.events, expected, this.#idempotencyLookup());
      if (original) return original;
      throw new DuplicateEventIdError(request.streamId, error.eventId);
    }
  }

  /** A subscription's page: read with the head in one snapshot, so it can skip past everything it has looked at. */
  #readPage(after: string | undefined, limit: number, filter: GlobalFilter): LogPage {
    if (!this.#db.open) throw new Error('the event store is closed');
    return this.#readPageTransaction.deferred(after, limit, filter);
  }

  #readEvents(after: string | undefined, limit: number, filter: GlobalFilter): RecordedEvent[] {
    const start = after === undefined ? 0 : parseSequencePosition(after);
    const { statement, parameters } = this.#pageQuery(filter);
    return statement.all(start, ...parameters, limit).map(toRecordedEvent);
  }

  /** One prepared statement per filter shape; the prefixes and types are bound as parameters. */
  #pageQuery(filter: GlobalFilter): { statement: Database.Statement<unknown[], EventRow>; parameters: string[] } {
    const prefixes = filter.streamPrefixes ?? [];
    const types = filter.eventTypes ?? [];
    const shape = `${prefixes.length}:${types.length}`;
    let statement = this.#pageStatements.get(shape);
    if (!statement) {
      const conditions = ['position > ?'];
      if (prefixes.length > 0) {
        conditions.push(`(${prefixes.map(() => 'substr(stream_id, 1, length(?)) = ?').join(' OR ')})`);
      }
      if (types.length > 0) conditions.push(`type IN (${types.map(() => '?').join(', ')})`);
      statement = this.#db
        .prepare<unknown[], EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM events WHERE ${conditions.join(' AND ')} ORDER BY position LIMIT ?`,
        )
        .raw();
      this.#pageStatements.set(shape, statement);
    }
    return { statement, parameters: [...prefixes.flatMap((prefix) => [prefix, prefix]), ...types] };
  }

  #idempotencyLookup(): IdempotencyLookup {
    return {
      findById: (eventId) => {
        const row = this.#statements.refById.get(eventId);
        return row && toRef(row);
      },
      streamSlice: (streamId, fromRevision, count) =>
        this.#statements.refSlice.all(streamId, fromRevision, count).map(toRef),
    };
  }
}

/** By code, not class: the native addon keeps the error class (and realm) of its first load when modules reload. */
function isUniqueViolation(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE'
  );
}

function toRef(row: RefRow): StoredEventRef {
  return {
    id: row.event_id,
    streamId: row.stream_id,
    revision: row.revision,
    position: String(row.position),
    recordedAt: row.recorded_at,
  };
}

function toRecordedEvent([
  position,
  streamId,
  revision,
  id,
  type,
  data,
  metadata,
  recordedAt,
]: EventRow): RecordedEvent {
  return {
    id,
    streamId,
    revision,
    position: String(position),
    type,
    data: JSON.parse(data) as unknown,
    metadata: JSON.parse(metadata) as EventMetadata,
    recordedAt,
  };
}
