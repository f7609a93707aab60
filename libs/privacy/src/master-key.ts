import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A subject key as stored: wrapped (AES-256-GCM) under a master key named by its id. */
export interface StoredSubjectKey {
  keyId: string;
  subject: string;
  /** Base64 of iv (12) + ciphertext (32) + tag (16). */
  wrapped: string;
  /** Which master key wrapped it (`masterKeyIdOf`). */
  masterKeyId: string;
}

export const masterKeyFileName = 'privacy-master-key';

/** First 16 hex digits of SHA-256 over the master key: names it in the key store without revealing it. */
export const masterKeyIdOf = (key: Buffer): string => createHash('sha256').update(key).digest('hex').slice(0, 16);

/** Reads a base64 (or base64url) 32-byte master key; the error names the setting, never its value. */
export function parseMasterKey(text: string, setting: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new Error(`${setting} must be 32 bytes in base64`);
  return key;
}

/** The local master key of the embedded default: `$DATA_DIR/privacy-master-key`, generated once (mode 0600). */
export function loadOrCreateMasterKey(dataDir: string): Buffer {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, masterKeyFileName);
  try {
    writeFileSync(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  chmodSync(path, 0o600);
  return parseMasterKey(readFileSync(path, 'utf8'), path);
}

/** The current master key (wraps new keys) and, during a rotation, the previous one (still unwraps). */
export class MasterKeys {
  readonly currentId: string;
  readonly #current: Buffer;
  readonly #previous: Buffer | undefined;
  readonly #previousId: string | undefined;

  constructor(current: Buffer, previous?: Buffer) {
    this.#current = current;
    this.currentId = masterKeyIdOf(current);
    this.#previous = previous && masterKeyIdOf(previous) !== this.currentId ? previous : undefined;
    this.#previousId = this.#previous && masterKeyIdOf(this.#previous);
  }

  wrap(keyId: string, subject: string, key: Buffer): StoredSubjectKey {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#current, iv);
    cipher.setAAD(Buffer.from(JSON.stringify([keyId, subject]), 'utf8'));
    const wrapped = Buffer.concat([iv, cipher.update(key), cipher.final(), cipher.getAuthTag()]).toString('base64');
    return { keyId, subject, wrapped, masterKeyId: this.currentId };
  }

  /** The subject key; throws when neither master key wrapped it, or the wrapped key was altered. */
  unwrap(stored: StoredSubjectKey): Buffer {
    const master =
      stored.masterKeyId === this.currentId
        ? this.#current
        : stored.masterKeyId === this.#previousId
          ? this.#previous
          : undefined;
    if (!master) {
      throw new Error(
        `subject key ${stored.keyId} is wrapped by master key ${stored.masterKeyId}, which is neither PRIVACY_MASTER_KEY nor PRIVACY_MASTER_KEY_PREVIOUS`,
      );
    }
    const bytes = Buffer.from(stored.wrapped, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', master, bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from(JSON.stringify([stored.keyId, stored.subject]), 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
  }

  /** The ids of the master keys held: the current one, then the previous one during a rotation. */
  get ids(): string[] {
    return this.#previousId === undefined ? [this.currentId] : [this.currentId, this.#previousId];
  }

  /** Whether the key is wrapped by the previous master key and should be re-wrapped under the current one. */
  needsRewrap(stored: StoredSubjectKey): boolean {
    return stored.masterKeyId !== this.currentId;
  }
}
