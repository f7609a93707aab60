import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../campaign/canonical-json';
import type { AccessReviewEvidence } from './evidence';

export interface EvidenceSignature {
  algorithm: 'Ed25519';
  /** What was signed: the canonical JSON (sorted keys, no whitespace) of `evidence`. */
  signedContent: 'canonical-json(evidence)';
  /** SHA-256 (hex) of the public key's SPKI DER encoding. */
  keyId: string;
  /** The verifying key, SPKI PEM. */
  publicKey: string;
  /** Base64 Ed25519 signature. */
  value: string;
}

export interface SignedEvidence {
  evidence: AccessReviewEvidence;
  signature: EvidenceSignature;
}

export const publicKeyId = (publicKey: KeyObject): string =>
  createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');

/** Signs arbitrary bytes with an Ed25519 private key; base64. */
export const signBytes = (bytes: Buffer | string, privateKey: KeyObject): string =>
  sign(null, Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'utf8'), privateKey).toString('base64');

export function signEvidence(evidence: AccessReviewEvidence, privateKey: KeyObject): SignedEvidence {
  const publicKey = createPublicKey(privateKey);
  return {
    evidence,
    signature: {
      algorithm: 'Ed25519',
      signedContent: 'canonical-json(evidence)',
      keyId: publicKeyId(publicKey),
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      value: signBytes(canonicalJson(evidence), privateKey),
    },
  };
}

/** Checks a signed evidence document against a trusted public key (not the one it carries). */
export const verifyEvidenceSignature = (signed: SignedEvidence, trustedPublicKey: KeyObject): boolean =>
  verify(
    null,
    Buffer.from(canonicalJson(signed.evidence), 'utf8'),
    trustedPublicKey,
    Buffer.from(signed.signature.value, 'base64'),
  );
