import {
  checkPermission,
  policyVersion,
  teamStreamId,
  type Decision,
  type Permission,
  type TeamState,
} from '@access-audit/domain';
import type {
  AccessReviewCommand,
  AccessReviewCommandMetadata,
  CompleteAccessReview,
  DecideAccessReviewItem,
  ExpireAccessReview,
  OpenAccessReview,
} from './commands';
import type { AccessReviewEvent, AccessReviewEventBase, ItemOutcome } from './events';
import { populationDigest, snapshotPopulation, type ReviewScope } from './population';
import type { AccessReviewRejection } from './rejection';
import { isCurrentMember, removedReviewerRefusal, reviewerStanding } from './reviewer-authority';
import { accessReviewRuleIds as rules } from './rules';
import { evolveAccessReview, initialAccessReviewState, type AccessReviewState, type Campaign } from './state';

/** The team's owner right: opening a campaign needs it, and it lets a non-reviewer complete one. */
export const campaignOwnerPermission: Permission = 'team.members.roles.manage';

type CampaignDecision = Decision<AccessReviewEvent, AccessReviewRejection>;
const reject = (rejection: AccessReviewRejection): CampaignDecision => ({ ok: false, rejection });
const accept = (...events: AccessReviewEvent[]): CampaignDecision => ({ ok: true, events });

const baseOf = (command: AccessReviewCommand): AccessReviewEventBase => ({
  teamId: command.teamId,
  reviewId: command.reviewId,
  actorId: command.metadata.actorId,
  occurredAt: command.metadata.now,
  ...(command.metadata.reason !== undefined ? { reason: command.metadata.reason } : {}),
  policyVersion,
});

const isOwner = (team: TeamState, userId: string): boolean =>
  checkPermission(team, userId, campaignOwnerPermission).allowed;
/**
 * Whether a caller's decision or completion may record an overdue campaign's expiry (and its default revocations): an
 * owner of the team, or a reviewer still in it. Anyone else is refused with nothing written, the expiry included.
 */
export const mayRecordExpiry = (campaign: Campaign, team: TeamState, userId: string): boolean =>
  isOwner(team, userId) || reviewerStanding(campaign, team, userId) === 'acting';

/** Past its due date at `now` (strictly after `dueAt`). */
export const pastDue = (campaign: { dueAt: string }, now: string): boolean =>
  Date.parse(now) > Date.parse(campaign.dueAt);

function scopeProblem(scope: ReviewScope, team: TeamState): AccessReviewRejection | undefined {
  if (team.status !== 'active' || scope.kind === 'team') return undefined;
  if (scope.kind === 'projects') {
    if (scope.projectIds.length === 0) {
      return {
        kind: 'invalid',
        field: 'scope.projectIds',
        rule: rules.scopeValid,
        message: 'name at least one project',
      };
    }
    const unknown = scope.projectIds.filter((id) => !team.projects.has(id));
    if (unknown.length) {
      return {
        kind: 'invalid',
        field: 'scope.projectIds',
        rule: rules.scopeValid,
        message: `no such project in team ${team.id}: ${unknown.join(', ')}`,
      };
    }
    return undefined;
  }
  if (scope.roles.length === 0) {
    return { kind: 'invalid', field: 'scope.roles', rule: rules.scopeValid, message: 'name at least one team role' };
  }
  return undefined;
}

function openAccessReview(command: OpenAccessReview, state: AccessReviewState): CampaignDecision {
  const { name, reviewerIds, dueAt, scope, defaultDecision, team } = command.data;
  if (state.status !== 'none') {
    return reject({
      kind: 'conflict',
      rule: rules.campaignIdFree,
      message: `access review ${command.reviewId} already exists`,
    });
  }
  const teamState = team.state;
  if (teamState.status !== 'active') {
    return reject({ kind: 'not_found', rule: rules.teamExists, message: `team ${command.teamId} does not exist` });
  }
  const actorId = command.metadata.actorId;
  if (!isOwner(teamState, actorId)) {
    return reject({
      kind: 'forbidden',
      permission: campaignOwnerPermission,
      message: `${actorId} lacks ${campaignOwnerPermission}: only owners open access reviews`,
    });
  }
  if (reviewerIds.length === 0) {
    return reject({
      kind: 'invalid',
      field: 'reviewerIds',
      rule: rules.reviewersNamed,
      message: 'name at least one reviewer',
    });
  }
  if (!(Date.parse(dueAt) > Date.parse(command.metadata.now))) {
    return reject({ kind: 'invalid', field: 'dueAt', rule: rules.dueInFuture, message: 'dueAt must be after now' });
  }
  const badScope = scopeProblem(scope, teamState);
  if (badScope) return reject(badScope);
  const outsiders = reviewerIds.filter((id) => !isCurrentMember(teamState, id));
  if (outsiders.length) {
    return reject({
      kind: 'policy',
      rule: rules.reviewersAreMembers,
      message: `reviewers must be members of team ${teamState.id}: ${outsiders.join(', ')} is not`,
    });
  }
  const items = snapshotPopulation(teamState, scope);
  return accept({
    type: 'AccessReviewOpened',
    data: {
      ...baseOf(command),
      name,
      reviewerIds: [...new Set(reviewerIds)],
      dueAt,
      scope,
      openedBy: actorId,
      ...(defaultDecision ? { defaultDecision } : {}),
      snapshot: {
        teamStreamId: teamStreamId(command.teamId),
        teamStreamRevision: team.revision,
        teamStreamPosition: team.position,
      },
      population: { items, digest: populationDigest(items) },
    },
  });
}

/** A closed or overdue campaign takes no more decisions and cannot be completed. */
function notOpen(campaign: Campaign, now: string): AccessReviewRejection | undefined {
  if (campaign.status !== 'open') {
    return { kind: 'policy', rule: rules.open, message: `access review ${campaign.reviewId} is ${campaign.status}` };
  }
  if (pastDue(campaign, now)) {
    return {
      kind: 'policy',
      rule: rules.beforeDue,
      message: `access review ${campaign.reviewId} was due at ${campaign.dueAt}; it is expired`,
    };
  }
  return undefined;
}

const campaignMissing = (command: { teamId: string; reviewId: string }): AccessReviewRejection => ({
  kind: 'not_found',
  rule: rules.campaignExists,
  message: `access review ${command.reviewId} does not exist in team ${command.teamId}`,
});

function decideItem(command: DecideAccessReviewItem, campaign: Campaign): CampaignDecision {
  const { itemId, decision } = command.data;
  const justification = command.data.justification?.trim();
  const reviewerId = command.metadata.actorId;
  // Authority first, against the team as it is now: a removed reviewer learns nothing more of the campaign.
  const standing = reviewerStanding(campaign, command.data.team, reviewerId);
  if (standing === 'not_named') {
    return reject({
      kind: 'forbidden',
      rule: rules.namedReviewer,
      message: `${reviewerId} is not a named reviewer of access review ${campaign.reviewId}`,
    });
  }
  if (standing === 'removed') return reject(removedReviewerRefusal(campaign, reviewerId));
  const closed = notOpen(campaign, command.metadata.now);
  if (closed) return reject(closed);
  const item = campaign.population.items.find((candidate) => candidate.itemId === itemId);
  if (!item) {
    return reject({
      kind: 'not_found',
      rule: rules.itemExists,
      message: `no item ${itemId} in access review ${campaign.reviewId}`,
    });
  }
  if (item.userId === reviewerId) {
    return reject({
      kind: 'forbidden',
      rule: rules.sodOwnAccess,
      message: `${reviewerId} may not decide on their own access`,
    });
  }
  if (item.grantedBy === reviewerId) {
    return reject({
      kind: 'forbidden',
      rule: rules.sodOwnGrant,
      message: `${reviewerId} made this grant and may not review it`,
    });
  }
  if (item.privileged && !justification) {
    return reject({
      kind: 'invalid',
      field: 'justification',
      rule: rules.justificationRequired,
      message: `item ${itemId} is a privileged grant: a justification is required`,
    });
  }
  return accept({
    type: 'AccessReviewItemDecided',
    data: {
      ...baseOf(command),
      itemId,
      decision,
      ...(justification ? { justification } : {}),
      reviewerId,
      decidedAt: command.metadata.now,
      supersedes: campaign.decisions.get(itemId)?.decision ?? null,
    },
  });
}

/** Why `actorId` may not complete the campaign now, if they may not. Checked before any revocation is applied. */
export function completionRefusal(
  state: AccessReviewState,
  command: { teamId: string; reviewId: string; metadata: AccessReviewCommandMetadata; team: TeamState },
): AccessReviewRejection | undefined {
  if (state.status === 'none') return campaignMissing(command);
  const actorId = command.metadata.actorId;
  if (!isOwner(command.team, actorId)) {
    const standing = reviewerStanding(state, command.team, actorId);
    if (standing === 'removed') return removedReviewerRefusal(state, actorId);
    if (standing === 'not_named') {
      return {
        kind: 'forbidden',
        rule: rules.completedByOwnerOrReviewer,
        message: `${actorId} is neither an owner nor a named reviewer of access review ${state.reviewId}`,
      };
    }
  }
  return notOpen(state, command.metadata.now);
}

function outcomesProblem(campaign: Campaign, outcomes: readonly ItemOutcome[]): AccessReviewRejection | undefined {
  const expected = campaign.population.items.map((item) => item.itemId).sort();
  const given = outcomes.map((outcome) => outcome.itemId).sort();
  if (expected.length === given.length && expected.every((id, index) => id === given[index])) return undefined;
  return {
    kind: 'invalid',
    field: 'outcomes',
    rule: rules.outcomesCoverPopulation,
    message: 'a closing campaign reports exactly one outcome per population item',
  };
}

function completeAccessReview(command: CompleteAccessReview, campaign: Campaign): CampaignDecision {
  const refusal =
    completionRefusal(campaign, { ...command, team: command.data.team }) ??
    outcomesProblem(campaign, command.data.outcomes);
  if (refusal) return reject(refusal);
  const { outcomes, auditChainHead, teamStreamRevision } = command.data;
  return accept({
    type: 'AccessReviewCompleted',
    data: { ...baseOf(command), completedBy: command.metadata.actorId, outcomes, auditChainHead, teamStreamRevision },
  });
}

/** Whether the campaign is open and past its due date, so the next command on it records its expiry first. */
export const isDueForExpiry = (state: AccessReviewState, now: string): state is Campaign =>
  state.status === 'open' && pastDue(state, now);

function expireAccessReview(command: ExpireAccessReview, campaign: Campaign): CampaignDecision {
  if (!isDueForExpiry(campaign, command.metadata.now)) return accept();
  const problem = outcomesProblem(campaign, command.data.outcomes);
  if (problem) return reject(problem);
  const { outcomes, auditChainHead, teamStreamRevision } = command.data;
  return accept({
    type: 'AccessReviewExpired',
    data: {
      ...baseOf(command),
      dueAt: campaign.dueAt,
      revocationsActedAs: campaign.defaultDecision === 'revoke' ? campaign.openedBy : null,
      outcomes,
      auditChainHead,
      teamStreamRevision,
    },
  });
}

/**
 * Whether the campaign is the one the ids name. Team and review ids can run together into one stream id (team `acme`,
 * review `q1-2026` and team `acme-q1`, review `2026`): a campaign of another team is never reached through its stream.
 */
export const isCampaignOf = (state: AccessReviewState, ids: { teamId: string; reviewId: string }): state is Campaign =>
  state.status !== 'none' && state.teamId === ids.teamId && state.reviewId === ids.reviewId;

/** Decides a campaign command: the events it causes, or why it is refused. */
export function decideAccessReview(command: AccessReviewCommand, state: AccessReviewState): CampaignDecision {
  if (command.type === 'OpenAccessReview') return openAccessReview(command, state);
  if (!isCampaignOf(state, command)) return reject(campaignMissing(command));
  switch (command.type) {
    case 'DecideAccessReviewItem':
      return decideItem(command, state);
    case 'CompleteAccessReview':
      return completeAccessReview(command, state);
    case 'ExpireAccessReview':
      return expireAccessReview(command, state);
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled access-review command: ${JSON.stringify(unhandled)}`);
    }
  }
}

/** The campaign aggregate as an Emmett-style decider (for the generic command path). */
export const accessReviewDecider = {
  initialState: initialAccessReviewState,
  evolve: evolveAccessReview,
  decide: decideAccessReview,
};
