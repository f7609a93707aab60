/**
 * Event store benchmark: the SQLite adapter against raw better-sqlite3 with the same schema and pragmas, on temporary
 * files. Fixed counts, so runs are comparable; prints rates and the adapter/raw ratio.
 *
 *   npm run bench:store
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteEventStore, type EventToAppend } from '@access-audit/event-store';
import { SQLITE_PRAGMAS, SQLITE_SCHEMA } from '../libs/event-store/src/sqlite/schema';

const SINGLE_APPENDS = 2_000;
const BATCH_SIZE = 100;
const BATCHED_EVENTS = 200_000;
const STREAMS = 100;

interface Measurement {
  operations: number;
  seconds: number;
}

const payload = { teamId: 'team-0001', userId: 'user-0042', role: 'developer', reason: 'quarterly access review' };
const metadata = { actorId: 'user-0001', correlationId: randomUUID(), requestContext: { ip: '10.0.0.1' } };

function eventToAppend(n: number): EventToAppend {
  return { id: randomUUID(), type: 'MemberRoleChanged', data: { ...payload, n }, metadata };
}

async function time(operations: number, work: () => Promise<void> | void): Promise<Measurement> {
  const started = process.hrtime.bigint();
  await work();
  return { operations, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

function openRaw(path: string): Database.Database {
  const db = new Database(path);
  for (const pragma of SQLITE_PRAGMAS) db.pragma(pragma);
  db.exec(SQLITE_SCHEMA);
  return db;
}

function rawInsert(db: Database.Database): (streamId: string, revision: number, event: EventToAppend) => void {
  const insert = db.prepare(
    'INSERT INTO events (stream_id, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  return (streamId, revision, event) => {
    insert.run(
      streamId,
      revision,
      event.id,
      event.type,
      JSON.stringify(event.data),
      JSON.stringify(event.metadata),
      new Date().toISOString(),
    );
  };
}

async function adapterSingleAppends(path: string): Promise<Measurement> {
  const store = new SqliteEventStore(path);
  const revisions = new Array<number>(STREAMS).fill(-1);
  const events = Array.from({ length: SINGLE_APPENDS }, (_, n) => eventToAppend(n));
  const measurement = await time(SINGLE_APPENDS, async () => {
    for (let n = 0; n < SINGLE_APPENDS; n++) {
      const stream = n % STREAMS;
      const expected = revisions[stream] === -1 ? 'no_stream' : revisions[stream];
      revisions[stream] = (await store.append(`team-${stream}`, [events[n]], expected)).streamRevision;
    }
  });
  await store.close();
  return measurement;
}

async function rawSingleAppends(path: string): Promise<Measurement> {
  const db = openRaw(path);
  const insert = rawInsert(db);
  const appendOne = db.transaction((streamId: string, revision: number, event: EventToAppend) =>
    insert(streamId, revision, event),
  );
  const events = Array.from({ length: SINGLE_APPENDS }, (_, n) => eventToAppend(n));
  const measurement = await time(SINGLE_APPENDS, () => {
    for (let n = 0; n < SINGLE_APPENDS; n++) appendOne.immediate(`team-${n % STREAMS}`, Math.floor(n / STREAMS), events[n]);
  });
  db.close();
  return measurement;
}

async function adapterBatchAppends(path: string): Promise<Measurement> {
  const store = new SqliteEventStore(path);
  const revisions = new Array<number>(STREAMS).fill(-1);
  const measurement = await time(BATCHED_EVENTS, async () => {
    for (let batch = 0; batch < BATCHED_EVENTS / BATCH_SIZE; batch++) {
      const stream = batch % STREAMS;
      const events = Array.from({ length: BATCH_SIZE }, (_, i) => eventToAppend(batch * BATCH_SIZE + i));
      const expected = revisions[stream] === -1 ? 'no_stream' : revisions[stream];
      revisions[stream] = (await store.append(`team-${stream}`, events, expected)).streamRevision;
    }
  });
  await store.close();
  return measurement;
}

async function rawBatchAppends(path: string): Promise<Measurement> {
  const db = openRaw(path);
  const insert = rawInsert(db);
  const appendBatch = db.transaction((streamId: string, firstRevision: number, events: EventToAppend[]) => {
    events.forEach((event, i) => insert(streamId, firstRevision + i, event));
  });
  const measurement = await time(BATCHED_EVENTS, () => {
    for (let batch = 0; batch < BATCHED_EVENTS / BATCH_SIZE; batch++) {
      const events = Array.from({ length: BATCH_SIZE }, (_, i) => eventToAppend(batch * BATCH_SIZE + i));
      appendBatch.immediate(`team-${batch % STREAMS}`, Math.floor(batch / STREAMS) * BATCH_SIZE, events);
    }
  });
  db.close();
  return measurement;
}

async function adapterReadAll(path: string): Promise<Measurement> {
  const store = new SqliteEventStore(path);
  let read = 0;
  let lastPosition = '';
  const measurement = await time(BATCHED_EVENTS, async () => {
    for await (const event of store.readAll()) {
      lastPosition = event.position;
      read += 1;
    }
  });
  await store.close();
  if (read !== BATCHED_EVENTS) throw new Error(`read ${read} events up to ${lastPosition}, expected ${BATCHED_EVENTS}`);
  return measurement;
}

async function rawReadAll(path: string): Promise<Measurement> {
  const db = openRaw(path);
  const select = db.prepare<[], { data: string; metadata: string }>('SELECT * FROM events ORDER BY position');
  let read = 0;
  const measurement = await time(BATCHED_EVENTS, () => {
    for (const row of select.iterate()) {
      JSON.parse(row.data);
      JSON.parse(row.metadata);
      read += 1;
    }
  });
  db.close();
  if (read !== BATCHED_EVENTS) throw new Error(`read ${read} rows, expected ${BATCHED_EVENTS}`);
  return measurement;
}

function rate(measurement: Measurement): number {
  return measurement.operations / measurement.seconds;
}

function row(label: string, unit: string, adapter: Measurement, raw: Measurement): string {
  const format = (value: number) => Math.round(value).toLocaleString('en-US').padStart(11);
  const ratio = (rate(adapter) / rate(raw)).toFixed(2);
  return `${label.padEnd(34)} ${format(rate(adapter))} ${format(rate(raw))} ${unit.padEnd(9)} ${ratio.padStart(6)}`;
}

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'bench-store-'));
  try {
    const file = (name: string) => join(directory, `${name}.db`);
    const started = Date.now();
    const singleAdapter = await adapterSingleAppends(file('single-adapter'));
    const singleRaw = await rawSingleAppends(file('single-raw'));
    const batchAdapter = await adapterBatchAppends(file('batch-adapter'));
    const batchRaw = await rawBatchAppends(file('batch-raw'));
    const readAdapter = await adapterReadAll(file('batch-adapter'));
    const readRaw = await rawReadAll(file('batch-adapter'));

    console.log(`SQLite event store benchmark (better-sqlite3, ${SQLITE_PRAGMAS.join(', ')}; ${process.version}; ${directory})`);
    console.log(`${'operation'.padEnd(34)} ${'adapter'.padStart(11)} ${'raw'.padStart(11)} ${'unit'.padEnd(9)} ${'ratio'.padStart(6)}`);
    console.log(row(`single-event appends (${SINGLE_APPENDS.toLocaleString('en-US')})`, 'appends/s', singleAdapter, singleRaw));
    console.log(
      row(`batch appends (${BATCHED_EVENTS.toLocaleString('en-US')}, ${BATCH_SIZE}/batch)`, 'events/s', batchAdapter, batchRaw),
    );
    console.log(row(`readAll (${BATCHED_EVENTS.toLocaleString('en-US')} events)`, 'events/s', readAdapter, readRaw));
    console.log(`ratio = adapter rate / raw rate; every append is one durable transaction. Total ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
