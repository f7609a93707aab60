import { createHash } from 'node:crypto';

/** Namespace of the audit log's name-based ids (a fixed random UUID). */
export const auditIdNamespace = '4f0d6a8e-3c61-4a4b-9d55-7a2e1c9b8f30';

/**
 * RFC 9562 version-5 (SHA-1, name-based) UUID. The audit entry of a source event gets the id
 * `uuidV5(auditIdNamespace, sourceEventId)`, so re-recording the same event after a crash re-appends the same id.
 */
export function uuidV5(namespace: string, name: string): string {
  const namespaceBytes = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (namespaceBytes.length !== 16) throw new TypeError(`not a UUID: ${namespace}`);
  const bytes = createHash('sha1').update(namespaceBytes).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const auditEntryIdFor = (sourceEventId: string): string =>
  uuidV5(auditIdNamespace, `entry:${sourceEventId.toLowerCase()}`);
export const checkpointIdFor = (teamId: string, sequence: number): string =>
  uuidV5(auditIdNamespace, `checkpoint:${teamId}:${sequence}`);
