import type { KeyObject } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { EventStore } from '@access-audit/event-store';
import { AuditVerifier, type AuditVerification } from './verify-audit';

export interface VerifyNdjsonOptions {
  /**
   * The event store the export came from: each change entry is then also recomputed from its source event there. Without
   * it only the chain and the signatures are checked (`sources: null`).
   */
  sources?: EventStore;
}

/** Verifies an NDJSON export (from `GET …/audit?format=ndjson` or `audit:export`), line by line. */
export async function verifyNdjson(
  input: Readable,
  publicKey: KeyObject,
  options: VerifyNdjsonOptions = {},
): Promise<AuditVerification> {
  const verifier = new AuditVerifier(publicKey, options.sources ? { sources: options.sources } : {});
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  try {
    for await (const text of lines) {
      line += 1;
      if (text.trim() === '') continue;
      let record: unknown;
      try {
        record = JSON.parse(text);
      } catch {
        verifier.unreadable('the line is not valid JSON', { line });
        continue;
      }
      await verifier.push(record, { line });
    }
  } finally {
    lines.close();
  }
  return verifier.result();
}
