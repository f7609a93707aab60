import type { Permission, PersonalText } from '@access-audit/domain';
import type { PopulationDigest, PopulationItem, ReviewScope } from './population';

export type ReviewDecision = 'keep' | 'revoke';

/** Fields every campaign event carries. Time and actor arrive with the command. */
export interface AccessReviewEventBase {
  teamId: string;
  reviewId: string;
  actorId: string;
  occurredAt: string;
  /** Sealed once appended (libs/privacy); the decider writes plaintext. */
  reason?: PersonalText;
  policyVersion: string;
}

/** The team stream as the population was read from it. */
export interface TeamSnapshotRef {
  teamStreamId: string;
  /** Revision of the team stream the population was folded at. */
  teamStreamRevision: number;
  /** Global position of the event at that revision. */
  teamStreamPosition: string | null;
}

/** A team event a revocation appended (cascades included). */
export interface EnforcingEvent {
  eventId: string;
  type: string;
  streamRevision: number;
  position: string;
}

/** Why the team command path refused a revocation (the team domain's rejection, without anything else). */
export interface RevocationRefusal {
  kind: string;
  rule?: string;
  permission?: Permission;
  message: string;
}

/** The result part of an item's outcome. */
export type ItemResultDetail =
  | { result: 'kept' | 'undecided' }
  | { result: 'revoked'; enforcedBy: EnforcingEvent[] }
  | { result: 'revocation_refused'; refusal: RevocationRefusal }
  /** A revoke on a grant that changed since the snapshot: reported, not applied. */
  | { result: 'changed_since_snapshot'; current: { value: string; grantedBy: string; grantedAt: string } | null }
  /** A revoke on a campaign that expired without completion and without a default decision. */
  | { result: 'not_applied' };

/** What became of one item when the campaign closed. */
export type ItemOutcome = {
  itemId: string;
  /** The decision in force: the reviewer's last one, the campaign's default, or none. */
  decision: ReviewDecision | null;
  decidedBy: 'reviewer' | 'default' | null;
  /** The event that caused the revocation (a decision, or the opening that recorded the default); null when none. */
  causationEventId: string | null;
  /** The grant is no longer exactly as snapshotted (revoked, re-granted or changed by someone else meanwhile). */
  changedSinceSnapshot: boolean;
} & ItemResultDetail;

export type ItemResult = ItemOutcome['result'];

/** The head of the team's audit hash chain when the campaign closed; null when the team has no audit entry yet. */
export interface AuditChainHead {
  /** `audit-<teamId>`. */
  streamId: string;
  /** Last revision of the audit stream. */
  revision: number;
  /** Sequence number of the last entry in the chain. */
  sequence: number;
  /** Hash of that entry: every earlier entry is bound to it. */
  headHash: string;
}

type Ev<T extends string, D> = { type: T; data: AccessReviewEventBase & D };

export type AccessReviewOpened = Ev<
  'AccessReviewOpened',
  {
    name: string;
    reviewerIds: string[];
    dueAt: string;
    scope: ReviewScope;
    openedBy: string;
    /** Recorded when undecided items are to be revoked at completion or expiry. */
    defaultDecision?: 'revoke';
    snapshot: TeamSnapshotRef;
    population: { items: PopulationItem[]; digest: PopulationDigest };
  }
>;

/** A reviewer's decision on one item; a later one on the same item supersedes it (both stay in the stream). */
export type AccessReviewItemDecided = Ev<
  'AccessReviewItemDecided',
  {
    itemId: string;
    decision: ReviewDecision;
    /** Sealed under the reviewer and the item's subject once appended. */
    justification?: PersonalText;
    reviewerId: string;
    decidedAt: string;
    /** The decision this one replaces, when the item was decided before. */
    supersedes: ReviewDecision | null;
  }
>;

interface Closing {
  outcomes: ItemOutcome[];
  auditChainHead: AuditChainHead | null;
  /** Revision of the team stream once every revocation was applied. */
  teamStreamRevision: number;
}

export type AccessReviewCompleted = Ev<'AccessReviewCompleted', Closing & { completedBy: string }>;

/**
 * The campaign passed its due date before completion (a compliance finding). `actorId` is the user whose command found it
 * overdue; revocations by default decision act as the opener, recorded in `revocationsActedAs`.
 */
export type AccessReviewExpired = Ev<
  'AccessReviewExpired',
  Closing & { dueAt: string; revocationsActedAs: string | null }
>;

export type AccessReviewEvent =
  AccessReviewOpened | AccessReviewItemDecided | AccessReviewCompleted | AccessReviewExpired;
export type AccessReviewEventType = AccessReviewEvent['type'];

export const accessReviewEventTypes: readonly AccessReviewEventType[] = [
  'AccessReviewOpened',
  'AccessReviewItemDecided',
  'AccessReviewCompleted',
  'AccessReviewExpired',
];

/** Campaign streams; deliberately not under `team-`, which read models treat as team streams. */
export const accessReviewStreamPrefix = 'access-review-';
export const accessReviewStreamId = (teamId: string, reviewId: string): string =>
  `${accessReviewStreamPrefix}${teamId}-${reviewId}`;
