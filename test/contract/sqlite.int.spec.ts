import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DuplicateEventIdError,
  MemoryEventStore,
  type EventStore,
  type RecordedEvent,
} from '@access-audit/event-store';
import { SqliteEventStore } from '@access-audit/event-store/sqlite';
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
    const store = new SqliteEventStore(join(directory, `${randomUUID()}.db`), { pollIntervalMs: 60_000 });
    try {
      const subscription = store.subscribe();
      const iterator = subscription[Symbol.asyncIterator]();
      const first = iterator.next();
      await new Promise((resolve) => setTimeout(resolve, 20));
      const started = Date.now();
      await store.append('team-1', [{ id: randomUUID(), type: 'Opened', data: {} }], 'no_stream');
      await expect(first).resolves.toMatchObject({ done: false, value: { streamId: 'team-1' } });
      expect(Date.now() - started).toBeLessThan(1000);
      await subscription.stop();
    } finally {
      await store.close();
    }
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
