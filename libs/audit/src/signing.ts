import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { canonicalJson } from './canonical-json';
import type { AuditCheckpoint } from './entry';

export const auditSigningKeyFileName = 'audit-signing-key.pem';

/** The bytes a checkpoint's signature covers: canonical JSON of `{ headHash, keyId, sequence, signedAt, teamId }`. */
export function checkpointSigningInput(checkpoint: Omit<AuditCheckpoint, 'signature' | 'kind' | 'algorithm'>): Buffer {
  const { teamId, sequence, headHash, signedAt, keyId } = checkpoint;
  return Buffer.from(canonicalJson({ teamId, sequence, headHash, signedAt, keyId }), 'utf8');
}

/** First 16 hex digits of SHA-256 over the public key's SPKI DER encoding. */
export function publicKeyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

/** Signs checkpoints with an Ed25519 private key. The key never leaves this object (no getter returns it). */
export class CheckpointSigner {
  readonly publicKey: KeyObject;
  readonly keyId: string;
  readonly #privateKey: KeyObject;

  constructor(privateKey: KeyObject) {
    if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
      throw new TypeError('the audit signing key must be an Ed25519 private key');
    }
    this.#privateKey = privateKey;
    this.publicKey = createPublicKey(privateKey);
    this.keyId = publicKeyId(this.publicKey);
  }

  static generate(): CheckpointSigner {
    return new CheckpointSigner(generateKeyPairSync('ed25519').privateKey);
  }

  get publicKeyPem(): string {
    return this.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  sign(teamId: string, sequence: number, headHash: string, signedAt: string): AuditCheckpoint {
    const unsigned = { teamId, sequence, headHash, signedAt, keyId: this.keyId };
    const signature = sign(null, checkpointSigningInput(unsigned), this.#privateKey).toString('base64');
    return { kind: 'checkpoint', ...unsigned, algorithm: 'Ed25519', signature };
  }

  /** Signs arbitrary evidence (e.g. an access review's evidence digest) with the same key. Base64. */
  signBytes(bytes: Buffer): string {
    return sign(null, bytes, this.#privateKey).toString('base64');
  }
}

export type CheckpointSignatureCheck = { valid: true } | { valid: false; reason: string };

export function verifyCheckpointSignature(checkpoint: AuditCheckpoint, publicKey: KeyObject): CheckpointSignatureCheck {
  if (checkpoint.algorithm !== 'Ed25519')
    return { valid: false, reason: `unsupported algorithm ${String(checkpoint.algorithm)}` };
  const keyId = publicKeyId(publicKey);
  if (checkpoint.keyId !== keyId) {
    return { valid: false, reason: `signed by key ${String(checkpoint.keyId)}, not by the given public key ${keyId}` };
  }
  let ok = false;
  try {
    ok = verify(
      null,
      checkpointSigningInput(checkpoint),
      publicKey,
      Buffer.from(String(checkpoint.signature), 'base64'),
    );
  } catch {
    ok = false;
  }
  return ok ? { valid: true } : { valid: false, reason: 'the signature does not match the checkpoint' };
}

export function readPublicKey(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError('the audit public key must be an Ed25519 key');
  return key;
}

export interface SigningKeyLocation {
  /** `AUDIT_SIGNING_KEY`: path to a PEM Ed25519 private key (every instance of a cluster gets the same). */
  keyPath?: string;
  /** Where the embedded default generates its key once (`$DATA_DIR/audit-signing-key.pem`, mode 0600). */
  dataDir: string;
}

/**
 * The checkpoint signer: from `AUDIT_SIGNING_KEY` when set, else from the data folder, generating the key there on first
 * use. Two processes starting together both end up with the file's key: the key file appears whole, once.
 */
export function loadCheckpointSigner(location: SigningKeyLocation): CheckpointSigner {
  if (location.keyPath) return new CheckpointSigner(readPrivateKey(resolve(location.keyPath)));
  mkdirSync(location.dataDir, { recursive: true, mode: 0o700 });
  const path = join(location.dataDir, auditSigningKeyFileName);
  if (!existsSync(path)) {
    // Written aside then hard-linked into place: a concurrent reader never sees a half-written key.
    const pending = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(pending, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
      flag: 'wx',
    });
    try {
      linkSync(pending, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(pending);
    }
  }
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return new CheckpointSigner(readPrivateKey(path));
}

function readPrivateKey(path: string): KeyObject {
  try {
    return createPrivateKey(readFileSync(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // The message names the file, never its content.
    throw new Error(`cannot read the audit signing key at ${path}${code ? ` (${code})` : ': not a PEM private key'}`);
  }
}
