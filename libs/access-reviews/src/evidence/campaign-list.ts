import type { AccessReviewEvent } from '../campaign/events';
import { pastDue } from '../campaign/decide';

/** One line per campaign of a team, as `GET …/access-reviews` lists them. */
export interface CampaignSummary {
  reviewId: string;
  name: string;
  status: 'open' | 'completed' | 'expired';
  /** Open and past its due date: a finding until the next command on it records the expiry. */
  overdue: boolean;
  openedBy: string;
  openedAt: string;
  dueAt: string;
  reviewerIds: string[];
  items: number;
  populationDigest: string;
  closedAt: string | null;
  /** Position of the campaign's latest event listed here. */
  position: string;
}

/** Summaries of a team's campaigns from their opening and closing events (in log order), oldest first. */
export function campaignSummaries(
  teamId: string,
  events: Iterable<{ type: string; data: unknown; position: string }>,
  now: string,
): CampaignSummary[] {
  const byReview = new Map<string, CampaignSummary>();
  for (const recorded of events) {
    const event = { type: recorded.type, data: recorded.data } as AccessReviewEvent;
    if (event.data.teamId !== teamId) continue;
    if (event.type === 'AccessReviewOpened') {
      byReview.set(event.data.reviewId, {
        reviewId: event.data.reviewId,
        name: event.data.name,
        status: 'open',
        overdue: false,
        openedBy: event.data.openedBy,
        openedAt: event.data.occurredAt,
        dueAt: event.data.dueAt,
        reviewerIds: event.data.reviewerIds,
        items: event.data.population.items.length,
        populationDigest: `${event.data.population.digest.algorithm}:${event.data.population.digest.value}`,
        closedAt: null,
        position: recorded.position,
      });
      continue;
    }
    const summary = byReview.get(event.data.reviewId);
    if (!summary || (event.type !== 'AccessReviewCompleted' && event.type !== 'AccessReviewExpired')) continue;
    summary.status = event.type === 'AccessReviewCompleted' ? 'completed' : 'expired';
    summary.closedAt = event.data.occurredAt;
    summary.position = recorded.position;
  }
  const summaries = [...byReview.values()];
  for (const summary of summaries) summary.overdue = summary.status === 'open' && pastDue(summary, now);
  return summaries;
}
