/**
 * Event store benchmark: the SQLite adapter against raw better-sqlite3 with the same schema and pragmas, on temporary
 * files. Fixed counts, so runs are comparable; prints rates and the adapter/raw ratio, the latency of a lone append,
 * and the rate of concurrent appenders (group commit) beside raw single-row durable transactions, with the group sizes,
 * and the subscription lag under load. Then the same for the PostgreSQL adapter against raw pg, when a server is named
 * (ACCESS_AUDIT_BENCH_POSTGRES or ACCESS_AUDIT_TEST_POSTGRES); one line says it is skipped otherwise.
 *
 *   npm run bench:store
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type EventToAppend } from '@access-audit/event-store';
import { SqliteEventStore } from '@access-audit/event-store/sqlite';
import { SQLITE_PRAGMAS, SQLITE_SCHEMA } from '../libs/event-store/src/sqlite/schema';
import { benchPostgres, postgresBenchServer } from './bench-store-postgres';
import { lagRow, subscriptionLag } from './bench-subscription-lag';
import {
  CHUNKS,
  alternate,
  count,
  fastest,
  header,
  latencyRows,
  loneLatencies,
  oneAtATime,
  percentile,
  row,
  type Measurement,
  type NextOperation,
  type Operations,
} from './bench-measure';

const SINGLE_APPENDS = 2_000;
const BATCH_SIZE = 100;
const BATCHED_EVENTS = 200_000;
const STREAMS = 100;
/** Concurrent appenders, each on its own stream, one event per append. */
const APPENDERS = 64;
const CONCURRENT_APPENDS = APPENDERS * 400;
/** Lone appends: each issued with the store idle (after a timer), so none shares a transaction. */
const LONE_APPENDS = 600;
/** Per side and phase; a slow disk ends a phase early and the rates stay valid. */
const APPEND_BUDGET_SECONDS = { single: 10, batch: 12, concurrent: 10 };
/** Seconds of load while a live subscription's lag is measured. */
const LAG_SECONDS = 4;

const payload = { teamId: 'team-0001', userId: 'user-0042', role: 'developer', reason: 'quarterly access review' };
const metadata = { actorId: 'user-0001', correlationId: randomUUID(), requestContext: { ip: '10.0.0.1' } };

function eventsToAppend(count: number, first: number): EventToAppend[] {
  return Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    type: 'MemberRoleChanged',
    data: { ...payload, n: first + i },
    metadata,
  }));
}

function openRaw(path: string): Database.Database {
  const db = new Database(path);
  for (const pragma of SQLITE_PRAGMAS) db.pragma(pragma);
  db.exec(SQLITE_SCHEMA);
  return db;
}

/** Appends `eventsPerAppend` events to round-robin streams through the adapter, with exact expected revisions. */
function adapterAppender(store: SqliteEventStore, eventsPerAppend: number): NextOperation {
  const revisions = new Array<number>(STREAMS).fill(-1);
  let appends = 0;
  return async () => {
    const stream = appends % STREAMS;
    const expected = revisions[stream] === -1 ? 'no_stream' : revisions[stream];
    const events = eventsToAppend(eventsPerAppend, appends * eventsPerAppend);
    revisions[stream] = (await store.append(`team-${stream}`, events, expected)).streamRevision;
    appends += 1;
  };
}

/** The same rows through one prepared INSERT in one durable transaction per append, nothing else. */
function rawAppender(db: Database.Database, eventsPerAppend: number): NextOperation {
  const insert = db.prepare(
    'INSERT INTO events (stream_id, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const appendRows = db.transaction((streamId: string, firstRevision: number, events: EventToAppend[]) => {
    const recordedAt = new Date().toISOString();
    events.forEach((event, i) =>
      insert.run(
        streamId,
        firstRevision + i,
        event.id,
        event.type,
        JSON.stringify(event.data),
        JSON.stringify(event.metadata),
        recordedAt,
      ),
    );
  });
  let appends = 0;
  return () => {
    const events = eventsToAppend(eventsPerAppend, appends * eventsPerAppend);
    appendRows.immediate(`team-${appends % STREAMS}`, Math.floor(appends / STREAMS) * eventsPerAppend, events);
    appends += 1;
  };
}

/**
 * APPENDERS loops on APPENDERS streams, each awaiting its append before the next, like independent clients; appends
 * arriving while a commit is in flight share the next transaction.
 */
function concurrentAppenders(store: SqliteEventStore): Operations {
  const revisions = new Array<number>(APPENDERS).fill(-1);
  let appended = 0;
  return async (count) => {
    let started = 0;
    const appender = async (stream: number): Promise<void> => {
      while (started < count) {
        started += 1;
        const expected = revisions[stream] === -1 ? 'no_stream' : revisions[stream];
        const events = eventsToAppend(1, appended++);
        revisions[stream] = (await store.append(`concurrent-${stream}`, events, expected)).streamRevision;
      }
    };
    await Promise.all(Array.from({ length: APPENDERS }, (_, stream) => appender(stream)));
  };
}

/** Appends per transaction, as the store reported them: count, spread, and the most frequent sizes. */
function describeGroups(sizes: number[]): string {
  if (sizes.length === 0) return 'no transactions';
  const total = sizes.reduce((sum, size) => sum + size, 0);
  const frequency = new Map<number, number>();
  for (const size of sizes) frequency.set(size, (frequency.get(size) ?? 0) + 1);
  const common = [...frequency.entries()]
    .sort((a, b) => b[1] - a[1] || b[0] - a[0])
    .slice(0, 4)
    .map(([size, times]) => `${size} x${times.toLocaleString('en-US')}`)
    .join(', ');
  return (
    `${total.toLocaleString('en-US')} appends in ${sizes.length.toLocaleString('en-US')} transactions; appends per ` +
    `transaction: mean ${(total / sizes.length).toFixed(1)}, p50 ${percentile(sizes, 0.5)}, min ${Math.min(...sizes)}, ` +
    `max ${Math.max(...sizes)}; most frequent ${common}`
  );
}

async function adapterReadAll(path: string, expected: number): Promise<Measurement> {
  const store = new SqliteEventStore(path);
  let read = 0;
  let lastPosition = '';
  const started = process.hrtime.bigint();
  for await (const event of store.readAll()) {
    lastPosition = event.position;
    read += 1;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await store.close();
  if (read !== expected) throw new Error(`read ${read} events up to ${lastPosition}, expected ${expected}`);
  return { operations: read, seconds };
}

/** The same pages of 1,000 rows by position, then JSON.parse of data and metadata, without building events. */
function rawReadAll(path: string, expected: number): Measurement {
  const db = openRaw(path);
  const page = db.prepare<[number], { position: number; data: string; metadata: string }>(
    'SELECT * FROM events WHERE position > ? ORDER BY position LIMIT 1000',
  );
  let read = 0;
  const started = process.hrtime.bigint();
  for (let after = 0, rows = page.all(after); rows.length > 0; rows = page.all(after)) {
    for (const row of rows) {
      JSON.parse(row.data);
      JSON.parse(row.metadata);
    }
    read += rows.length;
    after = rows[rows.length - 1].position;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  if (read !== expected) throw new Error(`read ${read} rows, expected ${expected}`);
  return { operations: read, seconds };
}

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'bench-store-'));
  const file = (name: string) => join(directory, `${name}.db`);
  const started = Date.now();
  const store = new SqliteEventStore(file('single-adapter'));
  const db = openRaw(file('single-raw'));
  const batchStore = new SqliteEventStore(file('batch-adapter'));
  const batchDb = openRaw(file('batch-raw'));
  const groupSizes: number[] = [];
  const concurrentStore = new SqliteEventStore(file('concurrent-adapter'), {
    groupCommit: { onGroup: ({ requests }) => groupSizes.push(requests) },
  });
  const concurrentDb = openRaw(file('concurrent-raw'));
  const loneStore = new SqliteEventStore(file('lone-adapter'));
  const loneDb = openRaw(file('lone-raw'));
  const lagStore = new SqliteEventStore(file('lag'));
  const lagOtherConnection = new SqliteEventStore(file('lag'));
  try {
    const single = await alternate(
      SINGLE_APPENDS,
      APPEND_BUDGET_SECONDS.single,
      oneAtATime(adapterAppender(store, 1)),
      oneAtATime(rawAppender(db, 1)),
    );
    const batches = await alternate(
      BATCHED_EVENTS / BATCH_SIZE,
      APPEND_BUDGET_SECONDS.batch,
      oneAtATime(adapterAppender(batchStore, BATCH_SIZE)),
      oneAtATime(rawAppender(batchDb, BATCH_SIZE)),
    );
    const lone = await loneLatencies(LONE_APPENDS, adapterAppender(loneStore, 1), rawAppender(loneDb, 1));
    const concurrent = await alternate(
      CONCURRENT_APPENDS,
      APPEND_BUDGET_SECONDS.concurrent,
      concurrentAppenders(concurrentStore),
      oneAtATime(rawAppender(concurrentDb, 1)),
    );
    const toEvents = (m: Measurement): Measurement => ({ operations: m.operations * BATCH_SIZE, seconds: m.seconds });
    const stored = batches.adapter.operations * BATCH_SIZE;
    const reads = { adapter: [] as Measurement[], raw: [] as Measurement[] };
    for (let round = 0; round < 2; round++) {
      reads.adapter.push(await adapterReadAll(file('batch-adapter'), stored));
      reads.raw.push(rawReadAll(file('batch-adapter'), stored));
    }
    const lagOptions = { appenders: APPENDERS, seconds: LAG_SECONDS };
    const sameStoreLag = await subscriptionLag(lagStore, lagStore, lagOptions);
    const otherConnectionLag = await subscriptionLag(lagStore, lagOtherConnection, lagOptions);

    console.log(`SQLite event store benchmark: adapter vs raw better-sqlite3 (${SQLITE_PRAGMAS.join(', ')})`);
    console.log(`node ${process.version}, temporary files in ${tmpdir()}`);
    console.log(header());
    console.log(
      row(`single-event appends (${count(single.adapter.operations)})`, 'appends/s', single.adapter, single.raw),
    );
    console.log(
      row(
        `batch appends (${count(stored)}, ${BATCH_SIZE}/batch)`,
        'events/s',
        toEvents(batches.adapter),
        toEvents(batches.raw),
      ),
    );
    console.log(row(`readAll (${count(stored)} events)`, 'events/s', fastest(reads.adapter), fastest(reads.raw)));
    for (const line of latencyRows(lone)) console.log(line);
    console.log(
      row(
        `${APPENDERS} concurrent appenders (${count(concurrent.adapter.operations)})`,
        'appends/s',
        concurrent.adapter,
        concurrent.raw,
      ),
    );
    console.log(`  group commit: ${describeGroups(groupSizes)}`);
    console.log(`subscription lag under load (${APPENDERS} appenders, ${LAG_SECONDS} s, one event per append):`);
    console.log(`  ${lagRow('subscriber on the writing store', sameStoreLag)}`);
    console.log(`  ${lagRow('subscriber on another connection (poll)', otherConnectionLag)}`);
    console.log(
      `ratio = adapter rate / raw rate (latency: adapter / raw). Every raw append is one durable (fsynced) transaction;`,
    );
    console.log(
      `sequential adapter appends too; the ${APPENDERS} concurrent appenders (one event, own stream, awaiting each append)`,
    );
    console.log(
      `share transactions by group commit, beside raw single-row durable transactions. Lone appends are issued 1 ms apart.`,
    );
    console.log(
      `Appends alternate between the two sides in ${CHUNKS} chunks; reads: best of 2, both in pages of 1,000 rows. ${((Date.now() - started) / 1000).toFixed(1)} s.`,
    );
  } finally {
    await store.close();
    await batchStore.close();
    await concurrentStore.close();
    await loneStore.close();
    db.close();
    batchDb.close();
    concurrentDb.close();
    loneDb.close();
    await lagStore.close();
    await lagOtherConnection.close();
    rmSync(directory, { recursive: true, force: true });
  }
  const postgres = postgresBenchServer();
  if ('skipped' in postgres) console.log(`\n${postgres.skipped}`);
  else await benchPostgres(postgres.url, eventsToAppend);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
