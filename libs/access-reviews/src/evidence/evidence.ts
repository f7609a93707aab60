import { erasedText } from '@access-audit/privacy';
import { isLegacyClearText, type PersonalText } from '@access-audit/domain';
import { policyVersion as currentPolicyVersion } from '@access-audit/domain';
import type {
  AccessReviewEvent,
  AuditChainHead,
  EnforcingEvent,
  ItemOutcome,
  ReviewDecision,
  TeamSnapshotRef,
} from '../campaign/events';
import { accessReviewStreamId } from '../campaign/events';
import { populationDigest, type PopulationDigest, type PopulationItem, type ReviewScope } from '../campaign/population';

/** A campaign event as the store recorded it (structurally the event store's `RecordedEvent`). */
export interface RecordedCampaignEvent {
  id: string;
  revision: number;
  position: string;
  type: string;
  data: unknown;
  recordedAt: string;
}

export interface EvidenceDecision {
  eventId: string;
  position: string;
  itemId: string;
  decision: ReviewDecision;
  justification: string | null;
  reviewerId: string;
  decidedAt: string;
  /** The later decision on the same item that replaced this one; null for the decision in force. */
  supersededBy: string | null;
}

export interface EvidenceRevocation {
  itemId: string;
  kind: PopulationItem['kind'];
  userId: string;
  decidedBy: 'reviewer' | 'default';
  /** The decision (or the opening that recorded the default) the revocation was caused by. */
  causationEventId: string;
  enforcedBy: EnforcingEvent[];
}

/** Everything an auditor needs to check the campaign, built from its stream alone. */
export interface AccessReviewEvidence {
  evidenceVersion: 1;
  campaign: {
    teamId: string;
    reviewId: string;
    streamId: string;
    name: string;
    status: 'open' | 'completed' | 'expired';
    openedBy: string;
    openedAt: string;
    openedEventId: string;
    openedPosition: string;
    dueAt: string;
    reviewerIds: string[];
    scope: ReviewScope;
    defaultDecision: 'revoke' | null;
    policyVersion: string;
  };
  population: { snapshot: TeamSnapshotRef; digest: PopulationDigest; size: number; items: PopulationItem[] };
  decisions: EvidenceDecision[];
  closing: null | {
    status: 'completed' | 'expired';
    eventId: string;
    position: string;
    closedBy: string;
    closedAt: string;
    teamStreamRevision: number;
    auditChainHead: AuditChainHead | null;
    outcomes: ItemOutcome[];
  };
  revocations: EvidenceRevocation[];
}

/** The campaign's stored population no longer gives the digest it was opened with: its items were altered. */
export class PopulationDigestMismatchError extends Error {
  constructor(
    readonly reviewId: string,
    readonly opened: PopulationDigest,
    readonly recomputed: PopulationDigest,
  ) {
    super(
      `the population of campaign ${reviewId} does not give the digest it was opened with (${opened.algorithm}:${opened.value}, recomputed ${recomputed.algorithm}:${recomputed.value}): its items were altered after it was opened`,
    );
    this.name = 'PopulationDigestMismatchError';
  }
}

const asEvent = (recorded: RecordedCampaignEvent): AccessReviewEvent =>
  ({ type: recorded.type, data: recorded.data }) as AccessReviewEvent;

/** Builds the evidence of a campaign from its recorded stream, oldest first. */
export function buildEvidence(stream: readonly RecordedCampaignEvent[]): AccessReviewEvidence {
  const first = stream[0];
  const opened = first ? asEvent(first) : undefined;
  if (!first || opened?.type !== 'AccessReviewOpened')
    throw new Error('a campaign stream starts with AccessReviewOpened');
  const { teamId, reviewId } = opened.data;
  // Never present (or sign) a population other than the one the opening digest vouches for.
  const recomputed = populationDigest(opened.data.population.items);
  const openedDigest = opened.data.population.digest;
  if (recomputed.algorithm !== openedDigest?.algorithm || recomputed.value !== openedDigest.value)
    throw new PopulationDigestMismatchError(reviewId, openedDigest, recomputed);
  const decisions: EvidenceDecision[] = [];
  const inForce = new Map<string, EvidenceDecision>();
  let closing: AccessReviewEvidence['closing'] = null;
  for (const recorded of stream.slice(1)) {
    const event = asEvent(recorded);
    switch (event.type) {
      case 'AccessReviewItemDecided': {
        const decision: EvidenceDecision = {
          eventId: recorded.id,
          position: recorded.position,
          itemId: event.data.itemId,
          decision: event.data.decision,
          // Built from an opened stream; a value still sealed (nothing opened it) never shows as ciphertext.
          justification: openedText(event.data.justification),
          reviewerId: event.data.reviewerId,
          decidedAt: event.data.decidedAt,
          supersededBy: null,
        };
        const previous = inForce.get(decision.itemId);
        if (previous) previous.supersededBy = decision.eventId;
        inForce.set(decision.itemId, decision);
        decisions.push(decision);
        break;
      }
      case 'AccessReviewCompleted':
      case 'AccessReviewExpired':
        closing = {
          status: event.type === 'AccessReviewCompleted' ? 'completed' : 'expired',
          eventId: recorded.id,
          position: recorded.position,
          closedBy: event.data.actorId,
          closedAt: event.data.occurredAt,
          teamStreamRevision: event.data.teamStreamRevision,
          auditChainHead: event.data.auditChainHead,
          outcomes: event.data.outcomes,
        };
        break;
      case 'AccessReviewOpened':
        throw new Error(`campaign ${reviewId} is opened twice`);
    }
  }
  const itemsById = new Map(opened.data.population.items.map((item) => [item.itemId, item]));
  const revocations: EvidenceRevocation[] = [];
  for (const outcome of closing?.outcomes ?? []) {
    const item = itemsById.get(outcome.itemId);
    if (outcome.result !== 'revoked' || !item || !outcome.decidedBy || !outcome.causationEventId) continue;
    revocations.push({
      itemId: outcome.itemId,
      kind: item.kind,
      userId: item.userId,
      decidedBy: outcome.decidedBy,
      causationEventId: outcome.causationEventId,
      enforcedBy: outcome.enforcedBy,
    });
  }
  return {
    evidenceVersion: 1,
    campaign: {
      teamId,
      reviewId,
      streamId: accessReviewStreamId(teamId, reviewId),
      name: opened.data.name,
      status: closing?.status ?? 'open',
      openedBy: opened.data.openedBy,
      openedAt: opened.data.occurredAt,
      openedEventId: first.id,
      openedPosition: first.position,
      dueAt: opened.data.dueAt,
      reviewerIds: opened.data.reviewerIds,
      scope: opened.data.scope,
      defaultDecision: opened.data.defaultDecision ?? null,
      policyVersion: opened.data.policyVersion ?? currentPolicyVersion,
    },
    population: {
      snapshot: opened.data.snapshot,
      digest: opened.data.population.digest,
      size: opened.data.population.items.length,
      items: opened.data.population.items,
    },
    decisions,
    closing,
    revocations,
  };
}

const openedText = (value: PersonalText | undefined): string | null =>
  value === undefined ? null : typeof value === 'string' ? value : isLegacyClearText(value) ? value.text : erasedText;
