import type { KeyObject } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { ChainVerifier, type ChainVerification } from './verify';

/** Verifies an NDJSON export (from `GET …/audit?format=ndjson` or `audit:export`) on its own, line by line. */
export async function verifyNdjson(input: Readable, publicKey: KeyObject): Promise<ChainVerification> {
  const verifier = new ChainVerifier(publicKey);
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
        break;
      }
      if (!verifier.push(record, { line })) break;
    }
  } finally {
    lines.close();
  }
  return verifier.result();
}
