import { verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from '@access-audit/audit';
import type { AccessReviewEvidence } from './evidence';

/** Signs with the audit log's Ed25519 checkpoint key (the audit library's `CheckpointSigner` has this shape). */
export interface EvidenceSigner {
  /** Identifies the public key (the audit library: first 16 hex digits of SHA-256 over its SPKI DER). */
  readonly keyId: string;
  /** The verifying key, SPKI PEM (also served at `/v1/audit/public-key`). */
  readonly publicKeyPem: string;
  /** Base64 Ed25519 signature of the bytes. */
  signBytes(bytes: Buffer): string;
}

export interface EvidenceSignature {
  algorithm: 'Ed25519';
  /** What was signed: the canonical JSON (RFC 8785: members sorted by UTF-16 code units, no whitespace), UTF-8, of `evidence`. */
  signedContent: 'canonical-json(evidence)';
  keyId: string;
  publicKey: string;
  /** Base64 Ed25519 signature. */
  value: string;
}

export interface SignedEvidence {
  evidence: AccessReviewEvidence;
  signature: EvidenceSignature;
}

export function signEvidence(evidence: AccessReviewEvidence, signer: EvidenceSigner): SignedEvidence {
  return {
    evidence,
    signature: {
      algorithm: 'Ed25519',
      signedContent: 'canonical-json(evidence)',
      keyId: signer.keyId,
      publicKey: signer.publicKeyPem,
      value: signer.signBytes(Buffer.from(canonicalJson(evidence), 'utf8')),
    },
  };
}

/** Checks a signed evidence document against a trusted public key (not the one it carries). */
export function verifyEvidenceSignature(signed: SignedEvidence, trustedPublicKey: KeyObject): boolean {
  const content = Buffer.from(canonicalJson(signed.evidence), 'utf8');
  return verify(null, content, trustedPublicKey, Buffer.from(signed.signature.value, 'base64'));
}
