import Database from 'better-sqlite3';
import type { StoredSubjectKey } from './master-key';
import { fromRow, type KeyRow, type SubjectKeyStorage } from './key-storage';

/**
 * `DATA_DIR/subject-keys.db`: secure_delete overwrites a deleted key's bytes in the file, and the WAL is truncated
 * after an erasure so no copy of the key is left in it either.
 */
export class SqliteSubjectKeyStorage implements SubjectKeyStorage {
  readonly #db: Database.Database;

  constructor(path: string) {
    this.#db = new Database(path);
    this.#db.pragma('secure_delete = ON');
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(
      `CREATE TABLE IF NOT EXISTS subject_keys (
         key_id TEXT PRIMARY KEY,
         subject TEXT NOT NULL UNIQUE,
         wrapped TEXT NOT NULL,
         master_key_id TEXT NOT NULL
       ) STRICT`,
    );
  }

  activeKey(subject: string): Promise<StoredSubjectKey | undefined> {
    const row = this.#db.prepare('SELECT * FROM subject_keys WHERE subject = ?').get(subject) as KeyRow | undefined;
    return Promise.resolve(row && fromRow(row));
  }

  keysById(keyIds: readonly string[]): Promise<Map<string, StoredSubjectKey>> {
    const found = new Map<string, StoredSubjectKey>();
    const select = this.#db.prepare('SELECT * FROM subject_keys WHERE key_id = ?');
    for (const keyId of new Set(keyIds)) {
      const row = select.get(keyId) as KeyRow | undefined;
      if (row) found.set(keyId, fromRow(row));
    }
    return Promise.resolve(found);
  }

  insertIfAbsent(key: StoredSubjectKey): Promise<StoredSubjectKey> {
    this.#db
      .prepare(
        'INSERT INTO subject_keys (key_id, subject, wrapped, master_key_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      )
      .run(key.keyId, key.subject, key.wrapped, key.masterKeyId);
    return this.activeKey(key.subject).then((active) => active!);
  }

  rewrap(key: StoredSubjectKey): Promise<void> {
    this.#db
      .prepare('UPDATE subject_keys SET wrapped = ?, master_key_id = ? WHERE key_id = ?')
      .run(key.wrapped, key.masterKeyId, key.keyId);
    return Promise.resolve();
  }

  eraseSubject(subject: string): Promise<number> {
    const { changes } = this.#db.prepare('DELETE FROM subject_keys WHERE subject = ?').run(subject);
    this.#db.pragma('wal_checkpoint(TRUNCATE)');
    return Promise.resolve(changes);
  }

  masterKeyIds(): Promise<string[]> {
    return Promise.resolve(this.#db.prepare('SELECT DISTINCT master_key_id FROM subject_keys').pluck().all() as string[]);
  }

  allKeys(): Promise<StoredSubjectKey[]> {
    return Promise.resolve((this.#db.prepare('SELECT * FROM subject_keys').all() as KeyRow[]).map(fromRow));
  }

  close(): Promise<void> {
    if (this.#db.open) {
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
      this.#db.close();
    }
    return Promise.resolve();
  }
}
