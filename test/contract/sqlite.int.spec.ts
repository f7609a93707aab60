import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  DuplicateEventIdError,
  MemoryEventStore,
  WrongExpectedRevisionError,
  type EventStore,
  type EventToAppend,
  type RecordedEvent,
} from '@access-audit/event-store';
import { SqliteEventStore } from '@access-audit/event-store/sqlite';
import type { CommittedGroup } from '../../libs/event-store/src/internal/group-committer';
import { eventStoreContract } from './event-store.contract';

let directory: string;
beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'event-store-contract-'));
});
afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

describe('SQLite adapter contract', () => {
  eventStoreContract(async () => new SqliteEventStore(join(directory, `${randomUUID()}.db`)));
});

describe('SQLite adapter across processes', () => {
  it('delivers to a subscriber the appends another connection makes to the same file', async () => {
    const path = join(directory, `${randomUUID()}.db`);
    const subscriberSide = new SqliteEventStore(path, { pollIntervalMs: 50 });
    const writerSide = new SqliteEventStore(path);
    try {
      const subscription = subscriberSide.subscribe();
      const iterator = subscription[Symbol.asyncIterator]();
      const first = iterator.next();
      await writerSide.append('team-1', [{ id: randomUUID(), type: 'Opened', data: { n: 1 } }], 'no_stream');
      const delivered = (await first) as IteratorResult<RecordedEvent>;
      expect(delivered.value).toMatchObject({ streamId: 'team-1', data: { n: 1 } });
      await subscription.stop();
      expect(await iterator.next()).toMatchObject({ done: true });
    } finally {
      await subscriberSide.close();
      await writerSide.close();
    }
  });

  it('keeps its events when reopened', async () => {
    const path = join(directory, `${randomUUID()}.db`);
    const first = new SqliteEventStore(path);
    const appended = await first.append('team-1', [{ id: randomUUID(), type: 'Opened', data: {} }], 'no_stream');
    await first.close();
    const reopened = new SqliteEventStore(path);
    try {
      expect(await reopened.headPosition()).toBe(appended.position);
      expect(await reopened.streamRevision('team-1')).toBe(0);
    } finally {
      await reopened.close();
    }
  });
});

describe('SQLite adapter in one process', () => {
  it('wakes a live subscriber on an in-process append without waiting for the poll', async () => {
    const pollIntervalMs = 60_000;
    const store = new SqliteEventStore(join(directory, `${randomUUID()}.db`), { pollIntervalMs });
    try {
      const subscription = store.subscribe();
      const iterator = subscription[Symbol.asyncIterator]();
      const first = iterator.next();
      await new Promise((resolve) => setTimeout(resolve, 20));
      const started = Date.now();
      await store.append('team-1', [{ id: randomUUID(), type: 'Opened', data: {} }], 'no_stream');
      await expect(first).resolves.toMatchObject({ done: false, value: { streamId: 'team-1' } });
      // Woken by the append, not by the poll: well within the poll interval, however long a busy machine's fsync takes.
      expect(Date.now() - started).toBeLessThan(pollIntervalMs / 4);
      await subscription.stop();
    } finally {
      await store.close();
    }
  });
});

describe('SQLite adapter: group commit', () => {
  const opened = (n: number): EventToAppend[] => [{ id: randomUUID(), type: 'Opened', data: { n } }];
  let path: string;
  let groups: CommittedGroup[];
  let store: SqliteEventStore;
  beforeEach(() => {
    path = join(directory, `${randomUUID()}.db`);
    groups = [];
    store = new SqliteEventStore(path, { groupCommit: { onGroup: (group) => groups.push(group) } });
  });
  afterEach(async () => {
    await store.close();
  });

  /** Rows another connection sees: only what is committed. */
  function committedCount(): number {
    const reader = new Database(path, { readonly: true });
    try {
      return reader.prepare<[], number>('SELECT COUNT(*) FROM events').pluck().get() ?? 0;
    } finally {
      reader.close();
    }
  }

  it('commits a lone append at once, before append() returns, in a transaction of its own', async () => {
    const pending = store.append('team-1', opened(0), 'no_stream');
    expect(committedCount()).toBe(1);
    await pending;
    expect(groups).toEqual([{ requests: 1, weight: 1 }]);
  });

  it('commits appends that arrive meanwhile together, in arrival order, and keeps them across a reopen', async () => {
    const batches = Array.from({ length: 64 }, (_, n) => opened(n));
    const results = await Promise.all(batches.map((events, n) => store.append(`team-${n}`, events, 'no_stream')));
    expect(groups.map((group) => group.requests)).toEqual([1, 63]);
    const positions = results.map((result) => Number(result.position));
    expect(positions).toEqual(positions.map((_, n) => positions[0] + n));

    await store.close();
    store = new SqliteEventStore(path);
    const stored: RecordedEvent[] = [];
    for await (const recorded of store.readAll()) stored.push(recorded);
    expect(stored.map((e) => e.id)).toEqual(batches.map((events) => events[0].id));
  });

  it('rolls back only the failing append of a group, all of its events, and commits the others', async () => {
    const taken = randomUUID();
    await store.append('team-0', [{ id: taken, type: 'Opened', data: {} }], 'no_stream');
    const halfNew: EventToAppend[] = [
      { id: randomUUID(), type: 'Changed', data: {} },
      { id: taken, type: 'Changed', data: {} },
    ];
    const outcomes = await Promise.allSettled([
      store.append('team-1', opened(1), 'no_stream'),
      store.append('team-0', halfNew, 0),
      store.append('team-2', opened(2), 'no_stream'),
      store.append('team-0', [{ id: randomUUID(), type: 'Changed', data: {} }], 7),
      store.append('team-0', opened(3), 0),
    ]);
    expect(groups.map((group) => group.requests)).toEqual([1, 5]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateEventIdError);
    expect((outcomes[3] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedRevisionError);
    expect(committedCount()).toBe(4);
    expect((await store.readStream('team-0')).map((e) => e.revision)).toEqual([0, 1]);
    expect(await store.streamRevision('team-1')).toBe(0);
    expect(await store.streamRevision('team-2')).toBe(0);
  });

  it('bounds a group by appends and by events', async () => {
    await store.close();
    groups = [];
    store = new SqliteEventStore(path, {
      groupCommit: { maxRequests: 4, maxWeight: 6, onGroup: (group) => groups.push(group) },
    });
    const sizes = [1, 1, 1, 1, 1, 1, 3, 3, 1, 9, 1];
    const batches = sizes.map((size, n) =>
      Array.from({ length: size }, (_, i) => ({ id: randomUUID(), type: 'Opened', data: { n, i } })),
    );
    await Promise.all(batches.map((events, n) => store.append(`team-${n}`, events, 'no_stream')));
    expect(groups).toEqual([
      { requests: 1, weight: 1 },
      { requests: 4, weight: 4 },
      { requests: 2, weight: 4 },
      { requests: 2, weight: 4 },
      { requests: 1, weight: 9 },
      { requests: 1, weight: 1 },
    ]);
    expect(committedCount()).toBe(sizes.reduce((sum, size) => sum + size, 0));
  });

  it('commits the appends still waiting when closed', async () => {
    const pending = Array.from({ length: 10 }, (_, n) => store.append(`team-${n}`, opened(n), 'no_stream'));
    await store.close();
    expect((await Promise.all(pending)).map((result) => result.streamRevision)).toEqual(pending.map(() => 0));
    expect(committedCount()).toBe(10);
  });

  it('delivers a group to a live subscriber once committed, in position order', async () => {
    const subscription = store.subscribe();
    const iterator = subscription[Symbol.asyncIterator]();
    const first = iterator.next();
    const batches = Array.from({ length: 20 }, (_, n) => opened(n));
    await Promise.all(batches.map((events, n) => store.append(`team-${n}`, events, 'no_stream')));
    const delivered = [(await first).value as RecordedEvent];
    while (delivered.length < batches.length) delivered.push((await iterator.next()).value as RecordedEvent);
    expect(delivered.map((e) => e.id)).toEqual(batches.map((events) => events[0].id));
    await subscription.stop();
  });
});

describe.each([
  ['memory', async (): Promise<EventStore> => new MemoryEventStore()],
  ['SQLite', async (): Promise<EventStore> => new SqliteEventStore(join(directory, `${randomUUID()}.db`))],
])('%s adapter: event ids', (_name, openStore) => {
  let store: EventStore;
  beforeEach(async () => {
    store = await openStore();
  });
  afterEach(async () => {
    await store.close();
  });

  it('refuses an event id already stored at another place', async () => {
    const id = randomUUID();
    await store.append('team-1', [{ id, type: 'Opened', data: {} }], 'no_stream');
    await expect(store.append('team-2', [{ id, type: 'Opened', data: {} }], 'no_stream')).rejects.toBeInstanceOf(
      DuplicateEventIdError,
    );
    await expect(
      store.append(
        'team-1',
        [
          { id: randomUUID(), type: 'Changed', data: {} },
          { id, type: 'Changed', data: {} },
        ],
        0,
      ),
    ).rejects.toBeInstanceOf(DuplicateEventIdError);
    expect(await store.streamRevision('team-1')).toBe(0);
    expect(await store.streamRevision('team-2')).toBe(-1);
  });

  it('refuses ids that are not UUIDs and reserved names, as KurrentDB would', async () => {
    await expect(store.append('team-1', [{ id: 'e1', type: 'Opened', data: {} }], 'any')).rejects.toThrow(/UUID/);
    await expect(store.append('$all', [{ id: randomUUID(), type: 'Opened', data: {} }], 'any')).rejects.toThrow(
      /reserved/,
    );
    await expect(store.append('team-1', [{ id: randomUUID(), type: '$metadata', data: {} }], 'any')).rejects.toThrow(
      /reserved/,
    );
  });

  it('stores ids in lower case', async () => {
    const id = randomUUID().toUpperCase();
    const result = await store.append('team-1', [{ id, type: 'Opened', data: {} }], 'no_stream');
    expect(result.events[0].id).toBe(id.toLowerCase());
    expect((await store.readStream('team-1'))[0].id).toBe(id.toLowerCase());
    expect(await store.append('team-1', [{ id, type: 'Opened', data: {} }], 'no_stream')).toMatchObject({
      streamRevision: 0,
    });
  });
});
