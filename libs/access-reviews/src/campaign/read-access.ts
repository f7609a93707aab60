import { teamReadRefusal } from '@access-audit/application';
import type { Permission, TeamState } from '@access-audit/domain';
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

/**
 * The team-level part, by the one read decision of every read route: the team's audit readers, judged by the caller's
 * user id (the campaign routes do not tell machine readers apart). Campaigns name their own 404 rule.
 */
function auditReaderRefusal(team: TeamState, userId: string, teamId: string): AccessReviewRejection | undefined {
  const refusal = teamReadRefusal(team, { userId, isReader: false }, { kind: 'audit', teamId });
  switch (refusal?.kind) {
    case undefined:
      return undefined;
    case 'not_found':
      return { kind: 'not_found', rule: rules.teamExists, message: refusal.message };
    case 'forbidden':
      return { kind: 'forbidden', permission: campaignReadPermission, message: refusal.message };
  }
}

/** Why `userId` may not read the campaign, if they may not. Unknown campaigns are 404 only to those who may read them. */
export function readRefusal(
  state: AccessReviewState,
  team: TeamState,
  userId: string,
  ids: { teamId: string; reviewId: string },
): AccessReviewRejection | undefined {
  const refusal = auditReaderRefusal(team, userId, ids.teamId);
  if (refusal?.kind === 'not_found') return refusal;
  const auditReader = refusal === undefined;
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
  return auditReaderRefusal(team, userId, teamId);
}
