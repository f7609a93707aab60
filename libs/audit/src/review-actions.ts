import type { AccessChange } from './actions';

/**
 * Access-review campaign events (libs/access-reviews, which itself builds on this library) are recorded in the team's
 * audit log too, so campaigns sit in the same verifiable chain as the grants they review. Only the fields read here
 * are relied upon.
 */
export const accessReviewStreamPrefix = 'access-review-';

/** The audit actions of campaign events. */
export const accessReviewActions = {
  opened: 'access_review.opened',
  itemDecided: 'access_review.item.decided',
  completed: 'access_review.completed',
  expired: 'access_review.expired',
} as const;

const campaignSettingPrefix = 'accessReviews.';

/** The `target.setting` of a campaign's opening and closing entries. */
export const accessReviewSetting = (reviewId: string): string => `${campaignSettingPrefix}${reviewId}`;

/** The review id of a campaign's opening or closing entry, read back from its `target.setting`. */
export const reviewIdOfSetting = (setting: string | undefined): string | undefined =>
  setting?.startsWith(campaignSettingPrefix) ? setting.slice(campaignSettingPrefix.length) : undefined;

interface ReviewEventData {
  teamId: string;
  reviewId: string;
  actorId: string;
  occurredAt: string;
  reason?: string;
  policyVersion: string;
  [field: string]: unknown;
}

/** What a campaign event changed, in audit terms (the audit action names are stable, like the team ones). */
const reviewActions: Record<string, (data: ReviewEventData) => AccessChange> = {
  AccessReviewOpened: (d) => ({
    action: accessReviewActions.opened,
    target: { setting: accessReviewSetting(d.reviewId) },
    before: null,
    after: {
      name: d.name,
      reviewerIds: d.reviewerIds,
      dueAt: d.dueAt,
      scope: d.scope,
      defaultDecision: d.defaultDecision ?? null,
      snapshot: d.snapshot,
      populationDigest: (d.population as { digest?: unknown } | undefined)?.digest ?? null,
      populationSize: (d.population as { items?: unknown[] } | undefined)?.items?.length ?? null,
    },
    cause: null,
  }),
  AccessReviewItemDecided: (d) => ({
    action: accessReviewActions.itemDecided,
    target: {
      ...itemSubject(String(d.itemId)),
      setting: `${accessReviewSetting(d.reviewId)}.items.${String(d.itemId)}`,
    },
    before: d.supersedes ? { decision: d.supersedes } : null,
    after: { decision: d.decision, justification: d.justification ?? null },
    cause: null,
  }),
  AccessReviewCompleted: (d) => ({
    action: accessReviewActions.completed,
    target: { setting: accessReviewSetting(d.reviewId) },
    before: null,
    after: closingOf(d),
    cause: null,
  }),
  AccessReviewExpired: (d) => ({
    action: accessReviewActions.expired,
    target: { setting: accessReviewSetting(d.reviewId) },
    before: null,
    after: { ...closingOf(d), dueAt: d.dueAt },
    cause: null,
  }),
};

export const accessReviewActionTypes: readonly string[] = Object.keys(reviewActions);

/** The user (and project) of a review item id `<kind>:<userId>[:<projectId or group>]` (parts URI-encoded). */
function itemSubject(itemId: string): { userId?: string; projectId?: string } {
  try {
    const [kind, userId, second] = itemId.split(':').map(decodeURIComponent);
    if (!userId) return {};
    return kind === 'project_role' && second ? { userId, projectId: second } : { userId };
  } catch {
    return {};
  }
}

function closingOf(d: ReviewEventData): Record<string, unknown> {
  const results: Record<string, number> = Object.create(null);
  for (const outcome of (d.outcomes as Array<{ result?: string }> | undefined) ?? []) {
    const result = String(outcome.result);
    results[result] = (results[result] ?? 0) + 1;
  }
  return { results, auditChainHead: d.auditChainHead ?? null, teamStreamRevision: d.teamStreamRevision ?? null };
}

export interface DescribedReviewEvent {
  teamId: string;
  data: ReviewEventData;
  change: AccessChange;
}

export function describeReviewEvent(streamId: string, type: string, data: unknown): DescribedReviewEvent | undefined {
  if (!streamId.startsWith(accessReviewStreamPrefix) || !Object.hasOwn(reviewActions, type)) return undefined;
  const fields = data as ReviewEventData;
  if (typeof fields?.teamId !== 'string' || typeof fields.reviewId !== 'string') return undefined;
  return { teamId: fields.teamId, data: fields, change: reviewActions[type]!(fields) };
}
