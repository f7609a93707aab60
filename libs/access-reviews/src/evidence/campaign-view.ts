import type { ItemOutcome } from '../campaign/events';
import type { PopulationItem } from '../campaign/population';
import type { AccessReviewEvidence, EvidenceDecision } from './evidence';
import { pastDue } from '../campaign/decide';

export type CampaignItemView = PopulationItem & {
  /** The decision in force; null while undecided. */
  decision: EvidenceDecision | null;
  /** Earlier decisions on the item that a later one replaced, oldest first. */
  supersededDecisions: EvidenceDecision[];
  /** What closing the campaign did with the item; null while it is open. */
  outcome: ItemOutcome | null;
};

export interface CampaignView {
  teamId: string;
  reviewId: string;
  name: string;
  status: 'open' | 'completed' | 'expired';
  /** Open and past its due date: the next command on it records the expiry. */
  overdue: boolean;
  openedBy: string;
  openedAt: string;
  dueAt: string;
  reviewerIds: string[];
  scope: AccessReviewEvidence['campaign']['scope'];
  defaultDecision: 'revoke' | null;
  snapshot: AccessReviewEvidence['population']['snapshot'];
  populationDigest: AccessReviewEvidence['population']['digest'];
  summary: { items: number; decided: number; undecided: number; keep: number; revoke: number };
  closing: Omit<NonNullable<AccessReviewEvidence['closing']>, 'outcomes'> | null;
  items: CampaignItemView[];
}

/** The campaign, its items and their decisions, as `GET …/access-reviews/{reviewId}` answers it. */
export function campaignView(evidence: AccessReviewEvidence, now: string): CampaignView {
  const { campaign, population, closing } = evidence;
  const outcomes = new Map((closing?.outcomes ?? []).map((outcome) => [outcome.itemId, outcome]));
  const items = population.items.map((item): CampaignItemView => {
    const decisions = evidence.decisions.filter((decision) => decision.itemId === item.itemId);
    return {
      ...item,
      decision: decisions.find((decision) => decision.supersededBy === null) ?? null,
      supersededDecisions: decisions.filter((decision) => decision.supersededBy !== null),
      outcome: outcomes.get(item.itemId) ?? null,
    };
  });
  const decided = items.filter((item) => item.decision);
  const closingSummary = closing ? (({ outcomes: _outcomes, ...rest }) => rest)(closing) : null;
  return {
    teamId: campaign.teamId,
    reviewId: campaign.reviewId,
    name: campaign.name,
    status: campaign.status,
    overdue: campaign.status === 'open' && pastDue(campaign, now),
    openedBy: campaign.openedBy,
    openedAt: campaign.openedAt,
    dueAt: campaign.dueAt,
    reviewerIds: campaign.reviewerIds,
    scope: campaign.scope,
    defaultDecision: campaign.defaultDecision,
    snapshot: population.snapshot,
    populationDigest: population.digest,
    summary: {
      items: items.length,
      decided: decided.length,
      undecided: items.length - decided.length,
      keep: decided.filter((item) => item.decision?.decision === 'keep').length,
      revoke: decided.filter((item) => item.decision?.decision === 'revoke').length,
    },
    closing: closingSummary,
    items,
  };
}
