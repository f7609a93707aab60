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

const START = encodePostgresPosition(POSTGRES_START.transactionId, POSTGRES_START.sequence);
const EVENT_COLUMNS = 'transaction_id, position, stream_id, revision, event_id, type, data, metadata, recorded_at';

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
  recordedAt: Date,
];

/** A page row is an event (0), the last position below the horizon (1) or the newest committed position (2). */
type PageRow = [kind: number, ...EventRow];

interface AppendedRow {
  transaction_id: string;
  position: string;
  revision: string;
  event_id: string;
  recorded_at: Date;
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
RETURNING transaction_id, position, revision, event_id, recorded_at`;

const STATEMENTS = {
  lastOfStream: `SELECT ${EVENT_COLUMNS} FROM ${EVENTS_TABLE} WHERE stream_id = $1 ORDER BY revision DESC LIMIT 1`,
  streamRevision: `SELECT coalesce(max(revision), -1) AS revision FROM ${EVENTS_TABLE} WHERE stream_id = $1`,
  readStream: `SELECT ${EVENT_COLUMNS} FROM ${EVENTS_TABLE} WHERE stream_id = $1 AND revision >= $2 ORDER BY revision LIMIT $3`,
  head: `SELECT transaction_id, position FROM ${EVENTS_TABLE} ORDER BY transaction_id DESC, position DESC LIMIT 1`,
  /** The events of this stream from where the first of these ids is stored in it, for the idempotency check. */
  storedFrom: `SELECT event_id, stream_id, revision, transaction_id, position, recorded_at FROM ${EVENTS_TABLE}
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
  readonly #pollIntervalMs: number;
  readonly #pageSize: number;
  readonly #horizonTimeoutMs: number;
  readonly #appended = new EventEmitter().setMaxListeners(0);
  readonly #notifications: AppendNotifications;
  readonly #subscriptions = new Set<CatchUpSubscription>();
  readonly #pageQueries = new Map<string, string>();
  #closed: Promise<void> | undefined;

  private constructor(config: PoolConfig, options: PostgresEventStoreOptions) {
    this.#pollIntervalMs = options.pollIntervalMs ?? 500;
    this.#pageSize = options.pageSize ?? 1000;
    this.#horizonTimeoutMs = options.horizonTimeoutMs ?? 30_000;
    const onError = options.onConnectionError ?? (() => undefined);
    this.#pool = new Pool(config);
    // An idle client's error (server restart, network) is reported here and that client discarded; without a
    // listener it would crash the process.
    this.#pool.on('error', onError);
    this.#notifications = new AppendNotifications(this.#pool, config, onError);
  }

  /** Connects, checks the server version and brings the schema up to date before returning. */
  static async open(connectionString: string, options: PostgresEventStoreOptions = {}): Promise<PostgresEventStore> {
    const store = new PostgresEventStore(poolConfig(connectionString), options);
    try {
      await store.#migrate();
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
    return rows.map(toRecordedEvent);
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
   * The log below the horizon, page by page. Before ending it waits until every transaction that could still commit
   * an event before the newest one seen at the start has ended, so nothing committed before the call is left out.
   */
  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    const filter = normalizeFilter(options);
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    if (limit <= 0) return;
    let after = options.after;
    if (after !== undefined) decodePostgresPosition(after);
    let delivered = 0;
    let target: string | undefined;
    let first = true;
    let waitMs = 1;
    const deadline = Date.now() + this.#horizonTimeoutMs;
    for (;;) {
      const size = Math.min(this.#pageSize, limit - delivered);
      const page = await this.#readPage(after, size, filter);
      if (first) {
        target = page.head;
        first = false;
      }
      for (const event of page.events) {
        yield event;
        after = event.position;
        if (++delivered >= limit) return;
      }
      if (page.events.length === size) continue;
      if (
        page.scannedThrough !== undefined &&
        (after === undefined || comparePostgresPositions(page.scannedThrough, after) > 0)
      ) {
        after = page.scannedThrough;
      }
      if (target === undefined || (after !== undefined && comparePostgresPositions(after, target) >= 0)) return;
      if (Date.now() >= deadline) {
        throw new Error(
          `the global log cannot be read to its end: a transaction older than its newest event has been open for over ${this.#horizonTimeoutMs} ms`,
        );
      }
      await sleep(waitMs);
      waitMs = Math.min(waitMs * 2, 50);
    }
  }

  subscribe(options: SubscribeOptions = {}): Subscription {
    const filter = normalizeFilter(options);
    if (options.after !== undefined) decodePostgresPosition(options.after);
    const subscription = new CatchUpSubscription(
      {
        readPage: async (after, limit): Promise<LogPage> => {
          const page = await this.#readPage(after, limit, filter);
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
      await this.#pool.end();
    })();
    return this.#closed;
  }

  /** One transaction under the migration lock: instances starting together apply each migration exactly once. */
  async #migrate(): Promise<void> {
    const client = await this.#pool.connect();
    try {
      const { rows: version } = await client.query<{ version: number }>(
        "SELECT current_setting('server_version_num')::int AS version",
      );
      if (version[0].version < MINIMUM_SERVER_VERSION) {
        throw new Error(
          `the PostgreSQL event store needs PostgreSQL 14 or later (server_version_num ${version[0].version})`,
        );
      }
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [BigInt(MIGRATION_LOCK_KEY).toString()]);
      await this.#applyMigrations(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
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
  ): Promise<{ events: RecordedEvent[]; scannedThrough: string | undefined; head: string | undefined }> {
    const start = after === undefined ? POSTGRES_START : decodePostgresPosition(after);
    const prefixes = filter.streamPrefixes;
    const types = filter.eventTypes;
    const values: unknown[] = [start.transactionId.toString(), start.sequence.toString(), limit];
    if (prefixes) values.push(prefixes);
    if (types) values.push(types);
    const { text, name } = this.#pageQuery(prefixes !== undefined, types !== undefined);
    const { rows } = await this.#pool.query<PageRow>({ name, text, values, rowMode: 'array' });
    const events: RecordedEvent[] = [];
    let scannedThrough: string | undefined;
    let head: string | undefined;
    for (const row of rows) {
      if (row[0] === 0) events.push(toRecordedEvent(row.slice(1) as EventRow));
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
      const marker = 'NULL::text, NULL::bigint, NULL::uuid, NULL::text, NULL::json, NULL::json, NULL::timestamptz';
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
SELECT 0 AS kind, ${EVENT_COLUMNS} FROM page
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
  recorded_at: Date;
}

function toRef(row: StoredRow): StoredEventRef {
  return {
    id: row.event_id,
    streamId: row.stream_id,
    revision: Number(row.revision),
    position: encodePostgresPosition(row.transaction_id, row.position),
    recordedAt: row.recorded_at.toISOString(),
  };
}

function toAppendResult(rows: AppendedRow[]): AppendResult {
  const events = rows
    .map((row) => ({
      id: row.event_id,
      revision: Number(row.revision),
      position: encodePostgresPosition(row.transaction_id, row.position),
      recordedAt: row.recorded_at.toISOString(),
    }))
    .sort((a, b) => a.revision - b.revision);
  const last = events[events.length - 1];
  return { streamRevision: last.revision, position: last.position, events };
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

function toRecordedEvent([
  transactionId,
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
    revision: Number(revision),
    position: encodePostgresPosition(transactionId, position),
    type,
    data,
    metadata,
    recordedAt: recordedAt.toISOString(),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
