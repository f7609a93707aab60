/**
 * The PostgreSQL half of `npm run bench:store`: the adapter against raw pg inserts and reads on the same schema, each in
 * a throwaway database of the server ACCESS_AUDIT_BENCH_POSTGRES (else ACCESS_AUDIT_TEST_POSTGRES) names, plus the
 * subscription lag under load on the same instance and on another instance (woken by NOTIFY).
 */
import { randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import type { EventToAppend } from '@access-audit/event-store';
import { PostgresEventStore } from '@access-audit/event-store/postgres';
import { EVENTS_TABLE } from '../libs/event-store/src/postgres/schema';
import {
  alternate,
  count,
  fastest,
  header,
  latencyRows,
  loneLatencies,
  oneAtATime,
  row,
  type Measurement,
  type NextOperation,
  type Operations,
} from './bench-measure';
import { lagRow, subscriptionLag } from './bench-subscription-lag';

const SINGLE_APPENDS = 2_000;
const BATCH_SIZE = 100;
const BATCHED_EVENTS = 100_000;
const STREAMS = 100;
const APPENDERS = 64;
const CONCURRENT_APPENDS = APPENDERS * 200;
const LONE_APPENDS = 400;
const APPEND_BUDGET_SECONDS = { single: 10, batch: 12, concurrent: 10 };
const LAG_SECONDS = 4;

/** The server URL the benchmark may create databases on, or the line saying why PostgreSQL is skipped. */
export function postgresBenchServer(): { url: string } | { skipped: string } {
  const url = (process.env.ACCESS_AUDIT_BENCH_POSTGRES ?? process.env.ACCESS_AUDIT_TEST_POSTGRES ?? '').trim();
  if (url) return { url };
  return {
    skipped:
      'PostgreSQL: skipped (set ACCESS_AUDIT_BENCH_POSTGRES or ACCESS_AUDIT_TEST_POSTGRES to a server where the benchmark may CREATE DATABASE; .ci/postgres.sh starts one)',
  };
}

type EventsFor = (count: number, first: number) => EventToAppend[];

export async function benchPostgres(serverUrl: string, eventsToAppend: EventsFor): Promise<void> {
  const started = Date.now();
  const databases: string[] = [];
  const create = async (label: string): Promise<string> => {
    const name = `access_audit_bench_${label}_${randomUUID().slice(0, 8)}`;
    // [a-z0-9_] only; CREATE DATABASE takes no parameters.
    await admin(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
    databases.push(name);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return url.toString();
  };
  const closing: Array<() => Promise<void>> = [];
  try {
    const adapterUrl = await create('adapter');
    const rawUrl = await create('raw');
    const store = await PostgresEventStore.open(adapterUrl);
    closing.push(() => store.close());
    // The raw side gets the same schema, created by the adapter, then only plain pooled inserts of the same rows.
    await (await PostgresEventStore.open(rawUrl)).close();
    const pool = new Pool({ connectionString: rawUrl, max: 10 });
    closing.push(() => pool.end());
    const { rows: settings } = await pool.query<{ version: string; sync: string; fsync: string }>(
      "SELECT current_setting('server_version') AS version, current_setting('synchronous_commit') AS sync, current_setting('fsync') AS fsync",
    );

    const single = await alternate(
      SINGLE_APPENDS,
      APPEND_BUDGET_SECONDS.single,
      oneAtATime(adapterAppender(store, 1, 'single', eventsToAppend)),
      oneAtATime(rawAppender(pool, 1, 'single', eventsToAppend)),
    );
    const batches = await alternate(
      BATCHED_EVENTS / BATCH_SIZE,
      APPEND_BUDGET_SECONDS.batch,
      oneAtATime(adapterAppender(store, BATCH_SIZE, 'batch', eventsToAppend)),
      oneAtATime(rawAppender(pool, BATCH_SIZE, 'batch', eventsToAppend)),
    );
    const lone = await loneLatencies(
      LONE_APPENDS,
      adapterAppender(store, 1, 'lone', eventsToAppend),
      rawAppender(pool, 1, 'lone', eventsToAppend),
    );
    const concurrent = await alternate(
      CONCURRENT_APPENDS,
      APPEND_BUDGET_SECONDS.concurrent,
      concurrently((stream) => adapterAppender(store, 1, `concurrent-${stream}-`, eventsToAppend, 1)),
      concurrently((stream) => rawAppender(pool, 1, `concurrent-${stream}-`, eventsToAppend, 1)),
    );
    const appended = (side: 'adapter' | 'raw'): number =>
      single[side].operations +
      batches[side].operations * BATCH_SIZE +
      lone[side].samples.length +
      concurrent[side].operations;
    const stored = appended('adapter');
    const reads = { adapter: [] as Measurement[], raw: [] as Measurement[] };
    for (let round = 0; round < 2; round++) {
      reads.adapter.push(await adapterReadAll(store, stored));
      reads.raw.push(await rawReadAll(pool, appended('raw')));
    }

    const lagUrl = await create('lag');
    const writer = await PostgresEventStore.open(lagUrl);
    const otherInstance = await PostgresEventStore.open(lagUrl);
    closing.push(
      () => writer.close(),
      () => otherInstance.close(),
    );
    const sameInstanceLag = await subscriptionLag(writer, writer, { appenders: APPENDERS, seconds: LAG_SECONDS });
    const otherInstanceLag = await subscriptionLag(writer, otherInstance, {
      appenders: APPENDERS,
      seconds: LAG_SECONDS,
    });

    const toEvents = (m: Measurement): Measurement => ({ operations: m.operations * BATCH_SIZE, seconds: m.seconds });
    console.log('');
    console.log(
      `PostgreSQL event store benchmark: adapter vs raw pg (PostgreSQL ${settings[0].version}, synchronous_commit=${settings[0].sync}, fsync=${settings[0].fsync}, pools of 10)`,
    );
    console.log(header());
    console.log(
      row(`single-event appends (${count(single.adapter.operations)})`, 'appends/s', single.adapter, single.raw),
    );
    console.log(
      row(
        `batch appends (${count(batches.adapter.operations * BATCH_SIZE)}, ${BATCH_SIZE}/batch)`,
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
    console.log(`subscription lag under load (${APPENDERS} appenders, ${LAG_SECONDS} s, one event per append):`);
    console.log(`  ${lagRow('subscriber on the writing instance', sameInstanceLag)}`);
    console.log(`  ${lagRow('subscriber on another instance (NOTIFY)', otherInstanceLag)}`);
    console.log(
      `Raw: the same rows by one parameterised INSERT per append (autocommit, durable), no revision check; raw reads page`,
    );
    console.log(
      `by (transaction_id, position) without the horizon. Adapter appends check the revision in the same statement.`,
    );
    console.log(`${((Date.now() - started) / 1000).toFixed(1)} s.`);
  } finally {
    for (const close of closing.reverse()) await close().catch(() => undefined);
    for (const name of databases) {
      await admin(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(
        () => undefined,
      );
    }
  }
}

async function admin<T>(serverUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Appends to round-robin streams (or one stream when `streams` is 1) through the adapter, with exact revisions. */
function adapterAppender(
  store: PostgresEventStore,
  eventsPerAppend: number,
  streamPrefix: string,
  eventsToAppend: EventsFor,
  streams = STREAMS,
): NextOperation {
  const revisions = new Array<number>(streams).fill(-1);
  let appends = 0;
  return async () => {
    const stream = appends % streams;
    const expected = revisions[stream] === -1 ? 'no_stream' : revisions[stream];
    const events = eventsToAppend(eventsPerAppend, appends * eventsPerAppend);
    revisions[stream] = (await store.append(`${streamPrefix}${stream}`, events, expected)).streamRevision;
    appends += 1;
  };
}

/** The same rows through one INSERT … SELECT FROM unnest per append, revisions counted here, nothing else. */
function rawAppender(
  pool: Pool,
  eventsPerAppend: number,
  streamPrefix: string,
  eventsToAppend: EventsFor,
  streams = STREAMS,
): NextOperation {
  let appends = 0;
  return async () => {
    const stream = appends % streams;
    const firstRevision = Math.floor(appends / streams) * eventsPerAppend;
    const events = eventsToAppend(eventsPerAppend, appends * eventsPerAppend);
    appends += 1;
    await pool.query({
      name: 'bench-raw-append',
      text: `INSERT INTO ${EVENTS_TABLE} (stream_id, revision, event_id, type, data, metadata)
             SELECT $1, $2::bigint + e.ordinality - 1, e.event_id, e.type, e.data, e.metadata
             FROM unnest($3::uuid[], $4::text[], $5::json[], $6::json[]) WITH ORDINALITY AS e(event_id, type, data, metadata, ordinality)`,
      values: [
        `${streamPrefix}${stream}`,
        firstRevision,
        events.map((event) => event.id),
        events.map((event) => event.type),
        events.map((event) => JSON.stringify(event.data)),
        events.map((event) => JSON.stringify(event.metadata)),
      ],
    });
  };
}

/** APPENDERS clients on their own streams, each awaiting its append before the next. */
function concurrently(appenderFor: (stream: number) => NextOperation): Operations {
  const appenders = Array.from({ length: APPENDERS }, (_, stream) => appenderFor(stream));
  return async (total) => {
    let started = 0;
    await Promise.all(
      appenders.map(async (next) => {
        while (started < total) {
          started += 1;
          await next();
        }
      }),
    );
  };
}

async function adapterReadAll(store: PostgresEventStore, expected: number): Promise<Measurement> {
  let read = 0;
  const started = process.hrtime.bigint();
  for await (const event of store.readAll()) {
    void event;
    read += 1;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (read !== expected) throw new Error(`read ${read} events, expected ${expected}`);
  return { operations: read, seconds };
}

/** Pages of 1,000 rows by (transaction_id, position), data and metadata parsed by pg, without building events. */
async function rawReadAll(pool: Pool, expected: number): Promise<Measurement> {
  let read = 0;
  let after: [string, string] = ['0', '0'];
  const started = process.hrtime.bigint();
  for (;;) {
    const { rows } = await pool.query<[string, string]>({
      name: 'bench-raw-page',
      text: `SELECT transaction_id, position, stream_id, revision, event_id, type, data, metadata, recorded_at
             FROM ${EVENTS_TABLE} WHERE (transaction_id, position) > ($1::xid8, $2::bigint)
             ORDER BY transaction_id, position LIMIT 1000`,
      values: after,
      rowMode: 'array',
    });
    if (rows.length === 0) break;
    read += rows.length;
    after = [rows[rows.length - 1][0], rows[rows.length - 1][1]];
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (read !== expected) throw new Error(`read ${read} rows, expected ${expected}`);
  return { operations: read, seconds };
}
