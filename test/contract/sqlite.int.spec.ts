import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore, type RecordedEvent } from '@access-audit/event-store';
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
