import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { EventStore } from './port';
import type { KurrentDBEventStoreOptions } from './kurrentdb/kurrentdb-event-store';
import { MemoryEventStore } from './memory/memory-event-store';
import type { PostgresEventStoreOptions } from './postgres/postgres-event-store';
import type { SqliteEventStoreOptions } from './sqlite/sqlite-event-store';

export interface OpenEventStoreOptions {
  /** Folder of the embedded store's default file (`$DATA_DIR/events.db`). */
  dataDir: string;
  sqlite?: SqliteEventStoreOptions;
  kurrentdb?: KurrentDBEventStoreOptions;
  postgres?: PostgresEventStoreOptions;
}

export type EventStoreLocation =
  | { kind: 'memory' }
  | { kind: 'sqlite'; path: string }
  | { kind: 'kurrentdb'; connectionString: string }
  | { kind: 'postgres'; connectionString: string };

const KURRENTDB_SCHEME = /^(kurrentdb|kurrent|kdb|esdb)(\+discover)?:\/\//;
const POSTGRES_SCHEME = /^postgres(ql)?:\/\//;

/**
 * Reads the `EVENT_STORE` syntax: `sqlite:<path>`, `memory:`, `postgres://…` / `postgresql://…`, `kurrentdb://…` /
 * `esdb://…` (also `+discover`).
 */
export function parseEventStoreLocation(connectionString: string | undefined, dataDir: string): EventStoreLocation {
  const value = connectionString?.trim() ?? '';
  if (value === '') return { kind: 'sqlite', path: resolve(join(dataDir, 'events.db')) };
  if (value === 'memory:') return { kind: 'memory' };
  if (value.startsWith('sqlite:')) {
    const path = value.slice('sqlite:'.length);
    return { kind: 'sqlite', path: resolve(path === '' ? join(dataDir, 'events.db') : path) };
  }
  if (KURRENTDB_SCHEME.test(value)) return { kind: 'kurrentdb', connectionString: value };
  if (POSTGRES_SCHEME.test(value)) return { kind: 'postgres', connectionString: value };
  // Only the scheme is named: the value may be a connection string with credentials in it.
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(value)?.[0] ?? 'a value without a scheme';
  throw new Error(
    `EVENT_STORE: unrecognised ${scheme}; expected sqlite:<path>, memory:, postgres://…, kurrentdb://… or esdb://…`,
  );
}

/** Opens the event store `EVENT_STORE` names; the SQLite file's folder is created with mode 0700 when missing. */
export async function openEventStore(
  connectionString: string | undefined,
  options: OpenEventStoreOptions,
): Promise<EventStore> {
  const location = parseEventStoreLocation(connectionString, options.dataDir);
  switch (location.kind) {
    case 'memory':
      return new MemoryEventStore();
    case 'sqlite': {
      mkdirSync(dirname(location.path), { recursive: true, mode: 0o700 });
      const { SqliteEventStore } = await import('./sqlite/sqlite-event-store');
      return new SqliteEventStore(location.path, options.sqlite);
    }
    case 'kurrentdb': {
      const { KurrentDBEventStore } = await import('./kurrentdb/kurrentdb-event-store');
      return new KurrentDBEventStore(location.connectionString, options.kurrentdb);
    }
    case 'postgres': {
      const { PostgresEventStore } = await import('./postgres/postgres-event-store');
      return PostgresEventStore.open(location.connectionString, options.postgres);
    }
  }
}
