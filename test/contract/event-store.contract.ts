import { randomUUID } from 'node:crypto';
import {
  StreamLocks,
  WrongExpectedRevisionError,
  handleCommand,
  loadStream,
  type Decider,
  type EventStore,
  type EventToAppend,
  type RecordedEvent,
} from '@access-audit/event-store';

export interface ContractOptions {
  /** Time allowed for a live event to reach a subscriber. */
  liveDeliveryTimeoutMs?: number;
}

/**
 * The behaviour every EventStore adapter must show. Each test works in streams under its own random prefix, so the
 * suite also runs against a shared server whose log is not empty.
 */
export function eventStoreContract(openStore: () => Promise<EventStore>, options: ContractOptions = {}): void {
  const liveTimeout = options.liveDeliveryTimeoutMs ?? 5000;
  let store: EventStore;
  let prefix: string;

  beforeEach(async () => {
    store = await openStore();
    prefix = `contract${randomUUID().replace(/-/g, '')}-`;
  });

  afterEach(async () => {
    await store.close();
  });

  describe('appending and reading a stream', () => {
    it('keeps events in order with contiguous revisions and increasing positions', async () => {
      const streamId = `${prefix}order`;
      const first = [event('Opened', { n: 0 }), event('Changed', { n: 1 })];
      const second = [event('Changed', { n: 2 }), event('Closed', { n: 3 })];
      const result1 = await store.append(streamId, first, 'no_stream');
      const result2 = await store.append(streamId, second, 1);

      expect(result1.streamRevision).toBe(1);
      expect(result2.streamRevision).toBe(3);
      expect(result1.events.map((e) => e.revision)).toEqual([0, 1]);
      expect(result2.events.map((e) => e.id)).toEqual(second.map((e) => e.id));
      expect(result2.position).toBe(result2.events[1].position);

      const read = await store.readStream(streamId);
      expect(read.map((e) => e.revision)).toEqual([0, 1, 2, 3]);
      expect(read.map((e) => e.id)).toEqual([...first, ...second].map((e) => e.id));
      expect(read.map((e) => e.data)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }]);
      expect(read.map((e) => e.type)).toEqual(['Opened', 'Changed', 'Changed', 'Closed']);
      expect(read.every((e) => e.streamId === streamId)).toBe(true);
      expect(read.map((e) => e.position)).toEqual([...result1.events, ...result2.events].map((e) => e.position));
      for (let i = 1; i < read.length; i++) {
        expect(store.comparePositions(read[i - 1].position, read[i].position)).toBeLessThan(0);
      }
      expect(store.comparePositions(read[2].position, read[2].position)).toBe(0);
      expect(await store.streamRevision(streamId)).toBe(3);
    });

    it('round-trips data and metadata as JSON and records the time', async () => {
      const streamId = `${prefix}json`;
      const metadata = { actorId: 'alice', correlationId: randomUUID(), requestContext: { ip: '10.0.0.1' } };
      const data = { name: 'Team ü', nested: { list: [1, 'two', null, true] } };
      const before = Date.now();
      await store.append(streamId, [{ ...event('Created', data), metadata }], 'no_stream');
      const [read] = await store.readStream(streamId);
      expect(read.data).toEqual(data);
      expect(read.metadata).toEqual(metadata);
      expect(new Date(read.recordedAt).toISOString()).toBe(read.recordedAt);
      expect(Date.parse(read.recordedAt)).toBeGreaterThanOrEqual(before - 5000);
    });

    it('reads an absent stream as empty with revision -1', async () => {
      expect(await store.readStream(`${prefix}absent`)).toEqual([]);
      expect(await store.streamRevision(`${prefix}absent`)).toBe(-1);
    });

    it('reads a stream from a revision, with a limit', async () => {
      const streamId = `${prefix}from`;
      await store.append(
        streamId,
        range(6).map((n) => event('Changed', { n })),
        'no_stream',
      );
      expect((await store.readStream(streamId, { fromRevision: 4 })).map((e) => e.revision)).toEqual([4, 5]);
      expect((await store.readStream(streamId, { fromRevision: 1, limit: 2 })).map((e) => e.revision)).toEqual([1, 2]);
      expect(await store.readStream(streamId, { fromRevision: 6 })).toEqual([]);
    });
  });

  describe('expected revision', () => {
    it('rejects no_stream when the stream exists', async () => {
      const streamId = `${prefix}exists`;
      await store.append(streamId, [event('Opened')], 'no_stream');
      const error = await store.append(streamId, [event('Opened')], 'no_stream').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      expect(error).toMatchObject({ streamId, expected: 'no_stream', actual: 0 });
      expect(await store.streamRevision(streamId)).toBe(0);
    });

    it('rejects an exact revision that does not match, and appends nothing', async () => {
      const streamId = `${prefix}exact`;
      await store.append(streamId, [event('Opened'), event('Changed')], 'no_stream');
      for (const wrong of [0, 2, 7]) {
        const error = await store.append(streamId, [event('Changed')], wrong).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamId, expected: wrong, actual: 1 });
      }
      const missing = await store.append(`${prefix}missing`, [event('Changed')], 0).catch((e: unknown) => e);
      expect(missing).toMatchObject({ expected: 0, actual: -1 });
      expect(await store.streamRevision(streamId)).toBe(1);
      expect(await store.append(streamId, [event('Changed')], 1)).toMatchObject({ streamRevision: 2 });
    });

    it('accepts any revision with "any", and -1 as "no stream"', async () => {
      const streamId = `${prefix}any`;
      expect((await store.append(streamId, [event('Opened')], 'any')).streamRevision).toBe(0);
      expect((await store.append(streamId, [event('Changed')], 'any')).streamRevision).toBe(1);
      await expect(store.append(streamId, [event('Changed')], -1)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      expect((await store.append(`${prefix}minus-one`, [event('Opened')], -1)).streamRevision).toBe(0);
    });

    it('lets exactly one of two concurrent appends at the same revision through', async () => {
      const streamId = `${prefix}race`;
      await store.append(streamId, [event('Opened')], 'no_stream');
      const outcomes = await Promise.allSettled([
        store.append(streamId, [event('Changed', { by: 'a' })], 0),
        store.append(streamId, [event('Changed', { by: 'b' })], 0),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(rejected?.reason).toBeInstanceOf(WrongExpectedRevisionError);
      expect(await store.streamRevision(streamId)).toBe(1);
    });

    it('checks the revision of an empty append and appends nothing', async () => {
      const streamId = `${prefix}empty`;
      const appended = await store.append(streamId, [event('Opened')], 'no_stream');
      const empty = await store.append(streamId, [], 0);
      expect(empty).toMatchObject({ streamRevision: 0, position: appended.position, events: [] });
      await expect(store.append(streamId, [], 5)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      expect(await store.streamRevision(streamId)).toBe(0);
    });
  });

  describe('idempotency', () => {
    it('returns the original result when the same events are appended again at the same place', async () => {
      const streamId = `${prefix}idempotent`;
      const batch = [event('Opened'), event('Changed')];
      const original = await store.append(streamId, batch, 'no_stream');
      const again = await store.append(streamId, batch, 'no_stream');
      expect(again.streamRevision).toBe(original.streamRevision);
      expect(again.position).toBe(original.position);
      expect(again.events.map(({ id, revision, position }) => ({ id, revision, position }))).toEqual(
        original.events.map(({ id, revision, position }) => ({ id, revision, position })),
      );

      const next = [event('Changed')];
      const nextOriginal = await store.append(streamId, next, 1);
      expect(await store.append(streamId, next, 1)).toMatchObject({
        streamRevision: nextOriginal.streamRevision,
        position: nextOriginal.position,
      });

      const read = await store.readStream(streamId);
      expect(read.map((e) => e.id)).toEqual([...batch, ...next].map((e) => e.id));
      expect(await store.streamRevision(streamId)).toBe(2);
      const inLog = await collect(store.readAll({ streamPrefixes: [prefix] }));
      expect(inLog).toHaveLength(3);
    });
  });

  describe('concurrent appends', () => {
    it('stores every one of many concurrent appends to different streams, each once, in one global order', async () => {
      const streams = range(64).map((n) => `${prefix}many-${n}`);
      const firsts = streams.map((_, n) => [event('Opened', { n })]);
      const created = await Promise.all(streams.map((streamId, n) => store.append(streamId, firsts[n], 'no_stream')));
      expect(created.map((result) => result.streamRevision)).toEqual(streams.map(() => 0));
      const seconds = streams.map((_, n) => [event('Changed', { n }), event('Changed', { n, again: true })]);
      const changed = await Promise.all(streams.map((streamId, n) => store.append(streamId, seconds[n], 0)));
      expect(changed.map((result) => result.streamRevision)).toEqual(streams.map(() => 2));

      for (const [n, streamId] of streams.entries()) {
        const read = await store.readStream(streamId);
        expect(read.map((e) => e.id)).toEqual([...firsts[n], ...seconds[n]].map((e) => e.id));
        expect(read.map((e) => e.position)).toEqual(
          [...created[n].events, ...changed[n].events].map((e) => e.position),
        );
      }
      const log = await collect(store.readAll({ streamPrefixes: [`${prefix}many-`] }));
      expect(log).toHaveLength(streams.length * 3);
      expect(new Set(log.map((e) => e.id)).size).toBe(log.length);
      for (let i = 1; i < log.length; i++) {
        expect(store.comparePositions(log[i - 1].position, log[i].position)).toBeLessThan(0);
      }
    });

    it('lets exactly one of many concurrent appends at the same expected revision through', async () => {
      const streamId = `${prefix}contended`;
      await store.append(streamId, [event('Opened')], 'no_stream');
      const contenders = range(16).map((n) => [event('Changed', { n })]);
      const outcomes = await Promise.allSettled(contenders.map((events) => store.append(streamId, events, 0)));
      const winners = outcomes.flatMap((o, n) => (o.status === 'fulfilled' ? [n] : []));
      expect(winners).toHaveLength(1);
      for (const outcome of outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')) {
        expect(outcome.reason).toBeInstanceOf(WrongExpectedRevisionError);
        expect(outcome.reason).toMatchObject({ streamId, expected: 0, actual: 1 });
      }
      const read = await store.readStream(streamId);
      expect(read.map((e) => e.id)).toEqual([read[0].id, contenders[winners[0]][0].id]);

      const fresh = `${prefix}contended-new`;
      const creations = await Promise.allSettled(
        range(8).map(() => store.append(fresh, [event('Opened')], 'no_stream')),
      );
      expect(creations.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(creations.filter((o) => o.status === 'rejected').map((o) => o.reason)).toEqual(
        range(7).map(() => expect.any(WrongExpectedRevisionError)),
      );
      expect(await store.streamRevision(fresh)).toBe(0);
    });

    it('fails a conflicting append among concurrent ones alone, and stores nothing of it', async () => {
      const existing = `${prefix}conflicted`;
      await store.append(existing, [event('Opened')], 'no_stream');
      const conflicting = [event('Changed', { wrong: true })];
      const others = range(10).map((n) => ({ streamId: `${prefix}bystander-${n}`, events: [event('Opened', { n })] }));
      const outcomes = await Promise.allSettled([
        ...others.slice(0, 5).map(({ streamId, events }) => store.append(streamId, events, 'no_stream')),
        store.append(existing, conflicting, 5),
        store.append(existing, [event('Changed', { right: true })], 0),
        ...others.slice(5).map(({ streamId, events }) => store.append(streamId, events, 'no_stream')),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual([
        ...range(5).map(() => 'fulfilled'),
        'rejected',
        'fulfilled',
        ...range(5).map(() => 'fulfilled'),
      ]);
      expect((outcomes[5] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedRevisionError);
      expect(await store.streamRevision(existing)).toBe(1);
      const log = await collect(store.readAll({ streamPrefixes: [prefix] }));
      expect(log.map((e) => e.id)).not.toContain(conflicting[0].id);
      for (const { streamId, events } of others) {
        expect((await store.readStream(streamId)).map((e) => e.id)).toEqual([events[0].id]);
      }
    });

    it('stores the same append sent twice at once only once, and answers both with its result', async () => {
      const streamId = `${prefix}twice`;
      await store.append(streamId, [event('Opened')], 'no_stream');
      const batch = [event('Changed'), event('Changed')];
      const [first, second] = await Promise.all([store.append(streamId, batch, 0), store.append(streamId, batch, 0)]);
      expect(second.streamRevision).toBe(first.streamRevision);
      expect(second.events.map((e) => [e.id, e.position])).toEqual(first.events.map((e) => [e.id, e.position]));
      expect(await store.streamRevision(streamId)).toBe(2);
    });
  });

  describe('the global log', () => {
    it('reads after a position, in position order', async () => {
      await store.append(`${prefix}a`, [event('Opened', { n: 0 })], 'no_stream');
      const mark = await store.append(`${prefix}b`, [event('Opened', { n: 1 })], 'no_stream');
      await store.append(`${prefix}a`, [event('Changed', { n: 2 })], 0);
      await store.append(`${prefix}c`, [event('Opened', { n: 3 }), event('Changed', { n: 4 })], 'no_stream');

      const all = await collect(store.readAll({ streamPrefixes: [prefix] }));
      expect(all.map((e) => e.data)).toEqual(range(5).map((n) => ({ n })));
      const afterMark = await collect(store.readAll({ after: mark.position, streamPrefixes: [prefix] }));
      expect(afterMark.map((e) => e.data)).toEqual([{ n: 2 }, { n: 3 }, { n: 4 }]);
      expect(afterMark[0].streamId).toBe(`${prefix}a`);
      const limited = await collect(store.readAll({ after: mark.position, streamPrefixes: [prefix], limit: 2 }));
      expect(limited.map((e) => e.data)).toEqual([{ n: 2 }, { n: 3 }]);
      const head = await store.headPosition();
      expect(head).toBeDefined();
      expect(store.comparePositions(head ?? '', all[4].position)).toBeGreaterThanOrEqual(0);
    });

    it('filters by stream prefix and by event type, together or apart', async () => {
      const types = [`Granted${prefix}`, `Revoked${prefix}`, `Noted${prefix}`];
      await store.append(`${prefix}team-1`, [event(types[0]), event(types[2])], 'no_stream');
      await store.append(`${prefix}team-2`, [event(types[1])], 'no_stream');
      await store.append(`${prefix}review-1`, [event(types[0]), event(types[1])], 'no_stream');

      const teams = await collect(store.readAll({ streamPrefixes: [`${prefix}team-`] }));
      expect(teams.map((e) => [e.streamId, e.type])).toEqual([
        [`${prefix}team-1`, types[0]],
        [`${prefix}team-1`, types[2]],
        [`${prefix}team-2`, types[1]],
      ]);
      const grantsAndRevocations = await collect(store.readAll({ eventTypes: [types[0], types[1]] }));
      expect(grantsAndRevocations.map((e) => e.streamId)).toEqual([
        `${prefix}team-1`,
        `${prefix}team-2`,
        `${prefix}review-1`,
        `${prefix}review-1`,
      ]);
      const both = await collect(
        store.readAll({ streamPrefixes: [`${prefix}review-`, `${prefix}team-2`], eventTypes: [types[1]] }),
      );
      expect(both.map((e) => e.streamId)).toEqual([`${prefix}team-2`, `${prefix}review-1`]);
      const twoPrefixes = await collect(store.readAll({ streamPrefixes: [`${prefix}review-`, `${prefix}team-2`] }));
      expect(twoPrefixes).toHaveLength(3);
    });
  });

  describe('subscriptions', () => {
    it('catches up, then delivers live appends, then ends when stopped', async () => {
      const streamId = `${prefix}live`;
      await store.append(streamId, [event('Opened', { n: 0 }), event('Changed', { n: 1 })], 'no_stream');
      const subscription = store.subscribe({ streamPrefixes: [prefix] });
      const iterator = subscription[Symbol.asyncIterator]();

      const caughtUp = await take(iterator, 2, liveTimeout);
      expect(caughtUp.map((e) => e.data)).toEqual([{ n: 0 }, { n: 1 }]);

      const pending = take(iterator, 2, liveTimeout);
      await store.append(`${prefix}other-stream`, [event('Opened', { n: 2 })], 'no_stream');
      await store.append(streamId, [event('Changed', { n: 3 })], 1);
      expect((await pending).map((e) => e.data)).toEqual([{ n: 2 }, { n: 3 }]);

      const waiting = iterator.next();
      await subscription.stop();
      await expect(withTimeout(waiting, liveTimeout)).resolves.toMatchObject({ done: true });
      await store.append(streamId, [event('Changed', { n: 4 })], 2);
      await expect(withTimeout(iterator.next(), liveTimeout)).resolves.toMatchObject({ done: true });
    });

    it('ends a for-await loop cleanly when stopped from inside it', async () => {
      await store.append(
        `${prefix}loop`,
        range(3).map((n) => event('Changed', { n })),
        'no_stream',
      );
      const subscription = store.subscribe({ streamPrefixes: [prefix] });
      const seen: unknown[] = [];
      const loop = (async () => {
        for await (const recorded of subscription) {
          seen.push(recorded.data);
          if (seen.length === 3) await subscription.stop();
        }
      })();
      await withTimeout(loop, liveTimeout);
      expect(seen).toEqual(range(3).map((n) => ({ n })));
    });

    it('resumes after a position and applies the filters', async () => {
      const types = [`Kept${prefix}`, `Dropped${prefix}`];
      const first = await store.append(`${prefix}resume`, [event(types[0], { n: 0 })], 'no_stream');
      await store.append(`${prefix}resume`, [event(types[1], { n: 1 }), event(types[0], { n: 2 })], 0);
      await store.append(`${prefix}elsewhere`, [event(types[0], { n: 9 })], 'no_stream');
      const subscription = store.subscribe({
        after: first.position,
        streamPrefixes: [`${prefix}resume`],
        eventTypes: [types[0]],
      });
      const iterator = subscription[Symbol.asyncIterator]();
      const caughtUp = await take(iterator, 1, liveTimeout);
      expect(caughtUp.map((e) => e.data)).toEqual([{ n: 2 }]);
      const pending = take(iterator, 1, liveTimeout);
      await store.append(`${prefix}resume`, [event(types[1], { n: 3 }), event(types[0], { n: 4 })], 2);
      expect((await pending).map((e) => e.data)).toEqual([{ n: 4 }]);
      await subscription.stop();
    });
  });

  describe('volume', () => {
    it('appends a 10,000-event stream in batches and reads it back in order', async () => {
      const streamId = `${prefix}large`;
      const total = 10_000;
      const batchSize = 500;
      for (let start = 0; start < total; start += batchSize) {
        const batch = range(batchSize).map((i) => event('Counted', { n: start + i }));
        const result = await store.append(streamId, batch, start === 0 ? 'no_stream' : start - 1);
        expect(result.streamRevision).toBe(start + batchSize - 1);
      }
      const read = await store.readStream(streamId);
      expect(read).toHaveLength(total);
      expect(read.every((e, i) => e.revision === i && (e.data as { n: number }).n === i)).toBe(true);
      let count = 0;
      let previous: string | undefined;
      for await (const recorded of store.readAll({ streamPrefixes: [streamId] })) {
        if (previous !== undefined) expect(store.comparePositions(previous, recorded.position)).toBeLessThan(0);
        previous = recorded.position;
        count += 1;
      }
      expect(count).toBe(total);
    }, 60_000);
  });

  describe('command path', () => {
    it('decides, appends with the folded revision and returns the new state', async () => {
      const streamId = `${prefix}counter`;
      const first = await handleCommand(store, streamId, counter, { add: 2 });
      expect(first).toMatchObject({ ok: true, streamRevision: 0, state: 2 });
      const second = await handleCommand(store, streamId, counter, { add: 3 }, { metadata: { actorId: 'alice' } });
      if (!second.ok) throw new Error('expected the command to pass');
      expect(second.state).toBe(5);
      expect(second.streamRevision).toBe(1);
      expect(second.events).toHaveLength(1);
      expect(second.events[0]).toMatchObject({ type: 'Added', data: { amount: 3 }, revision: 1, streamId });
      expect(second.position).toBe(second.events[0].position);
      const [stored] = await store.readStream(streamId, { fromRevision: 1 });
      expect(stored).toMatchObject({ id: second.events[0].id, metadata: { actorId: 'alice' } });
      expect(await loadStream(store, streamId, counter)).toMatchObject({ state: 5, revision: 1 });
    });

    it('appends nothing on a rejection', async () => {
      const streamId = `${prefix}rejected`;
      await handleCommand(store, streamId, counter, { add: 1 });
      const outcome = await handleCommand(store, streamId, counter, { add: -5 });
      expect(outcome).toEqual({ ok: false, rejection: { rule: 'never-negative', current: 1 }, streamRevision: 0 });
      expect(await store.streamRevision(streamId)).toBe(0);
    });

    it('appends nothing when the decision has no events, and reports where the stream is', async () => {
      const streamId = `${prefix}noop`;
      const created = await handleCommand(store, streamId, counter, { add: 4 });
      const noop = await handleCommand(store, streamId, counter, { add: 0 });
      expect(noop).toMatchObject({ ok: true, events: [], streamRevision: 0, state: 4 });
      if (!created.ok || !noop.ok) throw new Error('expected both commands to pass');
      expect(noop.position).toBe(created.position);
      expect(await store.streamRevision(streamId)).toBe(0);
      const onNewStream = await handleCommand(store, `${prefix}noop-new`, counter, { add: 0 });
      expect(onNewStream).toMatchObject({ ok: true, events: [], streamRevision: -1 });
    });

    it('throws without retrying when the caller expects another revision', async () => {
      const streamId = `${prefix}pinned`;
      await handleCommand(store, streamId, counter, { add: 1 });
      await handleCommand(store, streamId, counter, { add: 1 });
      const counting = countingAppends(store);
      const error = await handleCommand(counting.store, streamId, counter, { add: 1 }, { expectedRevision: 0 }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      expect(error).toMatchObject({ expected: 0, actual: 1 });
      expect(counting.appends).toBe(0);
      expect(await handleCommand(store, streamId, counter, { add: 1 }, { expectedRevision: 1 })).toMatchObject({
        ok: true,
        streamRevision: 2,
        state: 3,
      });
      expect(await store.streamRevision(streamId)).toBe(2);
    });

    it('reloads and retries when another instance appended in between', async () => {
      const streamId = `${prefix}instances`;
      await handleCommand(store, streamId, counter, { add: 1 });
      // Each instance's first append waits until both have loaded, so they decide on the same revision however busy the machine.
      let arrived = 0;
      let release!: () => void;
      const bothLoaded = new Promise<void>((resolve) => (release = resolve));
      const afterBothLoaded = (inner: EventStore): EventStore => {
        let first = true;
        return delegatingTo(inner, {
          append: async (id, events, expected) => {
            if (first) {
              first = false;
              if ((arrived += 1) === 2) release();
              await bothLoaded;
            }
            return inner.append(id, events, expected);
          },
        });
      };
      const instanceA = countingAppends(store);
      const instanceB = countingAppends(store);
      instanceA.store = afterBothLoaded(instanceA.store);
      instanceB.store = afterBothLoaded(instanceB.store);
      const [a, b] = await Promise.all([
        handleCommand(instanceA.store, streamId, counter, { add: 10 }),
        handleCommand(instanceB.store, streamId, counter, { add: 100 }),
      ]);
      expect(a.ok && b.ok).toBe(true);
      expect(instanceA.conflicts + instanceB.conflicts).toBeGreaterThanOrEqual(1);
      expect(await loadStream(store, streamId, counter)).toMatchObject({ state: 111, revision: 2 });
    });

    it('gives up after maxRetries conflicts', async () => {
      const streamId = `${prefix}give-up`;
      await handleCommand(store, streamId, counter, { add: 1 });
      // Another writer appends between every load and append of this one.
      const interfering = delegatingTo(store, {
        append: async (id, events, expected) => {
          await store.append(id, [event('Added', { amount: 1 })], 'any');
          return store.append(id, events, expected);
        },
      });
      await expect(handleCommand(interfering, streamId, counter, { add: 1 }, { maxRetries: 2 })).rejects.toBeInstanceOf(
        WrongExpectedRevisionError,
      );
      expect(await store.streamRevision(streamId)).toBe(3);
    });

    it('serializes concurrent commands on one stream within a process', async () => {
      const streamId = `${prefix}serialized`;
      const locks = new StreamLocks();
      const instance = countingAppends(store);
      const outcomes = await Promise.all(
        range(10).map(() => handleCommand(instance.store, streamId, counter, { add: 1 }, { locks })),
      );
      expect(outcomes.every((o) => o.ok)).toBe(true);
      expect(instance.conflicts).toBe(0);
      expect(await loadStream(store, streamId, counter)).toMatchObject({ state: 10, revision: 9 });
      expect(locks.activeKeys).toBe(0);
    });

    it('records the causation of each event', async () => {
      const streamId = `${prefix}caused`;
      const causes = [randomUUID()];
      const outcome = await handleCommand(
        store,
        streamId,
        counter,
        { add: 1 },
        {
          metadata: { correlationId: 'corr-1' },
          causationIds: (_event, index) => causes[index],
        },
      );
      if (!outcome.ok) throw new Error('expected the command to pass');
      const [stored] = await store.readStream(streamId);
      expect(stored.metadata).toEqual({ correlationId: 'corr-1', causationId: causes[0] });
    });
  });
}

/** A counter that never goes below zero: the command path's test decider. */
type CounterEvent = { type: 'Added'; data: { amount: number } };
const counter: Decider<number, { add: number }, CounterEvent, { rule: string; current: number }> = {
  initialState: () => 0,
  evolve: (state, e) => state + e.data.amount,
  decide: (command, state) => {
    if (state + command.add < 0) return { ok: false, rejection: { rule: 'never-negative', current: state } };
    if (command.add === 0) return { ok: true, events: [] };
    return { ok: true, events: [{ type: 'Added', data: { amount: command.add } }] };
  },
};

/** The same store seen through a wrapper that counts appends and conflicts, like a second process would see it. */
function countingAppends(store: EventStore): { store: EventStore; appends: number; conflicts: number } {
  const counted = { store, appends: 0, conflicts: 0 };
  counted.store = delegatingTo(store, {
    append: async (streamId, events, expected) => {
      counted.appends += 1;
      try {
        return await store.append(streamId, events, expected);
      } catch (error) {
        if (error instanceof WrongExpectedRevisionError) counted.conflicts += 1;
        throw error;
      }
    },
  });
  return counted;
}

function delegatingTo(store: EventStore, overrides: Partial<EventStore>): EventStore {
  return {
    append: (streamId, events, expected) => store.append(streamId, events, expected),
    readStream: (streamId, readOptions) => store.readStream(streamId, readOptions),
    streamRevision: (streamId) => store.streamRevision(streamId),
    readAll: (readOptions) => store.readAll(readOptions),
    subscribe: (subscribeOptions) => store.subscribe(subscribeOptions),
    headPosition: () => store.headPosition(),
    comparePositions: (a, b) => store.comparePositions(a, b),
    close: () => store.close(),
    ...overrides,
  };
}

function event(type: string, data: unknown = {}): EventToAppend {
  return { id: randomUUID(), type, data };
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

async function collect(events: AsyncIterable<RecordedEvent>): Promise<RecordedEvent[]> {
  const collected: RecordedEvent[] = [];
  for await (const recorded of events) collected.push(recorded);
  return collected;
}

async function take(
  iterator: AsyncIterator<RecordedEvent>,
  count: number,
  timeoutMs: number,
): Promise<RecordedEvent[]> {
  const taken: RecordedEvent[] = [];
  while (taken.length < count) {
    const next = await withTimeout(iterator.next(), timeoutMs);
    if (next.done) throw new Error(`subscription ended after ${taken.length} of ${count} events`);
    taken.push(next.value);
  }
  return taken;
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
