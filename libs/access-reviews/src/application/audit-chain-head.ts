import { auditStreamId, type AuditRecord } from '@access-audit/audit';
import type { EventStore } from '@access-audit/event-store';
import type { AuditChainHead } from '../campaign/events';
import type { AuditChainHeadReader } from './access-review-service';

/**
 * Reads the head of a team's audit hash chain from the end of its `audit-<teamId>` stream: the last entry's hash, or
 * the head a trailing checkpoint signed. `beforeRead` lets the caller first wait until the audit log covers `throughPosition`.
 */
export function auditChainHeadFromStore(
  store: EventStore,
  beforeRead?: (teamId: string, throughPosition?: string) => Promise<void>,
): AuditChainHeadReader {
  return async (teamId: string, throughPosition?: string): Promise<AuditChainHead | null> => {
    await beforeRead?.(teamId, throughPosition);
    const streamId = auditStreamId(teamId);
    const revision = await store.streamRevision(streamId);
    if (revision < 0) return null;
    const [last] = await store.readStream(streamId, { fromRevision: revision, limit: 1 });
    if (!last) return null;
    const record = last.data as AuditRecord;
    const headHash = record.kind === 'checkpoint' ? record.headHash : record.hash;
    return { streamId, revision: last.revision, sequence: record.sequence, headHash };
  };
}
