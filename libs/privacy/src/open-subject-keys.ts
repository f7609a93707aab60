import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MemorySubjectKeyStorage, type SubjectKeyStorage } from './key-storage';
import { loadOrCreateMasterKey, MasterKeys, parseMasterKey } from './master-key';
import { SubjectKeys, type SubjectKeysOptions } from './subject-keys';

export const subjectKeysFileName = 'subject-keys.db';

/** Where the keys go beside `EVENT_STORE` (checked and opened elsewhere): memory, PostgreSQL, or a SQLite file. */
function keyStoreKind(
  eventStore: string | undefined,
  dataDir: string,
): { kind: 'memory' } | { kind: 'sqlite'; dir: string } | { kind: 'postgres'; connectionString: string } {
  const value = eventStore?.trim() ?? '';
  if (value === 'memory:') return { kind: 'memory' };
  if (/^postgres(ql)?:\/\//i.test(value)) return { kind: 'postgres', connectionString: value };
  // Beside the SQLite event file, which several processes may share (each with its own DATA_DIR): so are its keys.
  const sqlitePath = value.startsWith('sqlite:') ? value.slice('sqlite:'.length) : '';
  return { kind: 'sqlite', dir: sqlitePath === '' ? dataDir : dirname(resolve(sqlitePath)) };
}

export interface OpenSubjectKeysOptions extends SubjectKeysOptions {
  /** `EVENT_STORE`: the key store sits beside it (never in it). */
  eventStore: string | undefined;
  dataDir: string;
  /** `PRIVACY_MASTER_KEY` (base64, 32 bytes); unset: `$DATA_DIR/privacy-master-key`, generated once. */
  masterKey?: string | undefined;
  /** `PRIVACY_MASTER_KEY_PREVIOUS`: still unwraps during a rotation; keys are re-wrapped under the current one. */
  previousMasterKey?: string | undefined;
}

/**
 * The subject keys of the service: a PostgreSQL table when the events are in PostgreSQL (shared by every instance);
 * `subject-keys.db` beside the SQLite event file (shared by the processes sharing it); `$DATA_DIR/subject-keys.db` for
 * KurrentDB (a key store is not a stream: a KurrentDB stream's deleted events stay in its chunks until scavenged), so
 * one instance only; in memory with the memory event store.
 */
export async function openSubjectKeys(options: OpenSubjectKeysOptions): Promise<SubjectKeys> {
  const location = keyStoreKind(options.eventStore, options.dataDir);
  const masterKeys = new MasterKeys(
    options.masterKey?.trim()
      ? parseMasterKey(options.masterKey, 'PRIVACY_MASTER_KEY')
      : location.kind === 'memory'
        ? randomBytes(32)
        : loadOrCreateMasterKey(location.kind === 'sqlite' ? location.dir : options.dataDir),
    options.previousMasterKey?.trim()
      ? parseMasterKey(options.previousMasterKey, 'PRIVACY_MASTER_KEY_PREVIOUS')
      : undefined,
  );
  let storage: SubjectKeyStorage;
  switch (location.kind) {
    case 'memory':
      storage = new MemorySubjectKeyStorage();
      break;
    case 'postgres': {
      const [{ PostgresSubjectKeyStorage }, { poolConfig }] = await Promise.all([
        import('./postgres-key-storage'),
        import('@access-audit/event-store/postgres'),
      ]);
      storage = new PostgresSubjectKeyStorage(poolConfig(location.connectionString));
      break;
    }
    default: {
      const { SqliteSubjectKeyStorage } = await import('./sqlite-key-storage');
      const dir = location.kind === 'sqlite' ? location.dir : options.dataDir;
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      storage = new SqliteSubjectKeyStorage(join(dir, subjectKeysFileName));
    }
  }
  const keys = new SubjectKeys(storage, masterKeys, options);
  try {
    await keys.assertMasterKeyOpensStore();
  } catch (error) {
    await keys.close();
    throw error;
  }
  return keys;
}
