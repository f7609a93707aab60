import type { StoredSubjectKey } from './master-key';

/**
 * Where wrapped subject keys live: never the event log. One active key per subject; erasing a subject deletes every
 * key it ever had, so values sealed under them can no longer be opened anywhere.
 */
export interface SubjectKeyStorage {
  /** The subject's active key, if it has one. */
  activeKey(subject: string): Promise<StoredSubjectKey | undefined>;
  /** Keys by id; an id missing from the answer was erased (or never existed). */
  keysById(keyIds: readonly string[]): Promise<Map<string, StoredSubjectKey>>;
  /** Stores `key` unless the subject already has one (another writer won): answers the subject's active key. */
  insertIfAbsent(key: StoredSubjectKey): Promise<StoredSubjectKey>;
  /** Replaces a key's wrapping (master-key rotation); the key itself is unchanged. */
  rewrap(key: StoredSubjectKey): Promise<void>;
  /** Destroys every key of the subject; answers how many were destroyed (0 when already erased). */
  eraseSubject(subject: string): Promise<number>;
  /** Every stored key (master-key rotation). */
  allKeys(): Promise<StoredSubjectKey[]>;
  /** The ids of the master keys that wrap the stored keys (a start checks that it holds one of them). */
  masterKeyIds(): Promise<string[]>;
  close(): Promise<void>;
}

/** A stored key as the SQL storages (SQLite, PostgreSQL) keep it, one column a field. */
export interface KeyRow {
  key_id: string;
  subject: string;
  wrapped: string;
  master_key_id: string;
}

export const fromRow = (row: KeyRow): StoredSubjectKey => ({
  keyId: row.key_id,
  subject: row.subject,
  wrapped: row.wrapped,
  masterKeyId: row.master_key_id,
});

/** Keys in this process only (the memory event store: events and keys end together). */
export class MemorySubjectKeyStorage implements SubjectKeyStorage {
  readonly #byId = new Map<string, StoredSubjectKey>();
  readonly #activeBySubject = new Map<string, string>();

  activeKey(subject: string): Promise<StoredSubjectKey | undefined> {
    const keyId = this.#activeBySubject.get(subject);
    return Promise.resolve(keyId === undefined ? undefined : this.#byId.get(keyId));
  }

  keysById(keyIds: readonly string[]): Promise<Map<string, StoredSubjectKey>> {
    const found = new Map<string, StoredSubjectKey>();
    for (const keyId of keyIds) {
      const key = this.#byId.get(keyId);
      if (key) found.set(keyId, key);
    }
    return Promise.resolve(found);
  }

  insertIfAbsent(key: StoredSubjectKey): Promise<StoredSubjectKey> {
    const existing = this.#activeBySubject.get(key.subject);
    if (existing !== undefined) return Promise.resolve(this.#byId.get(existing)!);
    this.#byId.set(key.keyId, { ...key });
    this.#activeBySubject.set(key.subject, key.keyId);
    return Promise.resolve(key);
  }

  rewrap(key: StoredSubjectKey): Promise<void> {
    if (this.#byId.has(key.keyId)) this.#byId.set(key.keyId, { ...key });
    return Promise.resolve();
  }

  eraseSubject(subject: string): Promise<number> {
    let erased = 0;
    for (const [keyId, key] of this.#byId) {
      if (key.subject === subject) {
        this.#byId.delete(keyId);
        erased++;
      }
    }
    this.#activeBySubject.delete(subject);
    return Promise.resolve(erased);
  }

  allKeys(): Promise<StoredSubjectKey[]> {
    return Promise.resolve([...this.#byId.values()].map((key) => ({ ...key })));
  }

  masterKeyIds(): Promise<string[]> {
    return Promise.resolve([...new Set([...this.#byId.values()].map((key) => key.masterKeyId))]);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
