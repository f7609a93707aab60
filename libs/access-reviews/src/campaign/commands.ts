import type { TeamState } from '@access-audit/domain';
import type { AuditChainHead, ItemOutcome, ReviewDecision } from './events';
import type { ReviewScope } from './population';

/** Who issues the command and when; supplied by the caller, never read inside the decider. */
export interface AccessReviewCommandMetadata {
  actorId: string;
  /** ISO-8601 instant. */
  now: string;
  /** Why, in the caller's words; recorded in the events. */
  reason?: string;
}

/** The team as folded from its own stream (never a read model), with where in the stream it was read. */
export interface TeamAtRevision {
  state: TeamState;
  /** Last revision of the team stream, -1 when it does not exist. */
  revision: number;
  /** Global position of the event at that revision. */
  position: string | null;
}

type Cmd<T extends string, D> = {
  type: T;
  teamId: string;
  reviewId: string;
  data: D;
  metadata: AccessReviewCommandMetadata;
};

export type OpenAccessReview = Cmd<
  'OpenAccessReview',
  {
    name: string;
    reviewerIds: string[];
    dueAt: string;
    scope: ReviewScope;
    defaultDecision?: 'revoke';
    team: TeamAtRevision;
  }
>;

/** `team`: the team folded from its stream when the decision is made, for the reviewer's standing (current membership). */
export type DecideAccessReviewItem = Cmd<
  'DecideAccessReviewItem',
  { itemId: string; decision: ReviewDecision; justification?: string; team: TeamState }
>;

/** Records the end of a campaign once its revocations went through the team command path (see `planClosing`). */
export type CompleteAccessReview = Cmd<
  'CompleteAccessReview',
  { team: TeamState; outcomes: ItemOutcome[]; auditChainHead: AuditChainHead | null; teamStreamRevision: number }
>;

/** Marks an overdue campaign expired; does nothing while it is not due or already closed. */
export type ExpireAccessReview = Cmd<
  'ExpireAccessReview',
  { outcomes: ItemOutcome[]; auditChainHead: AuditChainHead | null; teamStreamRevision: number }
>;

export type AccessReviewCommand = OpenAccessReview | DecideAccessReviewItem | CompleteAccessReview | ExpireAccessReview;
