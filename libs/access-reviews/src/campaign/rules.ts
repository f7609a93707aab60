/** Rule ids of access-review campaigns: every refusal names one (problem+json `rule`). */
export const accessReviewRuleIds = {
  campaignExists: 'access-review.exists',
  campaignIdFree: 'access-review.id-free',
  teamExists: 'access-review.team-exists',
  reviewersNamed: 'access-review.reviewers-named',
  reviewersAreMembers: 'access-review.reviewers-are-members',
  dueInFuture: 'access-review.due-in-future',
  scopeValid: 'access-review.scope-valid',
  open: 'access-review.open',
  beforeDue: 'access-review.before-due',
  itemExists: 'access-review.item-exists',
  namedReviewer: 'access-review.named-reviewer',
  reviewerIsCurrentMember: 'access-review.reviewer-is-current-member',
  sodOwnAccess: 'access-review.sod.own-access',
  sodOwnGrant: 'access-review.sod.own-grant',
  justificationRequired: 'access-review.justification-required',
  completedByOwnerOrReviewer: 'access-review.completed-by-owner-or-reviewer',
  outcomesCoverPopulation: 'access-review.outcomes-cover-population',
  populationMatchesDigest: 'access-review.population-matches-digest',
} as const;
export type AccessReviewRuleId = (typeof accessReviewRuleIds)[keyof typeof accessReviewRuleIds];
