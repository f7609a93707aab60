import { createHash } from 'node:crypto';
import { storedPersonalText, teamStreamPrefix, type PersonalText } from '@access-audit/domain';
import type { RecordedEvent, RequestContext } from '@access-audit/event-store';
import { decodeTeamEvent } from '@access-audit/team-stream';
import { describeTeamEvent, isTeamEventType, type AccessChange } from './actions';
import { canonicalJson } from './canonical-json';
import type { AccessChangeFields, AuditRequestContext } from './entry';
import { auditEntryIdFor } from './ids';
import { accessReviewActionTypes, describeReviewEvent } from './review-actions';

/** What a change entry says about its source event: every field but its place in the chain (sequence, prevHash). */
export type DerivedChange = Omit<AccessChangeFields, 'sequence' | 'prevHash'>;

/** Whether the audit log records events of this type in this stream (a team stream or a campaign stream). */
export function isAuditedSource(streamId: string, type: string): boolean {
  return streamId.startsWith(teamStreamPrefix) ? isTeamEventType(type) : accessReviewActionTypes.includes(type);
}

/**
 * The change entry fields of an audited event, as the audit trail records them and as verification recomputes them;
 * undefined for an event the audit log does not record. Throws when an audited event's data is not of its type
 * (a team event's by `decodeTeamEvent`).
 */
export function deriveChange(event: RecordedEvent): DerivedChange | undefined {
  if (event.streamId.startsWith(teamStreamPrefix)) {
    const teamEvent = decodeTeamEvent(event);
    if (!teamEvent) return undefined;
    return changeOf(teamEvent.data.teamId, event, describeTeamEvent(teamEvent), teamEvent.data);
  }
  const review = describeReviewEvent(event.streamId, event.type, event.data);
  return review && changeOf(review.teamId, event, review.change, review.data);
}

function changeOf(
  teamId: string,
  event: RecordedEvent,
  change: AccessChange,
  base: { actorId: string; occurredAt: string; reason?: PersonalText; policyVersion: string },
): DerivedChange {
  return {
    kind: 'change',
    id: auditEntryIdFor(event.id),
    teamId,
    time: base.occurredAt,
    actor: base.actorId,
    action: change.action,
    target: change.target,
    // A legacy clear reason is written as the plain string the code of then wrote: the same entry, the same hash.
    reason: storedPersonalText(base.reason) ?? null,
    context: contextOf(event.metadata.requestContext, event.metadata.correlationId),
    policyVersion: base.policyVersion,
    before: change.before,
    after: change.after,
    cause: change.cause,
    source: {
      eventId: event.id,
      eventType: event.type,
      streamId: event.streamId,
      streamRevision: event.revision,
      position: event.position,
      digest: sourceEventDigest(event),
    },
  };
}

/**
 * What a change entry commits to: SHA-256 over the canonical JSON of the event's type, data and metadata as stored.
 * Metadata is included because the service trusts it too (the `accessReview` link of an enforcing event, the request
 * context); the event's id, stream, revision and position are fields of the entry already.
 */
export function sourceEventDigest(event: Pick<RecordedEvent, 'type' | 'data' | 'metadata'>): string {
  const committed = canonicalJson({ type: event.type, data: event.data, metadata: event.metadata });
  return createHash('sha256').update(committed, 'utf8').digest('hex');
}

export const contextOf = (context: RequestContext | undefined, correlationId?: string): AuditRequestContext => ({
  ip: context?.ip ?? null,
  userAgent: context?.userAgent ?? null,
  requestId: context?.requestId ?? correlationId ?? null,
});
