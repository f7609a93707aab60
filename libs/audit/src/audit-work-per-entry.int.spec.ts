import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { teamStreamId } from '@access-audit/domain';
import { MemoryEventStore, type EventStore, type RecordedEvent } from '@access-audit/event-store';
import { SqliteEventStore } from '@access-audit/event-store/sqlite';
import { AuditLog } from './audit-log';
import { AuditTrail } from './audit-trail';
import { auditEventTypes, auditStreamId, type AuditCheckpoint, type AuditEntry } from './entry';
import { CheckpointSigner } from './signing';
import { at, enterpriseHistory, mustRun } from './testing/audit-fixtures';
import { verifyRecords } from './verify';

const signer = CheckpointSigner.generate();

/** The store, with the id of every stream read through `readStream` noted in `reads`. */
function countingReads(store: EventStore, reads: string[]): EventStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'readStream') {
        return (streamId: string, options?: Parameters<EventStore['readStream']>[1]) => {
          reads.push(streamId);
          return target.readStream(streamId, options);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const checkpointsOf = async (store: EventStore, teamId = 'acme'): Promise<number[]> =>
  (await store.readStream(auditStreamId(teamId)))
    .filter((event) => event.type === auditEventTypes.checkpointSigned)
    .map((event) => (event.data as AuditCheckpoint).sequence);

describe('audit work that is not repeated per entry', () => {
  it('signs over entries this trail appended without deriving them from their source events again', async () => {
    const store = new MemoryEventStore();
    await enterpriseHistory(store);
    const reads: string[] = [];
    const trail = new AuditTrail(countingReads(store, reads), signer, { checkpointEvery: 100 });
    for (const event of await store.readStream(teamStreamId('acme'))) await trail.recordTeamEvent(event);
    reads.length = 0;

    await trail.signHead('acme');
    expect(await checkpointsOf(store)).toEqual([10]);
    // The unsigned entries themselves are read back and their chain checked; their team events are not read again.
    expect(reads).toContain(auditStreamId('acme'));
    expect(reads).not.toContain(teamStreamId('acme'));
    const records = (await store.readStream(auditStreamId('acme'))).map((event) => ({ record: event.data }));
    expect(await verifyRecords(records, signer.publicKey)).toMatchObject({ valid: true, signedThrough: 10 });
    await store.close();
  });

  it('indexes the audit entries appended in one turn in one index transaction, not one per entry', async () => {
    const store = new MemoryEventStore();
    const audit = new AuditLog({ store, signer, indexPath: ':memory:' });
    await audit.start();
    // The sizes as each call sees them (the batch array is reused after the call).
    const batches: number[] = [];
    const apply = audit.index.apply.bind(audit.index);
    jest.spyOn(audit.index, 'apply').mockImplementation((events) => {
      batches.push(events.length);
      apply(events);
    });
    const teams = Array.from({ length: 20 }, (_, index) => `team-${index}`);
    await Promise.all(
      teams.map((teamId) =>
        mustRun(store, { type: 'CreateTeam', teamId, data: { name: teamId, plan: 'pro' }, metadata: at('alice') }),
      ),
    );
    expect(await audit.waitUntilIndexed((await store.headPosition())!, 5_000)).toBe(true);
    for (const teamId of teams) expect(audit.page(teamId, {}, 10).entries).toHaveLength(1);
    expect(batches.reduce((sum, size) => sum + size, 0)).toBe(20);
    expect(batches.length).toBeLessThanOrEqual(4);
    await audit.stop();
    await store.close();
  });

  it('reports an index that cannot be written, and still stops cleanly', async () => {
    const store = new MemoryEventStore();
    const errors: string[] = [];
    const audit = new AuditLog({ store, signer, indexPath: ':memory:', onError: (message) => errors.push(message) });
    await audit.start();
    jest.spyOn(audit.index, 'apply').mockImplementation(() => {
      throw new Error('disk full');
    });
    await mustRun(store, {
      type: 'CreateTeam',
      teamId: 'acme',
      data: { name: 'Acme', plan: 'pro' },
      metadata: at('alice'),
    });
    for (let waited = 0; errors.length === 0 && waited < 5_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(errors).toEqual(['audit: the index subscription ended']);
    await audit.stop();
    await store.close();
  });

  describe('over SQLite, with another instance appending too', () => {
    let dir: string;
    let store: SqliteEventStore;
    let db: Database.Database;

    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'audit-work-'));
      store = new SqliteEventStore(join(dir, 'events.db'));
      await enterpriseHistory(store);
      db = new Database(join(dir, 'events.db'));
    });
    afterEach(async () => {
      db.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const forgeTeamEvent = (event: RecordedEvent): void => {
      const row = db
        .prepare<[string, number], { position: number; data: string }>(
          'SELECT position, data FROM events WHERE stream_id = ? AND revision = ?',
        )
        .get(event.streamId, event.revision)!;
      const forged = row.data.replace('"userId":"', '"userId":"mallory-');
      expect(forged).not.toBe(row.data);
      db.prepare('UPDATE events SET data = ? WHERE position = ?').run(forged, row.position);
    };

    it('derives again from its source the entry another instance appended, and refuses to sign when it is forged', async () => {
      const events = await store.readStream(teamStreamId('acme'));
      const last = events[events.length - 1];
      const refusals: string[] = [];
      const trail = new AuditTrail(store, signer, {
        checkpointEvery: 100,
        onSigningRefused: (_teamId, reason) => refusals.push(reason),
      });
      for (const event of events.slice(0, -1)) await trail.recordTeamEvent(event);
      await new AuditTrail(store, signer, { checkpointEvery: 100 }).recordTeamEvent(last);
      forgeTeamEvent(last);

      await trail.signHead('acme');
      expect(await checkpointsOf(store)).toEqual([]);
      expect(refusals).toEqual([expect.stringMatching(/at entry 10: .*differs from its source event/)]);
    });

    it('refuses to sign when an entry it appended itself was altered in the store', async () => {
      const refusals: string[] = [];
      const trail = new AuditTrail(store, signer, {
        checkpointEvery: 100,
        onSigningRefused: (_teamId, reason) => refusals.push(reason),
      });
      for (const event of await store.readStream(teamStreamId('acme'))) await trail.recordTeamEvent(event);
      const [row] = db
        .prepare<[string], { position: number; data: string }>(
          'SELECT position, data FROM events WHERE stream_id = ? AND revision = 3',
        )
        .all(auditStreamId('acme'));
      const entry = JSON.parse(row!.data) as AuditEntry;
      db.prepare('UPDATE events SET data = ? WHERE position = ?').run(
        JSON.stringify({ ...entry, actor: 'mallory' }),
        row!.position,
      );

      await trail.signHead('acme');
      expect(await checkpointsOf(store)).toEqual([]);
      expect(refusals).toEqual([expect.stringMatching(/chain breaks at entry 4: the entry was altered/)]);
    });
  });
});
