import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import type { SubjectKeyStorage } from './key-storage';
import type { MasterKeys, StoredSubjectKey } from './master-key';
import type { PersonalData, PersonalDataSealer } from './personal-data';
import { isLegacyClearText } from '@access-audit/domain';
import { erasedText, isSealedValue, type PersonalText, type Revealed, type SealedValue } from './sealed-value';

const dataKeyInfo = 'access-audit sealed value v1';

/** What binds a sealed value's ciphertext to its subjects and key ids (the GCM additional data). */
const associatedData = (subjects: readonly string[], keys: readonly string[]): Buffer =>
  Buffer.from(JSON.stringify([1, subjects, keys]), 'utf8');

/** The value's data key: HKDF over every subject's key together, so any one of them missing leaves nothing to derive. */
const dataKeyOf = (subjectKeys: readonly Buffer[], subjects: readonly string[], keys: readonly string[]): Buffer =>
  Buffer.from(
    hkdfSync(
      'sha256',
      Buffer.concat(subjectKeys),
      Buffer.alloc(0),
      Buffer.concat([Buffer.from(dataKeyInfo), associatedData(subjects, keys)]),
      32,
    ),
  );

/** The configured master keys wrap none of the stored subject keys: a configuration error, said without a stack. */
export class MasterKeyMismatchError extends Error {
  override readonly name = 'MasterKeyMismatchError';
}

export interface SubjectKeysOptions {
  /** How long an opened subject key is kept in memory (ms); bounds how late another instance's erasure is seen. */
  cacheTtlMs?: number;
  now?: () => number;
  /** How many opened subject keys are kept at most (the oldest go first); default 100,000. */
  cacheSize?: number;
}

/** Derived data keys kept per tuple of key ids; bounded, and dropped whole on any erasure in this process. */
const dataKeyCacheSize = 4096;

/** Opened subject keys kept at most (each map): enough for every subject a busy instance meets within the TTL. */
const defaultOpenedKeyCacheSize = 100_000;

/**
 * Sets `key` last (the newest), dropping the oldest entries past `size`, and those `expired` says are, from the front
 * (insertion order is age order here, one TTL for all).
 */
function remember<K, V>(
  cache: Map<K, V>,
  key: K,
  value: V,
  size: number,
  expired: (entry: V) => boolean = () => false,
): void {
  cache.delete(key);
  for (const [oldest, entry] of cache) {
    if (cache.size < size && !expired(entry)) break;
    cache.delete(oldest);
  }
  cache.set(key, value);
}

interface CachedKey {
  subject: string;
  /** undefined: erased (or unknown). */
  key: Buffer | undefined;
  until: number;
}

/**
 * Seals and opens personal values under per-subject keys, and erases subjects by destroying their keys. Opened keys
 * are cached in memory for a short while; an erasure purges the subject's entries at once.
 */
export class SubjectKeys implements PersonalData, PersonalDataSealer {
  readonly #cache = new Map<string, CachedKey>();
  readonly #active = new Map<string, { keyId: string; key: Buffer; until: number }>();
  /** Opening derives the data key by HKDF; the same few subject tuples recur, so the derivation is kept. */
  readonly #dataKeys = new Map<string, { key: Buffer; until: number }>();
  readonly #erasureListeners: Array<(subject: string) => void> = [];
  /** Counts erasures begun and ended: a key looked up while one ran is used once, never cached (it may be gone). */
  #erasures = 0;
  readonly #ttl: number;
  readonly #cacheSize: number;
  readonly #now: () => number;

  constructor(
    readonly storage: SubjectKeyStorage,
    private readonly masterKeys: MasterKeys,
    options: SubjectKeysOptions = {},
  ) {
    this.#ttl = options.cacheTtlMs ?? 30_000;
    this.#cacheSize = Math.max(1, options.cacheSize ?? defaultOpenedKeyCacheSize);
    this.#now = options.now ?? Date.now;
  }

  async seal(plaintext: string, subjects: readonly string[]): Promise<SealedValue> {
    const ordered = [...new Set(subjects)];
    if (ordered.length === 0) throw new Error('a personal value needs at least one subject');
    const active = await Promise.all(ordered.map((subject) => this.#activeKey(subject)));
    const keys = active.map((key) => key.keyId);
    const iv = randomBytes(12);
    const cipher = createCipheriv(
      'aes-256-gcm',
      this.#dataKey(
        active.map((key) => key.key),
        ordered,
        keys,
      ),
      iv,
    );
    cipher.setAAD(associatedData(ordered, keys));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return { $sealed: 1, subjects: ordered, keys, iv: iv.toString('base64'), data: data.toString('base64') };
  }

  async open(value: PersonalText): Promise<string> {
    if (typeof value === 'string') return value;
    if (isLegacyClearText(value)) return value.text;
    const subjectKeys = await this.#keysOf(value.keys);
    return this.#openWith(value, subjectKeys);
  }

  async reveal<T>(value: T): Promise<Revealed<T>> {
    const keyIds = new Set<string>();
    const legacyClear = collectKeyIds(value, keyIds);
    if (keyIds.size === 0 && !legacyClear) return value as Revealed<T>;
    const keys = await this.#keysOf([...keyIds]);
    return this.#revealWith(value, keys) as Revealed<T>;
  }

  /** Destroys every key of the subject and forgets them here; answers how many keys were destroyed. */
  async erase(subject: string): Promise<number> {
    this.#erasures++;
    this.#forget(subject);
    const destroyed = await this.storage.eraseSubject(subject);
    this.#erasures++;
    this.#forget(subject);
    // Caches of opened values (a directory's users, say) drop what they hold of the subject.
    for (const listener of this.#erasureListeners) listener(subject);
    return destroyed;
  }

  /** Whether the store holds a key of the subject (it was never erased, and something was sealed for it). */
  async holds(subject: string): Promise<boolean> {
    return (await this.storage.activeKey(subject)) !== undefined;
  }

  /** Told of every erasure in this process, after the keys are gone: where caches of opened values purge. */
  onErased(listener: (subject: string) => void): void {
    this.#erasureListeners.push(listener);
  }

  /**
   * Refuses a key store none of whose keys this instance can unwrap (another instance's generated master key, a file
   * left with the old key after a rotation): every answer showing personal data would fail, so the start does.
   */
  async assertMasterKeyOpensStore(): Promise<void> {
    const stored = await this.storage.masterKeyIds();
    const held = this.masterKeys.ids;
    if (stored.length === 0 || stored.some((id) => held.includes(id))) return;
    throw new MasterKeyMismatchError(
      `PRIVACY_MASTER_KEY does not open the subject key store: its keys are wrapped by master key ${stored.join(', ')}, and this instance holds ${held.join(', ')}. Give every instance the same PRIVACY_MASTER_KEY (and, during a rotation, PRIVACY_MASTER_KEY_PREVIOUS)`,
    );
  }

  /** Re-wraps every key still wrapped by the previous master key; answers how many were re-wrapped. */
  async rotate(): Promise<number> {
    let rewrapped = 0;
    for (const stored of await this.storage.allKeys()) {
      if (!this.masterKeys.needsRewrap(stored)) continue;
      await this.storage.rewrap(this.masterKeys.wrap(stored.keyId, stored.subject, this.masterKeys.unwrap(stored)));
      rewrapped++;
    }
    return rewrapped;
  }

  close(): Promise<void> {
    this.#cache.clear();
    this.#active.clear();
    this.#dataKeys.clear();
    return this.storage.close();
  }

  /** Only called with every subject key in hand: a cached derivation is used only after its keys were found. */
  #dataKey(subjectKeys: readonly Buffer[], subjects: readonly string[], keys: readonly string[]): Buffer {
    const id = JSON.stringify([subjects, keys]);
    const now = this.#now();
    const cached = this.#dataKeys.get(id);
    if (cached && cached.until > now) return cached.key;
    const derived = dataKeyOf(subjectKeys, subjects, keys);
    // Not while an erasure runs here (its keys may be going), nor without a TTL; else for one TTL at most, so another
    // instance's erasure leaves no derivation here for long.
    if (this.#ttl > 0 && this.#erasures % 2 === 0)
      remember(
        this.#dataKeys,
        id,
        { key: derived, until: now + this.#ttl },
        dataKeyCacheSize,
        (entry) => entry.until <= now,
      );
    return derived;
  }

  #forget(subject: string): void {
    // Which tuples hold the subject's keys is not tracked; erasures are rare, so every derivation goes.
    this.#dataKeys.clear();
    this.#active.delete(subject);
    for (const [keyId, cached] of this.#cache) if (cached.subject === subject) this.#cache.delete(keyId);
  }

  async #activeKey(subject: string): Promise<{ keyId: string; key: Buffer }> {
    const cached = this.#active.get(subject);
    if (cached && cached.until > this.#now()) return cached;
    const erasures = this.#erasures;
    let stored = await this.storage.activeKey(subject);
    if (!stored) {
      const keyId = randomUUID();
      stored = await this.storage.insertIfAbsent(this.masterKeys.wrap(keyId, subject, randomBytes(32)));
    }
    const key = this.#unwrap(stored);
    const entry = { keyId: stored.keyId, key, until: this.#now() + this.#ttl };
    if (erasures !== this.#erasures) return entry;
    remember(this.#active, subject, entry, this.#cacheSize);
    remember(this.#cache, stored.keyId, { subject, key, until: entry.until }, this.#cacheSize);
    return entry;
  }

  #unwrap(stored: StoredSubjectKey): Buffer {
    const key = this.masterKeys.unwrap(stored);
    // Lazy rotation: a key still wrapped by the previous master key is re-wrapped the first time it is used.
    if (this.masterKeys.needsRewrap(stored)) {
      void this.storage.rewrap(this.masterKeys.wrap(stored.keyId, stored.subject, key)).catch(() => undefined);
    }
    return key;
  }

  async #keysOf(keyIds: readonly string[]): Promise<Map<string, Buffer | undefined>> {
    const now = this.#now();
    const found = new Map<string, Buffer | undefined>();
    const missing: string[] = [];
    for (const keyId of new Set(keyIds)) {
      const cached = this.#cache.get(keyId);
      if (cached && cached.until > now) found.set(keyId, cached.key);
      else missing.push(keyId);
    }
    if (missing.length > 0) {
      const erasures = this.#erasures;
      const stored = await this.storage.keysById(missing);
      const cacheable = erasures === this.#erasures;
      for (const keyId of missing) {
        const key = stored.get(keyId);
        const opened = key && this.#unwrap(key);
        found.set(keyId, opened);
        // An erased key is remembered as erased only briefly: its id can never come back, so this is only a shortcut.
        if (key && cacheable)
          remember(this.#cache, keyId, { subject: key.subject, key: opened, until: now + this.#ttl }, this.#cacheSize);
      }
    }
    return found;
  }

  #openWith(value: SealedValue, keys: Map<string, Buffer | undefined>): string {
    const subjectKeys: Buffer[] = [];
    for (const keyId of value.keys) {
      const key = keys.get(keyId);
      if (!key) return erasedText;
      subjectKeys.push(key);
    }
    const decipher = createDecipheriv(
      'aes-256-gcm',
      this.#dataKey(subjectKeys, value.subjects, value.keys),
      Buffer.from(value.iv, 'base64'),
    );
    decipher.setAAD(associatedData(value.subjects, value.keys));
    const bytes = Buffer.from(value.data, 'base64');
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
  }

  #revealWith(value: unknown, keys: Map<string, Buffer | undefined>): unknown {
    if (isSealedValue(value)) return this.#openWith(value, keys);
    if (isLegacyClearText(value)) return value.text;
    if (Array.isArray(value)) return value.map((item) => this.#revealWith(item, keys));
    if (typeof value !== 'object' || value === null) return value;
    const copy: Record<string, unknown> = Object.create(
      Object.getPrototypeOf(value) === null ? null : Object.prototype,
    );
    // defineProperty: a key such as `__proto__` (an id used as a key) stays a key, never a prototype.
    for (const [name, item] of Object.entries(value)) {
      Object.defineProperty(copy, name, {
        value: this.#revealWith(item, keys),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return copy;
  }
}

/** Adds the key ids of every sealed value inside `value`; true when it also holds a legacy clear value to open. */
function collectKeyIds(value: unknown, into: Set<string>): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (isSealedValue(value)) {
    for (const keyId of value.keys) into.add(keyId);
    return false;
  }
  if (isLegacyClearText(value)) return true;
  let legacyClear = false;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    if (collectKeyIds(item, into)) legacyClear = true;
  }
  return legacyClear;
}
