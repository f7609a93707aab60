import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import type { AuditEntry, UnsealedAuditEntry } from './entry';

/** `sha256(prevHash + canonicalJson(entry without hash))` as hex; `prevHash` is also a member of the hashed entry. */
export function entryHash(entry: UnsealedAuditEntry | AuditEntry): string {
  const { hash: _ignored, ...unsealed } = entry as AuditEntry;
  return createHash('sha256').update(unsealed.prevHash).update(canonicalJson(unsealed)).digest('hex');
}

export function sealEntry(entry: UnsealedAuditEntry): AuditEntry {
  return { ...entry, hash: entryHash(entry) };
}
