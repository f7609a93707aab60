import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { MemorySubjectKeyStorage, type SubjectKeyStorage } from './key-storage';
import { loadOrCreateMasterKey, MasterKeys, parseMasterKey } from './master-key';
import { SubjectKeys, type SubjectKeysOptions } from './subject-keys';

export const subjectKeysFileName = 'subject-keys.db';

/** Where the keys go beside `EVENT_STORE` (checked and opened elsewhere): memory, PostgreSQL, or a SQLite file. */
function keyStoreKind(
  eventStore: string | undefined,
): { kind: 'memory' | 'sqlite' } | { kind: 'postgres'; connectionString: string } {
  const value = eventStore?.trim() ?? '';
  if (value === 'memory:') return { kind: 'memory' };
  if (/^postgres(ql)?:\/\//i.test(value)) return { kind: 'postgres', connectionString: value };
  return { kind: 'sqlite' };
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
 * `$DATA_DIR/subject-keys.db` for SQLite and KurrentDB (a key store is not a stream: a KurrentDB stream's deleted
 * events stay in its chunks until scavenged); in memory with the memory event store.
 */
export async function openSubjectKeys(options: OpenSubjectKeysOptions): Promise<SubjectKeys> {
  const location = keyStoreKind(options.eventStore);
  const masterKeys = new MasterKeys(
    options.masterKey?.trim()
      ? parseMasterKey(options.masterKey, 'PRIVACY_MASTER_KEY')
      : location.kind === 'memory'
        ? randomBytes(32)
        : loadOrCreateMasterKey(options.dataDir),
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
      storage = new SqliteSubjectKeyStorage(join(options.dataDir, subjectKeysFileName));
    }
  }
  return new SubjectKeys(storage, masterKeys, options);
}
