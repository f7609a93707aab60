import { Pool, type PoolConfig } from 'pg';
import { inTransactionUnderAdvisoryLock } from '@access-audit/event-store/postgres';
import type { StoredSubjectKey } from './master-key';
import { fromRow, type KeyRow, type SubjectKeyStorage } from './key-storage';

/** Advisory lock key for creating the table ("subjkeys" as ASCII); distinct from the event store's migration lock. */
const KEY_TABLE_LOCK = '0x' + Buffer.from('subjkeys').toString('hex');

/** A table beside the event store's (shared by every instance); VACUUM after an erasure drops the dead rows. */
export class PostgresSubjectKeyStorage implements SubjectKeyStorage {
  readonly #pool: Pool;
  #ready: Promise<void> | undefined;

  constructor(config: PoolConfig) {
    this.#pool = new Pool({ ...config, max: 2, min: 0 });
    // An idle connection the server ends (restart, dropped database) must not become an unhandled error.
    this.#pool.on('error', () => undefined);
    void this.#whenReady().catch(() => undefined);
  }

  /** The table exists; a failed creation (the database not up yet) is tried again by the next call. */
  #whenReady(): Promise<void> {
    this.#ready ??= this.#createTable().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  /** Under an advisory lock: concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog. */
  async #createTable(): Promise<void> {
    try {
      await inTransactionUnderAdvisoryLock(this.#pool, KEY_TABLE_LOCK, async (client) => {
        await client.query(
          `CREATE TABLE IF NOT EXISTS privacy_subject_keys (
             key_id TEXT PRIMARY KEY,
             subject TEXT NOT NULL UNIQUE,
             wrapped TEXT NOT NULL,
             master_key_id TEXT NOT NULL
           )`,
        );
      });
    } catch (error) {
      // An instance of an earlier version creates it without the lock: losing that race to it is no failure.
      const code = (error as { code?: unknown }).code;
      if (code !== '23505' && code !== '42P07' && code !== '42710') throw error;
    }
  }

  async #query(sql: string, values: unknown[] = []): Promise<KeyRow[]> {
    await this.#whenReady();
    return (await this.#pool.query<KeyRow>(sql, values)).rows;
  }

  async activeKey(subject: string): Promise<StoredSubjectKey | undefined> {
    const [row] = await this.#query('SELECT * FROM privacy_subject_keys WHERE subject = $1', [subject]);
    return row && fromRow(row);
  }

  async keysById(keyIds: readonly string[]): Promise<Map<string, StoredSubjectKey>> {
    const rows = await this.#query('SELECT * FROM privacy_subject_keys WHERE key_id = ANY($1::text[])', [[...keyIds]]);
    return new Map(rows.map((row) => [row.key_id, fromRow(row)]));
  }

  async insertIfAbsent(key: StoredSubjectKey): Promise<StoredSubjectKey> {
    await this.#query(
      'INSERT INTO privacy_subject_keys (key_id, subject, wrapped, master_key_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [key.keyId, key.subject, key.wrapped, key.masterKeyId],
    );
    return (await this.activeKey(key.subject))!;
  }

  async rewrap(key: StoredSubjectKey): Promise<void> {
    await this.#query('UPDATE privacy_subject_keys SET wrapped = $1, master_key_id = $2 WHERE key_id = $3', [
      key.wrapped,
      key.masterKeyId,
      key.keyId,
    ]);
  }

  async eraseSubject(subject: string): Promise<number> {
    const rows = await this.#query('DELETE FROM privacy_subject_keys WHERE subject = $1 RETURNING key_id', [subject]);
    // The deleted row's tuple stays in the table file until vacuumed.
    await this.#pool.query('VACUUM privacy_subject_keys').catch(() => undefined);
    return rows.length;
  }

  async masterKeyIds(): Promise<string[]> {
    await this.#whenReady();
    const { rows } = await this.#pool.query<{ id: string }>(
      'SELECT DISTINCT master_key_id AS id FROM privacy_subject_keys',
    );
    return rows.map((row) => row.id);
  }

  async allKeys(): Promise<StoredSubjectKey[]> {
    return (await this.#query('SELECT * FROM privacy_subject_keys')).map(fromRow);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
