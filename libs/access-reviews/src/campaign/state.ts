import type { PersonalText } from '@access-audit/domain';
import type { AccessReviewEvent, ItemOutcome, ReviewDecision, TeamSnapshotRef } from './events';
import type { PopulationDigest, PopulationItem, ReviewScope } from './population';

export interface ItemDecision {
  decision: ReviewDecision;
  /** Sealed as stored; the evidence opens it. */
  justification?: PersonalText;
  reviewerId: string;
  decidedAt: string;
}

export interface Campaign {
  status: 'open' | 'completed' | 'expired';
  teamId: string;
  reviewId: string;
  name: string;
  reviewerIds: string[];
  dueAt: string;
  scope: ReviewScope;
  openedBy: string;
  openedAt: string;
  defaultDecision?: 'revoke';
  snapshot: TeamSnapshotRef;
  population: { items: PopulationItem[]; digest: PopulationDigest };
  /** The decision in force per item (the last one recorded). */
  decisions: ReadonlyMap<string, ItemDecision>;
  closed?: { by: string; at: string; outcomes: ItemOutcome[] };
}

export type AccessReviewState = { status: 'none' } | Campaign;

export const initialAccessReviewState = (): AccessReviewState => ({ status: 'none' });

export function evolveAccessReview(state: AccessReviewState, event: AccessReviewEvent): AccessReviewState {
  if (event.type === 'AccessReviewOpened') {
    const {
      teamId,
      reviewId,
      name,
      reviewerIds,
      dueAt,
      scope,
      openedBy,
      occurredAt,
      defaultDecision,
      snapshot,
      population,
    } = event.data;
    return {
      status: 'open',
      teamId,
      reviewId,
      name,
      reviewerIds,
      dueAt,
      scope,
      openedBy,
      openedAt: occurredAt,
      ...(defaultDecision ? { defaultDecision } : {}),
      snapshot,
      population,
      decisions: new Map(),
    };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'AccessReviewItemDecided': {
      const { itemId, decision, justification, reviewerId, decidedAt } = event.data;
      const recorded: ItemDecision = { decision, reviewerId, decidedAt, ...(justification ? { justification } : {}) };
      return { ...state, decisions: new Map(state.decisions).set(itemId, recorded) };
    }
    case 'AccessReviewCompleted':
      return {
        ...state,
        status: 'completed',
        closed: { by: event.data.completedBy, at: event.data.occurredAt, outcomes: event.data.outcomes },
      };
    case 'AccessReviewExpired':
      return {
        ...state,
        status: 'expired',
        closed: { by: event.data.actorId, at: event.data.occurredAt, outcomes: event.data.outcomes },
      };
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled access-review event: ${JSON.stringify(unhandled)}`);
    }
  }
}

export const foldAccessReview = (events: readonly AccessReviewEvent[]): AccessReviewState =>
  events.reduce(evolveAccessReview, initialAccessReviewState());
