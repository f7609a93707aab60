import { checkPermission, type Permission, type TeamState } from '@access-audit/domain';
import type { AccessReviewRejection } from './rejection';
import { accessReviewRuleIds as rules } from './rules';
import type { AccessReviewState } from './state';

/** Reading a campaign and its evidence: the team's audit readers (owners, security, enterprise viewers) and its reviewers. */
export const campaignReadPermission: Permission = 'team.audit.view';

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
  if (state.status !== 'none' && (auditReader || state.reviewerIds.includes(userId))) return undefined;
  if (state.status === 'none' && auditReader) {
    return {
      kind: 'not_found',
      rule: rules.campaignExists,
      message: `access review ${ids.reviewId} does not exist in team ${ids.teamId}`,
    };
  }
  return {
    kind: 'forbidden',
    permission: campaignReadPermission,
    message: `${userId} lacks ${campaignReadPermission} and is not a reviewer of access review ${ids.reviewId}`,
  };
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
