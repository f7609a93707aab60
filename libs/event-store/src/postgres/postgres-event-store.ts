import { EventEmitter } from 'node:events';
import { Pool, type PoolClient, type PoolConfig } from 'pg';
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
import { DuplicateEventIdError, findOriginalAppend, type StoredEventRef } from '../internal/idempotency';
import { expectationHolds, normalizeExpected, normalizeFilter, toJson, validateAppend } from '../internal/validation';
import { AppendNotifications } from './append-notifications';
import { inTransactionUnderAdvisoryLock } from './advisory-lock';
import { poolConfig } from './connection';
import {
  POSTGRES_START,
  comparePostgresPositions,
  decodePostgresPosition,
  encodePostgresPosition,
} from './postgres-positions';
import {
  EVENTS_TABLE,
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  MIGRATIONS_TABLE,
  MIGRATION_LOCK_KEY,
  MINIMUM_SERVER_VERSION,
  SCHEMA,
} from './schema';

export interface PostgresEventStoreOptions {
  /** How often an idle subscription looks for appends when no notification came. Default 500 ms. */
  pollIntervalMs?: number;
  /** Rows per query when reading the global log. Default 1000. */
  pageSize?: number;
  /**
   * How long `readAll` waits for transactions older than the newest committed event to end, so that it never ends
   * before an event that will commit below it. Default 30 s; then it throws.
   */
  horizonTimeoutMs?: number;
  /** Told about errors of idle pooled connections and of the LISTEN connection (which reconnects by itself). */
  onConnectionError?: (error: unknown) => void;
}

/** Connections of the pool live subscriptions read over, opened when a subscription first reads. */
const SUBSCRIPTION_CONNECTIONS = 2;
/** Longest wait before a live subscription reads again after a connection-level failure. */
const MAX_READ_RETRY_DELAY_MS = 5000;
const START = encodePostgresPosition(POSTGRES_START.transactionId, POSTGRES_START.sequence);
const EVENT_COLUMNS = 'transaction_id, position, stream_id, revision, event_id, type, data, metadata, recorded_at';
/** recorded_at as ISO-8601 text (milliseconds, UTC), formatted by the server: no Date parsed and printed per event. */
const RECORDED_AT_ISO = `to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/** EVENT_COLUMNS as the read paths select them. */
const EVENT_SELECT = EVENT_COLUMNS.replace('recorded_at', `${RECORDED_AT_ISO} AS recorded_at`);

/** Rows of the read paths as arrays, in the order of EVENT_COLUMNS (xid8 and bigint arrive as text). */
type EventRow = [
  transactionId: string,
  position: string,
  streamId: string,
  revision: string,
  eventId: string,
  type: string,
  data: unknown,
  metadata: EventMetadata,
  recordedAt: string,
];

/** A page row is an event (0), the last position below the horizon (1) or the newest committed position (2). */
type PageRow = [kind: number, ...EventRow];

/** A page of the log below the horizon, the last position below it, and the newest committed position. */
interface HorizonPage {
  events: RecordedEvent[];
  scannedThrough: string | undefined;
  head: string | undefined;
}

interface AppendedRow {
  transaction_id: string;
  position: string;
  revision: string;
  event_id: string;
  recorded_at: string;
}

interface PreparedAppend {
  streamId: string;
  ids: string[];
  types: string[];
  data: string[];
  metadata: string[];
  expected: ExpectedRevision;
}

const APPEND_SQL = `
WITH last AS (SELECT coalesce(max(revision), -1) AS revision FROM ${EVENTS_TABLE} WHERE stream_id = $1)
INSERT INTO ${EVENTS_TABLE} (stream_id, revision, event_id, type, data, metadata)
SELECT $1, last.revision + e.ordinality, e.event_id, e.type, e.data, e.metadata
FROM last, unnest($2::uuid[], $3::text[], $4::json[], $5::json[]) WITH ORDINALITY AS e(event_id, type, data, metadata, ordinality)
WHERE $6::bigint IS NULL OR last.revision = $6::bigint
ORDER BY e.ordinality
RETURNING transaction_id, position, revision, event_id, ${RECORDED_AT_ISO} AS recorded_at`;

const STATEMENTS = {
  lastOfStream: `SELECT ${EVENT_SELECT} FROM ${EVENTS_TABLE} WHERE stream_id = $1 ORDER BY revision DESC LIMIT 1`,
  streamRevision: `SELECT coalesce(max(revision), -1) AS revision FROM ${EVENTS_TABLE} WHERE stream_id = $1`,
  readStream: `SELECT ${EVENT_SELECT} FROM ${EVENTS_TABLE} WHERE stream_id = $1 AND revision >= $2 ORDER BY revision LIMIT $3`,
  head: `SELECT transaction_id, position FROM ${EVENTS_TABLE} ORDER BY transaction_id DESC, position DESC LIMIT 1`,
  /** The events of this stream from where the first of these ids is stored in it, for the idempotency check. */
  storedFrom: `SELECT event_id, stream_id, revision, transaction_id, position, ${RECORDED_AT_ISO} AS recorded_at FROM ${EVENTS_TABLE}
    WHERE stream_id = $1 AND revision >= (SELECT revision FROM ${EVENTS_TABLE} WHERE event_id = $2 AND stream_id = $1)
    ORDER BY revision LIMIT $3`,
  takenId: `SELECT event_id FROM ${EVENTS_TABLE} WHERE event_id = ANY($1::uuid[]) LIMIT 1`,
} as const;

/**
 * Event store on PostgreSQL (pg): one table, one row per event, the global order (writing transaction, sequence)
 * read only below the snapshot's xmin, so no reader passes an event that has yet to commit. Instances sharing the
 * database behave as one store; concurrent appends are concurrent transactions, which PostgreSQL commits in groups.
 */
export class PostgresEventStore implements EventStore {
  readonly kind = 'postgres';
  readonly #pool: Pool;
  /** Live subscriptions read over their own connections, so they never queue behind appends for the pool's. */
  readonly #subscriptionPool: Pool;
  readonly #pollIntervalMs: number;
  readonly #pageSize: number;
  readonly #horizonTimeoutMs: number;
  readonly #appended = new EventEmitter().setMaxListeners(0);
  readonly #notifications: AppendNotifications;
  readonly #subscriptions = new Set<CatchUpSubscription>();
  readonly #pageQueries = new Map<string, string>();
  /** Pool connections opened at start (the pool's `min`). */
  readonly #warmConnections: number;
  readonly #onConnectionError: (error: unknown) => void;
  #closed: Promise<void> | undefined;

  private constructor(config: PoolConfig, options: PostgresEventStoreOptions) {
    this.#warmConnections = config.min ?? 0;
    this.#pollIntervalMs = options.pollIntervalMs ?? 500;
    this.#pageSize = options.pageSize ?? 1000;
    this.#horizonTimeoutMs = options.horizonTimeoutMs ?? 30_000;
    const onError = options.onConnectionError ?? (() => undefined);
    this.#onConnectionError = onError;
    this.#pool = new Pool(config);
    // An idle client's error (server restart, network) is reported here and that client discarded; without a
    // listener it would crash the process.
    this.#pool.on('error', onError);
    this.#subscriptionPool = new Pool({ ...config, max: SUBSCRIPTION_CONNECTIONS, min: 0 });
    this.#subscriptionPool.on('error', onError);
    this.#notifications = new AppendNotifications(config, onError);
  }

  /** Connects, checks the server version and brings the schema up to date before returning. */
  static async open(connectionString: string, options: PostgresEventStoreOptions = {}): Promise<PostgresEventStore> {
    const store = new PostgresEventStore(poolConfig(connectionString), options);
    try {
      await store.#migrate();
      await store.#checkTransactionCounter();
      await store.#warmUp();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /** The schema version this database is at. */
  async schemaVersion(): Promise<number> {
    const { rows } = await this.#pool.query<{ version: number | null }>(
      `SELECT max(version) AS version FROM ${MIGRATIONS_TABLE}`,
    );
    return rows[0]?.version ?? 0;
  }

  async append(streamId: string, events: EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    validateAppend(streamId, events, expected);
    const expectation = normalizeExpected(expected);
    if (events.length === 0) return this.#emptyAppend(streamId, expectation, expected);
    const request: PreparedAppend = {
      streamId,
      ids: events.map((event) => event.id.toLowerCase()),
      types: events.map((event) => event.type),
      data: events.map((event) => toJson(event.data)),
      metadata: events.map((event) => toJson(event.metadata ?? {})),
      expected,
    };
    const checked = expectation === 'any' ? null : expectation === 'no_stream' ? -1 : expectation;
    for (;;) {
      let conflict: 'revision' | 'event_id' | undefined;
      try {
        const { rows } = await this.#pool.query<AppendedRow>({
          name: 'access-audit-append',
          text: APPEND_SQL,
          values: [streamId, request.ids, request.types, request.data, request.metadata, checked],
        });
        if (rows.length > 0) {
          this.#announce();
          return toAppendResult(rows);
        }
      } catch (error) {
        conflict = uniqueViolation(error);
        if (conflict === undefined) throw error;
      }
      // The expectation did not hold, or a concurrent append took the revision or an id: this one appended nothing.
      const outcome = await this.#afterRefusal(request, expectation, conflict);
      if (outcome !== 'retry') return outcome;
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const from = Math.max(0, options.fromRevision ?? 0);
    const limit = options.limit === undefined ? null : Math.max(0, options.limit);
    const { rows } = await this.#pool.query<EventRow>({
      name: 'access-audit-read-stream',
      text: STATEMENTS.readStream,
      values: [streamId, from, limit],
      rowMode: 'array',
    });
    return rows.map((row) => toRecordedEvent(row));
  }

  async streamRevision(streamId: string): Promise<number> {
    const { rows } = await this.#pool.query<{ revision: string }>({
      name: 'access-audit-stream-revision',
      text: STATEMENTS.streamRevision,
      values: [streamId],
    });
    return Number(rows[0].revision);
  }

  /**
   * The log below the horizon, page by page, the next page fetched while this one is consumed. Before ending it waits
   * until every transaction that could still commit an event before the newest one seen at the start has ended, so
   * nothing committed before the call is left out.
   */
  readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    const filter = normalizeFilter(options);
    return { [Symbol.asyncIterator]: () => this.#logReader(options, filter) };
  }

  subscribe(options: SubscribeOptions = {}): Subscription {
    const filter = normalizeFilter(options);
    if (options.after !== undefined) decodePostgresPosition(options.after);
    const prefetched = new PrefetchedPage<HorizonPage>();
    const subscription: CatchUpSubscription = new CatchUpSubscription(
      {
        readPage: async (after, limit): Promise<LogPage> => {
          const read = (from: string | undefined) => this.#readPage(from, limit, filter, this.#subscriptionPool);
          const page = await this.#untilReachable(
            () => prefetched.take(after, () => read(after)),
            () => subscription.stopped,
          );
          // Catching up: the next page is fetched while this one is delivered.
          if (page.events.length === limit) {
            const next = page.events[page.events.length - 1].position;
            prefetched.put(next, read(next));
          }
          const unreadableBeyond =
            page.head !== undefined &&
            (page.scannedThrough === undefined || comparePostgresPositions(page.head, page.scannedThrough) > 0);
          return { events: page.events, scannedThrough: page.scannedThrough ?? after, unreadableBeyond };
        },
        onAppend: (listener) => {
          this.#appended.on('appended', listener);
          const unlisten = this.#notifications.onAppend(listener);
          return () => {
            this.#appended.off('appended', listener);
            unlisten();
          };
        },
      },
      options.after,
      { pageSize: this.#pageSize, pollIntervalMs: this.#pollIntervalMs },
      (stopped) => this.#subscriptions.delete(stopped),
    );
    this.#subscriptions.add(subscription);
    return subscription;
  }

  /** The newest committed event's position, also when an older transaction still keeps it from readers. */
  async headPosition(): Promise<string | undefined> {
    const { rows } = await this.#pool.query<[string, string]>({
      name: 'access-audit-head',
      text: STATEMENTS.head,
      rowMode: 'array',
    });
    return rows.length === 0 ? undefined : encodePostgresPosition(rows[0][0], rows[0][1]);
  }

  comparePositions(a: string, b: string): number {
    return comparePostgresPositions(a, b);
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      await Promise.all([...this.#subscriptions].map((subscription) => subscription.stop()));
      await this.#notifications.close();
      await Promise.all([this.#pool.end(), this.#subscriptionPool.end()]);
    })();
    return this.#closed;
  }

  /** readAll's iterator: hand-written (an async generator costs several promises per event), one page ahead. */
  #logReader(options: ReadAllOptions, filter: GlobalFilter): AsyncIterator<RecordedEvent> {
    const finished: IteratorResult<RecordedEvent> = { done: true, value: undefined };
    let after = options.after;
    let remaining = options.limit ?? Number.POSITIVE_INFINITY;
    let exhausted = remaining <= 0;
    let page: RecordedEvent[] = [];
    let index = 0;
    let started = false;
    let target: string | undefined;
    let deadline = 0;
    const prefetched = new PrefetchedPage<HorizonPage>();
    const fetch = (from: string | undefined): Promise<HorizonPage> =>
      this.#readPage(from, Math.min(this.#pageSize, remaining), filter);
    const reached = (position: string | undefined): boolean =>
      target === undefined || (position !== undefined && comparePostgresPositions(position, target) >= 0);
    /** Loads the next non-empty page; false at the end of the log. */
    const fill = async (): Promise<boolean> => {
      if (after !== undefined) decodePostgresPosition(after);
      let waitMs = 1;
      for (;;) {
        const size = Math.min(this.#pageSize, remaining);
        const current = await prefetched.take(after, () => fetch(after));
        if (!started) {
          started = true;
          target = current.head;
          deadline = Date.now() + this.#horizonTimeoutMs;
        }
        if (current.events.length > 0) {
          page = current.events;
          index = 0;
          remaining -= page.length;
          after = page[page.length - 1].position;
          if (remaining <= 0) exhausted = true;
          else if (page.length === size) prefetched.put(after, fetch(after));
          else {
            after = laterOf(after, current.scannedThrough);
            if (reached(after)) exhausted = true;
          }
          return true;
        }
        after = laterOf(after, current.scannedThrough);
        if (reached(after)) return false;
        if (Date.now() >= deadline) {
          throw new Error(
            `the global log cannot be read to its end: a transaction older than its newest event has been open for over ${this.#horizonTimeoutMs} ms`,
          );
        }
        await sleep(waitMs);
        waitMs = Math.min(waitMs * 2, 50);
      }
    };
    return {
      next: (): Promise<IteratorResult<RecordedEvent>> => {
        if (index < page.length) return Promise.resolve({ done: false, value: page[index++] });
        if (exhausted) return Promise.resolve(finished);
        return fill().then(
          (more) => {
            if (!more) {
              exhausted = true;
              return finished;
            }
            return { done: false, value: page[index++] };
          },
          (error: unknown) => {
            exhausted = true;
            throw error;
          },
        );
      },
      return: (): Promise<IteratorResult<RecordedEvent>> => {
        exhausted = true;
        page = [];
        index = 0;
        prefetched.clear();
        return Promise.resolve(finished);
      },
    };
  }

  /** One transaction under the migration lock: instances starting together apply each migration exactly once. */
  async #migrate(): Promise<void> {
    await inTransactionUnderAdvisoryLock(
      this.#pool,
      MIGRATION_LOCK_KEY,
      (client) => this.#applyMigrations(client),
      async (client) => {
        const { rows: version } = await client.query<{ version: number }>(
          "SELECT current_setting('server_version_num')::int AS version",
        );
        if (version[0].version < MINIMUM_SERVER_VERSION) {
          throw new Error(
            `the PostgreSQL event store needs PostgreSQL 14 or later (server_version_num ${version[0].version})`,
          );
        }
      },
    );
  }

  async #applyMigrations(client: PoolClient): Promise<void> {
    const { rows: schema } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [SCHEMA]);
    // Checked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when the schema exists.
    if (schema.length === 0) await client.query(`CREATE SCHEMA ${SCHEMA}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
         version     integer     PRIMARY KEY,
         description text        NOT NULL,
         applied_at  timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await client.query<{ version: number | null }>(
      `SELECT max(version) AS version FROM ${MIGRATIONS_TABLE}`,
    );
    const current = rows[0]?.version ?? 0;
    if (current > LATEST_SCHEMA_VERSION) {
      throw new Error(
        `the event store's schema is at version ${current}, newer than this build knows (${LATEST_SCHEMA_VERSION}): upgrade the application`,
      );
    }
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      await client.query(migration.sql);
      await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, description) VALUES ($1, $2)`, [
        migration.version,
        migration.description,
      ]);
    }
  }

  /**
   * Refuses a table whose events carry transaction ids this server has yet to reach (a logical dump restored, or a
   * logical replica promoted, on another cluster): its appends would sort before events already read, and readers
   * would wait for the server to pass the copied ids, so subscriptions would skip the new events or stall.
   */
  async #checkTransactionCounter(): Promise<void> {
    const { rows } = await this.#pool.query<{ ahead: boolean }>(
      `SELECT max(transaction_id) >= pg_snapshot_xmax(pg_current_snapshot()) AS ahead
       FROM (SELECT transaction_id FROM ${EVENTS_TABLE} ORDER BY transaction_id DESC, position DESC LIMIT 1) newest`,
    );
    if (rows[0]?.ahead === true) {
      throw new Error(
        "the event store's events carry transaction ids beyond this PostgreSQL server's counter (the database was copied from another cluster by a logical dump or logical replication), so the global order would skip new events: move it with a physical backup, a physical replica or pg_upgrade, which keep the counter",
      );
    }
  }

  /** Opens the pool's `min` connections now, so the first concurrent requests do not each wait for a new connection. */
  async #warmUp(): Promise<void> {
    const clients = await Promise.all(Array.from({ length: this.#warmConnections }, () => this.#pool.connect()));
    for (const client of clients) client.release();
  }

  /**
   * `read()` again after a connection-level failure (a server restart or failover, a dropped connection), reported and
   * waited out, so a live subscription outlives it; any other error, or one after `stopped()`, is thrown.
   */
  async #untilReachable<T>(read: () => Promise<T>, stopped: () => boolean): Promise<T> {
    for (let failures = 0; ; failures++) {
      try {
        return await read();
      } catch (error) {
        if (stopped() || this.#closed !== undefined || !isConnectionFailure(error)) throw error;
        this.#onConnectionError(error);
        await sleep(Math.min(MAX_READ_RETRY_DELAY_MS, 50 * 2 ** failures));
      }
    }
  }

  /** In-process subscribers are woken at once; other instances by NOTIFY. */
  #announce(): void {
    this.#appended.emit('appended');
    this.#notifications.announce();
  }

  async #emptyAppend(
    streamId: string,
    expectation: ExpectedRevision,
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    const { rows } = await this.#pool.query<EventRow>({
      name: 'access-audit-last-of-stream',
      text: STATEMENTS.lastOfStream,
      values: [streamId],
      rowMode: 'array',
    });
    const last = rows.length === 0 ? undefined : toRecordedEvent(rows[0]);
    const actual = last?.revision ?? -1;
    if (!expectationHolds(expectation, actual)) throw new WrongExpectedRevisionError(streamId, expected, actual);
    const position = last?.position ?? (await this.headPosition()) ?? START;
    return { streamRevision: actual, position, events: [] };
  }

  /**
   * After an append stored nothing: the original result when these exact events are already stored where the
   * expectation points (a repeated append), else the refusal; 'retry' when the expectation holds again.
   */
  async #afterRefusal(
    request: PreparedAppend,
    expectation: ExpectedRevision,
    conflict: 'revision' | 'event_id' | undefined,
  ): Promise<AppendResult | 'retry'> {
    const { streamId, ids } = request;
    const [stored, actual, taken] = await Promise.all([
      this.#pool.query<StoredRow>({
        name: 'access-audit-stored-from',
        text: STATEMENTS.storedFrom,
        values: [streamId, ids[0], ids.length],
      }),
      this.streamRevision(streamId),
      conflict === undefined
        ? Promise.resolve(undefined)
        : this.#pool.query<{ event_id: string }>({
            name: 'access-audit-taken-id',
            text: STATEMENTS.takenId,
            values: [ids],
          }),
    ]);
    const refs = stored.rows.map(toRef);
    const original = findOriginalAppend(
      streamId,
      ids.map((id) => ({ id })),
      expectation,
      {
        findById: (eventId) => refs.find((ref) => ref.id === eventId),
        streamSlice: (_stream, fromRevision, count) =>
          refs.filter((ref) => ref.revision >= fromRevision).slice(0, count),
      },
    );
    if (original) return original;
    const takenId = taken?.rows[0]?.event_id;
    if (
      conflict !== undefined &&
      takenId !== undefined &&
      (conflict === 'event_id' || expectationHolds(expectation, actual))
    ) {
      throw new DuplicateEventIdError(streamId, takenId);
    }
    if (!expectationHolds(expectation, actual))
      throw new WrongExpectedRevisionError(streamId, request.expected, actual);
    return 'retry';
  }

  /**
   * One statement, so one snapshot: matching events after `after` below the horizon (the snapshot's xmin: every
   * transaction below it has ended), the last position below the horizon, and the newest committed position.
   */
  async #readPage(
    after: string | undefined,
    limit: number,
    filter: GlobalFilter,
    pool: Pool = this.#pool,
  ): Promise<HorizonPage> {
    const start = after === undefined ? POSTGRES_START : decodePostgresPosition(after);
    const prefixes = filter.streamPrefixes;
    const types = filter.eventTypes;
    const values: unknown[] = [start.transactionId.toString(), start.sequence.toString(), limit];
    if (prefixes) values.push(prefixes);
    if (types) values.push(types);
    const { text, name } = this.#pageQuery(prefixes !== undefined, types !== undefined);
    const { rows } = await pool.query<PageRow>({ name, text, values, rowMode: 'array' });
    const events: RecordedEvent[] = [];
    let scannedThrough: string | undefined;
    let head: string | undefined;
    for (const row of rows) {
      if (row[0] === 0) events.push(toRecordedEvent(row, 1));
      else if (row[0] === 1) scannedThrough = encodePostgresPosition(row[1], row[2]);
      else head = encodePostgresPosition(row[1], row[2]);
    }
    // A full page may stop short of the horizon: the next page starts after its last event.
    if (events.length === limit) scannedThrough = events[events.length - 1].position;
    return { events, scannedThrough, head };
  }

  /** One statement text per filter shape; prefixes and types are bound as arrays. */
  #pageQuery(byPrefix: boolean, byType: boolean): { text: string; name: string } {
    const shape = `${byPrefix ? 'p' : ''}${byType ? 't' : ''}`;
    let text = this.#pageQueries.get(shape);
    if (text === undefined) {
      const conditions = [
        '(e.transaction_id, e.position) > ($1::xid8, $2::bigint)',
        'e.transaction_id < (SELECT xmin FROM horizon)',
      ];
      let parameter = 4;
      if (byPrefix) conditions.push(`e.stream_id ^@ ANY ($${parameter++}::text[])`);
      if (byType) conditions.push(`e.type = ANY ($${parameter++}::text[])`);
      const marker = 'NULL::text, NULL::bigint, NULL::uuid, NULL::text, NULL::json, NULL::json, NULL::text';
      text = `
WITH horizon AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin),
page AS (
  SELECT ${EVENT_COLUMNS.split(', ')
    .map((column) => `e.${column}`)
    .join(', ')}
  FROM ${EVENTS_TABLE} e
  WHERE ${conditions.join(' AND ')}
  ORDER BY e.transaction_id, e.position
  LIMIT $3
)
SELECT 0 AS kind, ${EVENT_SELECT} FROM page
UNION ALL
SELECT 1, s.transaction_id, s.position, ${marker} FROM (
  SELECT transaction_id, position FROM ${EVENTS_TABLE}
  WHERE transaction_id < (SELECT xmin FROM horizon)
  ORDER BY transaction_id DESC, position DESC LIMIT 1
) s
UNION ALL
SELECT 2, h.transaction_id, h.position, ${marker} FROM (
  SELECT transaction_id, position FROM ${EVENTS_TABLE} ORDER BY transaction_id DESC, position DESC LIMIT 1
) h
ORDER BY kind, transaction_id, position`;
      this.#pageQueries.set(shape, text);
    }
    return { text, name: `access-audit-page-${shape || 'all'}` };
  }
}

interface StoredRow {
  event_id: string;
  stream_id: string;
  revision: string;
  transaction_id: string;
  position: string;
  recorded_at: string;
}

function toRef(row: StoredRow): StoredEventRef {
  return {
    id: row.event_id,
    streamId: row.stream_id,
    revision: Number(row.revision),
    position: encodePostgresPosition(row.transaction_id, row.position),
    recordedAt: row.recorded_at,
  };
}

function toAppendResult(rows: AppendedRow[]): AppendResult {
  const events = rows
    .map((row) => ({
      id: row.event_id,
      revision: Number(row.revision),
      position: encodePostgresPosition(row.transaction_id, row.position),
      recordedAt: row.recorded_at,
    }))
    .sort((a, b) => a.revision - b.revision);
  const last = events[events.length - 1];
  return { streamRevision: last.revision, position: last.position, events };
}

/** SQLSTATEs of a connection ended or refused by the server: class 08, admin/crash shutdown, starting up, too many. */
const CONNECTION_FAILURE_STATE = /^(08...|57P0[1-3]|53300)$/;
/** Node's socket errors, and what pg throws when a connection ends or cannot be had in time. */
const CONNECTION_FAILURE_MESSAGE = /^Connection terminated|^timeout exceeded when trying to connect/;

/** Whether the error is the connection's, not the query's: the same read may succeed on a new connection. */
function isConnectionFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') return CONNECTION_FAILURE_STATE.test(code) || /^E[A-Z_]+$/.test(code);
  return typeof message === 'string' && CONNECTION_FAILURE_MESSAGE.test(message);
}

/** Which unique constraint a failed insert hit, by SQLSTATE and constraint name; undefined for any other error. */
function uniqueViolation(error: unknown): 'revision' | 'event_id' | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  if (code !== '23505') return undefined;
  if (constraint === 'events_stream_revision') return 'revision';
  if (constraint === 'events_event_id') return 'event_id';
  return undefined;
}

/** The event in `row` from column `offset` on, in the order of EVENT_COLUMNS. */
function toRecordedEvent(row: readonly unknown[], offset = 0): RecordedEvent {
  return {
    id: row[offset + 4] as string,
    streamId: row[offset + 2] as string,
    revision: Number(row[offset + 3]),
    position: encodePostgresPosition(row[offset] as string, row[offset + 1] as string),
    type: row[offset + 5] as string,
    data: row[offset + 6],
    metadata: row[offset + 7] as EventMetadata,
    recordedAt: row[offset + 8] as string,
  };
}

/** The later of two positions (either may be absent). */
function laterOf(position: string | undefined, other: string | undefined): string | undefined {
  if (other === undefined) return position;
  if (position === undefined) return other;
  return comparePostgresPositions(other, position) > 0 ? other : position;
}

/** One page fetched ahead, for the reader that will ask for the page after `after`. */
class PrefetchedPage<Page> {
  #after: string | undefined;
  #page: Promise<Page> | undefined;

  put(after: string, page: Promise<Page>): void {
    // Handled here so an abandoned prefetch never becomes an unhandled rejection; take() still sees the error.
    page.catch(() => undefined);
    this.#after = after;
    this.#page = page;
  }

  /** The prefetched page when it starts after `after`, else a fresh one. */
  take(after: string | undefined, fetch: () => Promise<Page>): Promise<Page> {
    const page = this.#page !== undefined && this.#after === after ? this.#page : fetch();
    this.clear();
    return page;
  }

  clear(): void {
    this.#after = undefined;
    this.#page = undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
