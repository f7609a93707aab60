import type { TeamState } from '@access-audit/domain';
import type { AccessReviewRejection } from './rejection';
import { accessReviewRuleIds as rules } from './rules';
import type { Campaign } from './state';

/** Whether `userId` belongs to the team as it stands now (the caller folds it from the team stream when authority is used). */
export const isCurrentMember = (team: TeamState, userId: string): boolean =>
  team.status === 'active' && team.members.has(userId);

/**
 * A reviewer's standing on the campaign now (POLICY.md "Who acts, beyond people"): named at opening and still a member
 * of the team (`acting`), named but since removed from the team (`removed`: the campaign is lost at once), or not named.
 */
export function reviewerStanding(
  campaign: Campaign,
  team: TeamState,
  userId: string,
): 'acting' | 'removed' | 'not_named' {
  if (!campaign.reviewerIds.includes(userId)) return 'not_named';
  return isCurrentMember(team, userId) ? 'acting' : 'removed';
}

/** The refusal of a named reviewer who is no longer a member of the campaign's team, whatever they attempt. */
export const removedReviewerRefusal = (campaign: Campaign, userId: string): AccessReviewRejection => ({
  kind: 'forbidden',
  rule: rules.reviewerIsCurrentMember,
  message: `${userId} is a named reviewer of access review ${campaign.reviewId} but no longer a member of team ${campaign.teamId}: a reviewer removed from the team loses the campaign`,
});
