import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { KurrentDBEventStore } from './kurrentdb/kurrentdb-event-store';
import { MemoryEventStore } from './memory/memory-event-store';
import { openEventStore, parseEventStoreLocation } from './open-event-store';
import { SqliteEventStore } from './sqlite/sqlite-event-store';

describe('parseEventStoreLocation', () => {
  it('defaults to events.db in the data folder', () => {
    expect(parseEventStoreLocation(undefined, './data')).toEqual({ kind: 'sqlite', path: resolve('data/events.db') });
    expect(parseEventStoreLocation('  ', '/srv/data')).toEqual({ kind: 'sqlite', path: '/srv/data/events.db' });
    expect(parseEventStoreLocation('sqlite:', '/srv/data')).toEqual({ kind: 'sqlite', path: '/srv/data/events.db' });
  });

  it('reads sqlite:<path> and memory:', () => {
    expect(parseEventStoreLocation('sqlite:/var/lib/audit/log.db', '/x')).toEqual({
      kind: 'sqlite',
      path: '/var/lib/audit/log.db',
    });
    expect(parseEventStoreLocation('sqlite:rel/log.db', '/x')).toEqual({ kind: 'sqlite', path: resolve('rel/log.db') });
    expect(parseEventStoreLocation('memory:', '/x')).toEqual({ kind: 'memory' });
  });

  it.each([
    'kurrentdb://localhost:2113?tls=false',
    'kurrentdb://node1:2113,node2:2113,node3:2113?tls=false&nodePreference=leader',
    'kurrentdb+discover://cluster.internal:2113',
    'esdb://localhost:2113?tls=false',
    'esdb+discover://cluster.internal:2113',
  ])('recognises the KurrentDB connection string %s', (connectionString) => {
    expect(parseEventStoreLocation(connectionString, '/x')).toEqual({ kind: 'kurrentdb', connectionString });
  });

  it.each([
    'postgres://access_audit:pw@db.internal:5432/access_audit',
    'postgresql://db.internal/access_audit?sslmode=verify-full&max=20',
  ])('recognises the PostgreSQL connection string %s', (connectionString) => {
    expect(parseEventStoreLocation(connectionString, '/x')).toEqual({ kind: 'postgres', connectionString });
  });

  it('refuses anything else, naming the accepted forms', () => {
    expect(() => parseEventStoreLocation('mysql://localhost', '/x')).toThrow(
      /sqlite:<path>, memory:, postgres:\/\/…, kurrentdb/,
    );
  });

  it('never repeats the refused value, which may hold credentials', () => {
    expect(() => parseEventStoreLocation('mongodb://admin:s3cret@db:27017', '/x')).toThrow(/unrecognised mongodb:/);
    expect(() => parseEventStoreLocation('mongodb://admin:s3cret@db:27017', '/x')).not.toThrow(/s3cret/);
  });
});

describe('openEventStore', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'open-event-store-'));
  });
  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('creates the data folder with mode 0700 and opens SQLite there', async () => {
    const dataDir = join(directory, 'nested', 'data');
    const store = await openEventStore(undefined, { dataDir });
    try {
      expect(store).toBeInstanceOf(SqliteEventStore);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dataDir, 'events.db')).isFile()).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('opens the memory store and a KurrentDB client (which connects lazily)', async () => {
    const memory = await openEventStore('memory:', { dataDir: directory });
    expect(memory).toBeInstanceOf(MemoryEventStore);
    await memory.close();
    const kurrent = await openEventStore('esdb://localhost:1?tls=false', { dataDir: directory });
    expect(kurrent).toBeInstanceOf(KurrentDBEventStore);
    await kurrent.close();
  });

  it('refuses a PostgreSQL server it cannot reach without repeating the connection string', async () => {
    const error = await openEventStore('postgres://admin:s3cret-pass@127.0.0.1:1/audit?connect_timeout=2', {
      dataDir: directory,
    }).catch((e: unknown) => e);
    expect(String(error)).toMatch(/ECONNREFUSED/);
    expect(String(error)).not.toMatch(/s3cret|admin/);
    await expect(
      openEventStore('postgres://admin:s3cret-pass@127.0.0.1:1/audit?max=0', { dataDir: directory }),
    ).rejects.toThrow(/^the PostgreSQL connection string's max must be a positive whole number$/);
  });
});
