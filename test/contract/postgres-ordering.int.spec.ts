import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { WrongExpectedRevisionError, type RecordedEvent, type Subscription } from '@access-audit/event-store';
import { PostgresEventStore } from '@access-audit/event-store/postgres';
import { createThrowawayDatabase, postgresTestServer, type ThrowawayDatabase } from './fixtures/postgres-database';

/**
 * The global order under concurrent writers. Transactions are driven by hand on raw connections, writing rows the
 * way the adapter does, so a lower position can be made to commit after a higher one, to roll back, or to stay open.
 */
const server = postgresTestServer();

if (server.skipReason !== undefined) {
  console.warn(`PostgreSQL global order skipped: ${server.skipReason}`);
  describe.skip(`PostgreSQL global order under concurrent writers — skipped: ${server.skipReason}`, () => {
    it('not run without a PostgreSQL server', () => undefined);
  });
} else {
  describe('PostgreSQL global order under concurrent writers', () => {
    let database: ThrowawayDatabase;
    let store: PostgresEventStore;
    let prefix: string;
    const clients: Client[] = [];

    beforeAll(async () => {
      database = await createThrowawayDatabase(server.url, 'ordering');
    }, 30_000);
    afterAll(async () => {
      await database?.drop();
    });
    beforeEach(async () => {
      store = await PostgresEventStore.open(database.url, { pollIntervalMs: 20 });
      prefix = `${randomUUID()}-`;
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((client) => client.end().catch(() => undefined)));
      await store.close();
    });

    /** A transaction held open on its own connection. */
    async function openTransaction(): Promise<{
      insert(streamId: string): Promise<{ id: string; sequence: bigint }>;
      takeTransactionId(): Promise<void>;
      commit(): Promise<void>;
      rollback(): Promise<void>;
    }> {
      const client = new Client({ connectionString: database.url });
      clients.push(client);
      await client.connect();
      await client.query('BEGIN');
      return {
        async insert(streamId) {
          const id = randomUUID();
          const { rows } = await client.query<{ position: string }>(
            `INSERT INTO access_audit.events (stream_id, revision, event_id, type, data, metadata)
             VALUES ($1, 0, $2, 'Opened', '{}', '{}') RETURNING position`,
            [streamId, id],
          );
          return { id, sequence: BigInt(rows[0].position) };
        },
        async takeTransactionId() {
          await client.query('SELECT pg_current_xact_id()');
        },
        commit: async () => void (await client.query('COMMIT')),
        rollback: async () => void (await client.query('ROLLBACK')),
      };
    }

    /** A live subscription recording what it delivers. */
    function record(after?: string): { delivered: RecordedEvent[]; subscription: Subscription; done: Promise<void> } {
      const subscription = store.subscribe({ streamPrefixes: [prefix], ...(after ? { after } : {}) });
      const delivered: RecordedEvent[] = [];
      const done = (async () => {
        for await (const event of subscription) delivered.push(event);
      })();
      return { delivered, subscription, done };
    }

    async function collect(iterable: AsyncIterable<RecordedEvent>): Promise<RecordedEvent[]> {
      const events: RecordedEvent[] = [];
      for await (const event of iterable) events.push(event);
      return events;
    }

    async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }

    const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

    function expectIncreasing(events: RecordedEvent[]): void {
      for (let i = 1; i < events.length; i++) {
        expect(store.comparePositions(events[i - 1].position, events[i].position)).toBeLessThan(0);
      }
    }

    it.each([
      ['has the lower transaction id as well', false],
      ['has the higher transaction id', true],
    ])(
      'delivers each committed event once when the lower position commits last (it %s), and skips a rolled-back one',
      async (_case, laterTransactionId) => {
        const live = record();
        const early = await store.append(
          `${prefix}early`,
          [{ id: randomUUID(), type: 'Opened', data: {} }],
          'no_stream',
        );
        await until(() => live.delivered.length === 1, 'the first event');

        // The transaction that will hold the lower position; in the second case the other one takes its id first.
        const lower = await openTransaction();
        const higherFirst = await openTransaction();
        if (laterTransactionId) await higherFirst.takeTransactionId();
        const low = await lower.insert(`${prefix}low`);
        const rolledBack = await openTransaction();
        const doomed = await rolledBack.insert(`${prefix}doomed`);
        const high = await higherFirst.insert(`${prefix}high`);
        expect(low.sequence < doomed.sequence && doomed.sequence < high.sequence).toBe(true);

        await higherFirst.commit();
        // Committed through the adapter too, while the lower position is still open.
        const viaStore = await store.append(
          `${prefix}store`,
          [{ id: randomUUID(), type: 'Opened', data: {} }],
          'no_stream',
        );
        await rolledBack.rollback();
        await pause(300);
        // What a projection would have checkpointed before the lower position committed.
        const beforeCommit = [...live.delivered];
        const checkpoint = beforeCommit[beforeCommit.length - 1].position;
        const readMeanwhile = collect(store.readAll({ streamPrefixes: [prefix] }));
        expect(beforeCommit.map((e) => e.id)).not.toContain(low.id);

        await lower.commit();
        const committed = [early.events[0].id, low.id, high.id, viaStore.events[0].id];
        await until(() => live.delivered.length >= committed.length, 'every committed event');
        await pause(200);

        const log = await collect(store.readAll({ streamPrefixes: [prefix] }));
        expect(log.map((e) => e.id).sort()).toEqual([...committed].sort());
        expectIncreasing(log);
        expect(live.delivered.map((e) => e.id)).toEqual(log.map((e) => e.id));
        expect(live.delivered.map((e) => e.id)).not.toContain(doomed.id);

        // A reader resuming from the checkpoint gets exactly what it had not seen, the late lower position included.
        const resumed = record(checkpoint);
        await until(() => beforeCommit.length + resumed.delivered.length >= committed.length, 'the resumed reader');
        await pause(100);
        expect([...beforeCommit, ...resumed.delivered].map((e) => e.id)).toEqual(log.map((e) => e.id));
        const afterCheckpoint = await collect(store.readAll({ streamPrefixes: [prefix], after: checkpoint }));
        expect([...beforeCommit, ...afterCheckpoint].map((e) => e.id)).toEqual(log.map((e) => e.id));

        // readAll started while the lower position was open: continuing after its end misses nothing either.
        const early2 = await readMeanwhile;
        const rest = await collect(
          store.readAll({
            streamPrefixes: [prefix],
            ...(early2.length ? { after: early2[early2.length - 1].position } : {}),
          }),
        );
        expect([...early2, ...rest].map((e) => e.id)).toEqual(log.map((e) => e.id));

        await live.subscription.stop();
        await resumed.subscription.stop();
        await Promise.all([live.done, resumed.done]);
      },
      20_000,
    );

    it('holds back what commits after a long-open transaction until it ends, then delivers all of it once', async () => {
      const live = record();
      const longOpen = await openTransaction();
      await longOpen.takeTransactionId();
      const appended = [];
      for (let n = 0; n < 5; n++) {
        appended.push(
          (await store.append(`${prefix}s${n}`, [{ id: randomUUID(), type: 'Opened', data: { n } }], 'no_stream'))
            .events[0].id,
        );
      }
      await pause(300);
      expect(live.delivered).toEqual([]);
      // Every append is committed and counted by the head, though no reader may pass the open transaction yet.
      expect(store.comparePositions((await store.headPosition()) ?? '0:0', '0:0')).toBeGreaterThan(0);
      const bounded = await PostgresEventStore.open(database.url, { horizonTimeoutMs: 200 });
      try {
        await expect(collect(bounded.readAll({ streamPrefixes: [prefix] }))).rejects.toThrow(
          /a transaction older than its newest event has been open/,
        );
      } finally {
        await bounded.close();
      }

      const late = await longOpen.insert(`${prefix}long`);
      await longOpen.commit();
      await until(() => live.delivered.length === 6, 'all six events');
      await pause(200);
      const log = await collect(store.readAll({ streamPrefixes: [prefix] }));
      expect(log.map((e) => e.id)).toEqual([late.id, ...appended]);
      expect(live.delivered.map((e) => e.id)).toEqual(log.map((e) => e.id));
      await live.subscription.stop();
      await live.done;
    }, 20_000);

    it('lets an append to another stream commit while a transaction on one stream is open; the same stream waits', async () => {
      const open = await openTransaction();
      await open.insert(`${prefix}held`);
      const elsewhere = await store.append(
        `${prefix}free`,
        [{ id: randomUUID(), type: 'Opened', data: {} }],
        'no_stream',
      );
      expect(elsewhere.streamRevision).toBe(0);
      let settled = false;
      const sameStream = store
        .append(`${prefix}held`, [{ id: randomUUID(), type: 'Opened', data: {} }], 'no_stream')
        .finally(() => (settled = true));
      await pause(300);
      expect(settled).toBe(false);
      await open.commit();
      await expect(sameStream).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    });

    it('64 concurrent appenders on their own streams and 16 conflicting on one: every commit delivered once, in order', async () => {
      const instances = await Promise.all(
        Array.from({ length: 4 }, () => PostgresEventStore.open(`${database.url}?max=4`)),
      );
      const live = record();
      try {
        const perStream = 8;
        const own = Array.from({ length: 64 }, (_, n) => async () => {
          const writer = instances[n % instances.length];
          const ids: string[] = [];
          for (let revision = 0; revision < perStream; revision++) {
            const id = randomUUID();
            await writer.append(`${prefix}own-${n}`, [{ id, type: 'Counted', data: { n, revision } }], revision - 1);
            ids.push(id);
          }
          return ids;
        });
        let conflicts = 0;
        const contended = Array.from({ length: 16 }, (_, n) => async () => {
          const writer = instances[n % instances.length];
          const ids: string[] = [];
          while (ids.length < 4) {
            const revision = await writer.streamRevision(`${prefix}contended`);
            const id = randomUUID();
            try {
              await writer.append(`${prefix}contended`, [{ id, type: 'Counted', data: { n } }], revision);
              ids.push(id);
            } catch (error) {
              if (!(error instanceof WrongExpectedRevisionError)) throw error;
              conflicts += 1;
            }
          }
          return ids;
        });
        const results = await Promise.all([...own, ...contended].map((work) => work()));
        const committed = results.flat();
        expect(committed).toHaveLength(64 * perStream + 16 * 4);
        expect(conflicts).toBeGreaterThan(0);

        const contendedStream = await store.readStream(`${prefix}contended`);
        expect(contendedStream.map((e) => e.revision)).toEqual(contendedStream.map((_, i) => i));
        expect(contendedStream).toHaveLength(16 * 4);

        await until(() => live.delivered.length >= committed.length, 'every committed event', 20_000);
        await pause(200);
        const log = await collect(store.readAll({ streamPrefixes: [prefix] }));
        expect(new Set(log.map((e) => e.id))).toEqual(new Set(committed));
        expect(log).toHaveLength(committed.length);
        expectIncreasing(log);
        expect(live.delivered.map((e) => e.id)).toEqual(log.map((e) => e.id));
        // Within each stream, the global order follows the revisions.
        const lastRevision = new Map<string, number>();
        for (const event of log) {
          expect(event.revision).toBe((lastRevision.get(event.streamId) ?? -1) + 1);
          lastRevision.set(event.streamId, event.revision);
        }
      } finally {
        await live.subscription.stop();
        await live.done;
        await Promise.all(instances.map((instance) => instance.close()));
      }
    }, 60_000);
  });
}
