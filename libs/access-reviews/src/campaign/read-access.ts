import { checkPermission, type Permission, type TeamState } from '@access-audit/domain';
import type { AccessReviewRejection } from './rejection';
import { removedReviewerRefusal, reviewerStanding } from './reviewer-authority';
import { accessReviewRuleIds as rules } from './rules';
import type { AccessReviewState } from './state';

/**
 * Reading a campaign and its evidence: the team's audit readers (owners, security, enterprise viewers) and its reviewers
 * while they are members of the team.
 */
export const campaignReadPermission: Permission = 'team.audit.view';

const lacksReadPermission = (userId: string, ids: { reviewId: string }): AccessReviewRejection => ({
  kind: 'forbidden',
  permission: campaignReadPermission,
  message: `${userId} lacks ${campaignReadPermission} and is not a reviewer of access review ${ids.reviewId}`,
});

/** Why `userId` may not read the campaign, if they may not. Unknown campaigns are 404 only to those who may read them. */
export function readRefusal(
  state: AccessReviewState,
  team: TeamState,
  userId: string,
  ids: { teamId: string; reviewId: string },
): AccessReviewRejection | undefined {
  if (team.status !== 'active') {
    return { kind: 'not_found', rule: rules.teamExists, message: `team ${ids.teamId} does not exist` };
  }
  const auditReader = checkPermission(team, userId, campaignReadPermission).allowed;
  if (state.status === 'none') {
    if (!auditReader) return lacksReadPermission(userId, ids);
    return {
      kind: 'not_found',
      rule: rules.campaignExists,
      message: `access review ${ids.reviewId} does not exist in team ${ids.teamId}`,
    };
  }
  if (auditReader) return undefined;
  const standing = reviewerStanding(state, team, userId);
  if (standing === 'acting') return undefined;
  if (standing === 'removed') return removedReviewerRefusal(state, userId);
  return lacksReadPermission(userId, ids);
}

/** Listing a team's campaigns: the team's audit readers only (a reviewer reads the campaigns they are named in). */
export function listRefusal(team: TeamState, userId: string, teamId: string): AccessReviewRejection | undefined {
  if (team.status !== 'active')
    return { kind: 'not_found', rule: rules.teamExists, message: `team ${teamId} does not exist` };
  if (checkPermission(team, userId, campaignReadPermission).allowed) return undefined;
  return {
    kind: 'forbidden',
    permission: campaignReadPermission,
    message: `${userId} lacks ${campaignReadPermission} on team ${teamId}`,
  };
}
