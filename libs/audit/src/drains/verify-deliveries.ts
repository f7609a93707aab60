import { canonicalJson } from '../canonical-json';
import { withoutRevealed } from '../export';
import { createHash, type KeyObject } from 'node:crypto';
import { AuditVerifier, type AuditVerification } from '../verify-audit';
import { verifyDrainSignature } from './signature';

/**
 * One delivery as a receiver stores it (one JSON object per line): when it arrived, the drain and signature headers,
 * and the body exactly as received. The README's receiver example writes this.
 */
export interface StoredDelivery {
  receivedAt: string;
  drainId?: string;
  signature: string;
  body: string;
}

export interface DeliveryProblem {
  /** 1-based line of the stored deliveries. */
  line: number;
  reason: string;
}

export interface DeliveriesVerification {
  valid: boolean;
  deliveries: number;
  /** Records (entries and checkpoints) received, repeats included. */
  records: number;
  /** Records received again, each byte for byte the one received before. */
  duplicates: number;
  /** Deliveries whose signature did not match or whose timestamp was outside the replay window. */
  signatureProblems: DeliveryProblem[];
  /** Records that repeat a sequence with different content, or are not JSON. */
  conflicts: DeliveryProblem[];
  /** The chain of the distinct records, in order of arrival (a gap, an altered entry, a bad checkpoint). */
  chain: AuditVerification;
}

export interface VerifyDeliveriesOptions {
  secret: string;
  /** The audit log's public key (GET /v1/audit/public-key): checkpoint signatures are checked with it. */
  publicKey: KeyObject;
  /** Largest allowed distance between a delivery's signature time and its arrival. Default 300 s. */
  toleranceSeconds?: number;
  /** Only deliveries of this drain (others in the same file are skipped). */
  drainId?: string;
}

const keyOf = (record: { kind?: unknown; sequence?: unknown; signedAt?: unknown }): string =>
  record.kind === 'checkpoint'
    ? `checkpoint:${String(record.sequence)}:${String(record.signedAt)}`
    : `entry:${String(record.sequence)}`;

const digest = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * What a SIEM team runs on the deliveries it stored: each signature and its replay window, each repeat an exact copy
 * of the first, and the hash chain and checkpoints of the distinct records (every entry from 1 on, none missing).
 */
export async function verifyStoredDeliveries(
  lines: AsyncIterable<string> | Iterable<string>,
  options: VerifyDeliveriesOptions,
): Promise<DeliveriesVerification> {
  const tolerance = options.toleranceSeconds ?? 300;
  const verifier = new AuditVerifier(options.publicKey);
  const seen = new Map<string, string>();
  const signatureProblems: DeliveryProblem[] = [];
  const conflicts: DeliveryProblem[] = [];
  let deliveries = 0;
  let records = 0;
  let duplicates = 0;
  let line = 0;
  for await (const text of lines) {
    line += 1;
    if (text.trim() === '') continue;
    let delivery: StoredDelivery;
    try {
      delivery = JSON.parse(text) as StoredDelivery;
    } catch {
      conflicts.push({ line, reason: 'the stored delivery is not JSON' });
      continue;
    }
    if (options.drainId !== undefined && delivery.drainId !== options.drainId) continue;
    deliveries += 1;
    const receivedAt = Date.parse(delivery.receivedAt);
    const check = verifyDrainSignature(options.secret, delivery.body ?? '', delivery.signature, {
      nowSeconds: Number.isNaN(receivedAt) ? Number.NaN : Math.floor(receivedAt / 1000),
      toleranceSeconds: tolerance,
    });
    if (!check.valid) {
      signatureProblems.push({ line, reason: check.reason });
      // An unsigned or forged body is not evidence: its records are not taken in.
      continue;
    }
    for (const recordText of String(delivery.body).split('\n')) {
      if (recordText === '') continue;
      records += 1;
      let record: { kind?: unknown; sequence?: unknown; signedAt?: unknown };
      try {
        record = JSON.parse(recordText) as typeof record;
      } catch {
        conflicts.push({ line, reason: 'a record of the body is not JSON' });
        continue;
      }
      const key = keyOf(record);
      const known = seen.get(key);
      // A copy sent after an erasure reveals "[erased]" where the first revealed text: the record itself is the same.
      const stored = canonicalJson(withoutRevealed(record));
      if (known !== undefined) {
        if (known === digest(stored)) duplicates += 1;
        else conflicts.push({ line, reason: `${key.replace(':', ' ')} was received before with different content` });
        continue;
      }
      seen.set(key, digest(stored));
      await verifier.push(record, { line });
    }
  }
  const chain = await verifier.result();
  return {
    valid: signatureProblems.length === 0 && conflicts.length === 0 && chain.break === undefined,
    deliveries,
    records,
    duplicates,
    signatureProblems,
    conflicts,
    chain,
  };
}
