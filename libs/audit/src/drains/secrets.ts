import { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventStore } from '@access-audit/event-store';
import { erasedText, isSealedValue, type PersonalData, type PersonalDataSealer } from '@access-audit/privacy';

export const drainSecretKeyFileName = 'drain-secret-key';
export const drainSecretStreamPrefix = 'drain-secret-';
export const drainSecretStreamId = (drainId: string): string => `${drainSecretStreamPrefix}${drainId}`;
export const drainSecretEventType = 'AuditDrainSecretStored';

/** What a drain needs to deliver and nobody may read from the log: its signing secret, and an optional credential. */
export interface DrainCredentials {
  /** The HMAC-SHA256 key of `X-Access-Audit-Signature`. */
  secret: string;
  /** Sent as the `Authorization` header of each delivery (a SIEM's collector token), when set. */
  authorization?: string;
}

/**
 * The destroyable key store (the subject keys, beside the event store, never in it): a drain's credentials are sealed
 * under a key of the drain's own, destroyed when the drain is removed, so the ciphertext left in its stream opens no more.
 */
export interface DrainCredentialKeys extends PersonalData, PersonalDataSealer {
  erase(subject: string): Promise<number>;
  /** Whether the store still holds a key of the subject. */
  holds(subject: string): Promise<boolean>;
}

/** The drain's key in that store: `/` is in no user id, so no erasure of a person reaches it and no person holds it. */
export const drainKeySubject = (drainId: string): string => `drain/${drainId}`;

/** What the stream's ciphertext holds when the credentials are sealed under the drain's own key too. */
interface ShreddableCredentials {
  $drainKey: 1;
  sealed: unknown;
}

/** The one event of a drain's secret stream: AES-256-GCM ciphertext only, bound to the drain id. */
interface SealedCredentials {
  algorithm: 'AES-256-GCM';
  /** First 16 hex digits of SHA-256 over the key: which key sealed it, so a wrong key is named, not guessed. */
  keyId: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

/** The AES-256 key that seals drain credentials, from DRAIN_SECRET_KEY (base64 or hex of 32 bytes). */
export class DrainSecretKey {
  readonly keyId: string;
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('the drain secret key must be 32 bytes (base64 or hex)');
    this.#key = Buffer.from(key);
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 16);
  }

  static parse(text: string): DrainSecretKey {
    const trimmed = text.trim();
    const bytes = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
    return new DrainSecretKey(bytes);
  }

  /**
   * DRAIN_SECRET_KEY when set (every instance of a cluster must be given the same); else `$DATA_DIR/drain-secret-key`,
   * generated there once (mode 0600), like the other secrets of the embedded default.
   */
  static load(options: { value?: string; dataDir: string }): DrainSecretKey {
    if (options.value !== undefined && options.value.trim() !== '') return DrainSecretKey.parse(options.value);
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    if ((statSync(options.dataDir).mode & 0o077) !== 0) chmodSync(options.dataDir, 0o700);
    const path = join(options.dataDir, drainSecretKeyFileName);
    try {
      writeFileSync(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    return DrainSecretKey.parse(readFileSync(path, 'utf8'));
  }

  seal(drainId: string, credentials: DrainCredentials | ShreddableCredentials): SealedCredentials {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(drainId, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(credentials), 'utf8'), cipher.final()]);
    return {
      algorithm: 'AES-256-GCM',
      keyId: this.keyId,
      iv: iv.toString('base64'),
      ciphertext: ciphertext.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    };
  }

  open(drainId: string, sealed: SealedCredentials): DrainCredentials | ShreddableCredentials {
    if (sealed.keyId !== this.keyId) {
      throw new Error(
        `the credentials of drain ${drainId} were sealed with key ${sealed.keyId}, not this instance's ${this.keyId} (DRAIN_SECRET_KEY must be the same on every instance)`,
      );
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(drainId, 'utf8'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    const text = Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]);
    return JSON.parse(text.toString('utf8')) as DrainCredentials | ShreddableCredentials;
  }
}

/**
 * Drain credentials, sealed, in a stream of their own (`drain-secret-<drainId>`): shared by every instance through the
 * event store, outside every team and audit stream, and readable only with the key. Opened once per process and drain.
 */
export class DrainSecrets {
  readonly #opened = new Map<string, DrainCredentials>();

  constructor(
    private readonly store: EventStore,
    private readonly key: DrainSecretKey,
    /** Without it (tools, older tests) credentials are sealed by DRAIN_SECRET_KEY alone and cannot be destroyed. */
    private readonly drainKeys?: DrainCredentialKeys,
  ) {}

  async put(drainId: string, credentials: DrainCredentials): Promise<void> {
    const payload: DrainCredentials | ShreddableCredentials = this.drainKeys
      ? { $drainKey: 1, sealed: await this.drainKeys.seal(JSON.stringify(credentials), [drainKeySubject(drainId)]) }
      : credentials;
    const data = this.key.seal(drainId, payload);
    await this.store.append(
      drainSecretStreamId(drainId),
      [{ id: randomUUID(), type: drainSecretEventType, data }],
      'no_stream',
    );
    this.#opened.set(drainId, credentials);
  }

  /** The drain's credentials; undefined while none are stored; throws once destroyed or where they cannot be opened. */
  async get(drainId: string): Promise<DrainCredentials | undefined> {
    const known = this.#opened.get(drainId);
    if (known) return known;
    const [event] = await this.store.readStream(drainSecretStreamId(drainId), { limit: 1 });
    if (!event) return undefined;
    const opened = this.key.open(drainId, event.data as SealedCredentials);
    let credentials: DrainCredentials;
    if ('$drainKey' in opened) {
      if (!this.drainKeys || !isSealedValue(opened.sealed))
        throw new Error(`the credentials of drain ${drainId} are sealed under a drain key this instance cannot reach`);
      const text = await this.drainKeys.open(opened.sealed);
      // Only an active drain's worker asks: a missing key is this instance's store lacking it, as one that cannot open.
      if (text === erasedText)
        throw new Error(
          `the key of drain ${drainId} is not in this instance's subject key store (destroyed with the drain, or another instance's store)`,
        );
      credentials = JSON.parse(text) as DrainCredentials;
    } else credentials = opened;
    this.#opened.set(drainId, credentials);
    return credentials;
  }

  forget(drainId: string): void {
    this.#opened.delete(drainId);
  }

  /** `destroy`, only where the key is still held: a sweep of removed drains costs one lookup each. */
  async destroyIfPresent(drainId: string): Promise<void> {
    if (this.drainKeys && (await this.drainKeys.holds(drainKeySubject(drainId)))) await this.destroy(drainId);
  }

  /** Destroys the drain's key (a removed drain, or one never added): its credentials open nowhere any more. */
  async destroy(drainId: string): Promise<void> {
    this.#opened.delete(drainId);
    await this.drainKeys?.erase(drainKeySubject(drainId));
  }
}
