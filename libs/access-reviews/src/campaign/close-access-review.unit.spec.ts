import { decide, evolve, policyVersion, type TeamState } from '@access-audit/domain';
import { planClosing, outcomeOf, type PlannedItem } from './closing';
import { completionRefusal } from './decide';
import type { AccessReviewEvent, ItemOutcome } from './events';
import { accessReviewRuleIds as rules } from './rules';
import { foldAccessReview, type Campaign } from './state';
import {
  AFTER_DUE,
  decideCommand,
  DURING,
  enterpriseTeam,
  given,
  opened,
  REVIEW,
  TEAM,
} from '../testing/campaign-spec';

const OPENED_ID = 'evt-opened';

function campaignWith(events: AccessReviewEvent[]): Campaign {
  const state = foldAccessReview(events);
  if (state.status === 'none') throw new Error('campaign exists');
  return state;
}

function withDecisions(base: AccessReviewEvent[], ...decisions: Array<Parameters<typeof decideCommand>>) {
  let history = base;
  const decisionEventIds = new Map<string, string>();
  for (const args of decisions) {
    history = [
      ...history,
      ...given(history)
        .when(decideCommand(...args))
        .thenAccepts(),
    ];
    decisionEventIds.set(args[1], `evt-decision-${history.length}`);
  }
  return { history, decisionEventIds };
}

const byItem = (plan: PlannedItem[]) => Object.fromEntries(plan.map((p) => [p.item.itemId, p]));

const completeCommand = (
  actorId: string,
  outcomes: ItemOutcome[],
  team: TeamState = enterpriseTeam(),
  now = DURING,
) => ({
  type: 'CompleteAccessReview' as const,
  teamId: TEAM,
  reviewId: REVIEW,
  data: {
    team,
    outcomes,
    auditChainHead: { streamId: `audit-${TEAM}`, revision: 41, sequence: 40, headHash: 'ab'.repeat(32) },
    teamStreamRevision: 25,
  },
  metadata: { actorId, now },
});

const reportAll = (campaign: Campaign): ItemOutcome[] =>
  planClosing(campaign, {
    mode: 'complete',
    actorId: 'olga',
    now: DURING,
    team: enterpriseTeam(),
    openedEventId: OPENED_ID,
    decisionEventIds: new Map(),
  }).map((planned) => outcomeOf(planned, { ok: true, events: [] }));

describe('planClosing', () => {
  const { history, decisionEventIds } = withDecisions(
    opened(),
    ['rita', 'team_role:vic', 'revoke'],
    ['rita', 'permission_group:dev:create_project', 'keep'],
    ['rita', 'project_role:cole:web', 'revoke', 'project handed over'],
    ['rita', 'project_role:cole:api', 'revoke'],
  );
  const campaign = campaignWith(history);

  it('plans each revoke as the normal team command, acting as the closing user, caused by the decision', () => {
    const plan = byItem(
      planClosing(campaign, {
        mode: 'complete',
        actorId: 'oscar',
        now: DURING,
        team: enterpriseTeam(),
        openedEventId: OPENED_ID,
        decisionEventIds,
      }),
    );
    expect(plan['team_role:vic']).toMatchObject({
      action: 'revoke',
      decision: 'revoke',
      decidedBy: 'reviewer',
      causationEventId: decisionEventIds.get('team_role:vic'),
      command: {
        type: 'RemoveMember',
        teamId: TEAM,
        data: { userId: 'vic' },
        metadata: { actorId: 'oscar', now: DURING },
      },
    });
    expect(plan['project_role:cole:web']).toMatchObject({
      action: 'revoke',
      command: { type: 'RevokeProjectRole', data: { userId: 'cole', projectId: 'web' } },
    });
    expect(plan['permission_group:dev:create_project']).toMatchObject({
      action: 'report',
      outcome: { result: 'kept', decision: 'keep' },
    });
    expect(plan['team_role:mia']).toMatchObject({
      action: 'report',
      outcome: { result: 'undecided', decision: null, causationEventId: null },
    });
  });

  it("applies project roles and groups before memberships, so a removal never pre-empts the member's other items", () => {
    const plan = planClosing(campaign, {
      mode: 'complete',
      actorId: 'oscar',
      now: DURING,
      team: enterpriseTeam(),
      openedEventId: OPENED_ID,
      decisionEventIds,
    });
    const revocations = plan.filter((p) => p.action === 'revoke').map((p) => p.item.itemId);
    expect(revocations).toEqual(['project_role:cole:api', 'project_role:cole:web', 'team_role:vic']);
  });

  it("applies the closing user's own grants last, so losing them cannot pre-empt the other revocations", () => {
    const { history: h, decisionEventIds: ids } = withDecisions(
      opened(),
      ['rita', 'team_role:oscar', 'revoke', 'second owner no longer needed'],
      ['rita', 'team_role:vic', 'revoke'],
      ['rita', 'project_role:cole:api', 'revoke'],
    );
    const plan = planClosing(campaignWith(h), {
      mode: 'complete',
      actorId: 'oscar',
      now: DURING,
      team: enterpriseTeam(),
      openedEventId: OPENED_ID,
      decisionEventIds: ids,
    });
    expect(plan.filter((p) => p.action === 'revoke').map((p) => p.item.itemId)).toEqual([
      'project_role:cole:api',
      'team_role:vic',
      'team_role:oscar',
    ]);
  });

  it('reports a revoke on a grant that changed since the snapshot instead of applying it', () => {
    let team = enterpriseTeam();
    for (const command of [
      {
        type: 'RevokeProjectRole',
        teamId: TEAM,
        data: { projectId: 'web', userId: 'cole' },
        metadata: { actorId: 'olga', now: DURING },
      },
      {
        type: 'AssignProjectRole',
        teamId: TEAM,
        data: { projectId: 'api', userId: 'cole', role: 'project_developer' },
        metadata: { actorId: 'olga', now: DURING },
      },
    ] as const) {
      const decision = decide(command, team);
      if (!decision.ok) throw new Error(decision.rejection.message);
      team = decision.events.reduce(evolve, team);
    }
    const plan = byItem(
      planClosing(campaign, {
        mode: 'complete',
        actorId: 'oscar',
        now: DURING,
        team,
        openedEventId: OPENED_ID,
        decisionEventIds,
      }),
    );
    expect(plan['project_role:cole:web']).toMatchObject({
      action: 'report',
      outcome: { result: 'changed_since_snapshot', changedSinceSnapshot: true, current: null },
    });
    expect(plan['project_role:cole:api']).toMatchObject({
      action: 'report',
      outcome: {
        result: 'changed_since_snapshot',
        current: { value: 'project_developer', grantedBy: 'olga', grantedAt: DURING },
      },
    });
    expect(plan['team_role:vic']).toMatchObject({ action: 'revoke', changedSinceSnapshot: false });
  });

  it('revokes undecided items under a recorded default decision, caused by the opening event', () => {
    const defaulted = campaignWith(
      withDecisions(opened({ defaultDecision: 'revoke' }), ['rita', 'team_role:vic', 'keep']).history,
    );
    const plan = byItem(
      planClosing(defaulted, {
        mode: 'complete',
        actorId: 'olga',
        now: DURING,
        team: enterpriseTeam(),
        openedEventId: OPENED_ID,
        decisionEventIds: new Map(),
      }),
    );
    expect(plan['team_role:mia']).toMatchObject({
      action: 'revoke',
      decision: 'revoke',
      decidedBy: 'default',
      causationEventId: OPENED_ID,
    });
    expect(plan['team_role:vic']).toMatchObject({ action: 'report', outcome: { result: 'kept' } });
  });

  it('on expiry without a default decision applies nothing: revokes are reported not applied, undecided items stay', () => {
    const plan = byItem(
      planClosing(campaign, {
        mode: 'expire',
        actorId: 'rita',
        now: AFTER_DUE,
        team: enterpriseTeam(),
        openedEventId: OPENED_ID,
        decisionEventIds,
      }),
    );
    expect(plan['team_role:vic']).toMatchObject({
      action: 'report',
      outcome: { result: 'not_applied', decision: 'revoke' },
    });
    expect(plan['team_role:mia']).toMatchObject({ action: 'report', outcome: { result: 'undecided' } });
  });

  it('on expiry with a default decision applies every revoke, acting as whoever the caller names (the opener)', () => {
    const defaulted = campaignWith(opened({ defaultDecision: 'revoke' }));
    const plan = planClosing(defaulted, {
      mode: 'expire',
      actorId: 'olga',
      now: AFTER_DUE,
      team: enterpriseTeam(),
      openedEventId: OPENED_ID,
      decisionEventIds: new Map(),
    });
    expect(plan.every((p) => p.action === 'revoke' && p.command.metadata.actorId === 'olga')).toBe(true);
  });

  it('reuses the team events an interrupted closing already appended for an item instead of revoking twice', () => {
    const enforcedBy = [{ eventId: 'team-evt-9', type: 'MemberRemoved', streamRevision: 21, position: '30' }];
    const plan = byItem(
      planClosing(campaign, {
        mode: 'complete',
        actorId: 'oscar',
        now: DURING,
        team: enterpriseTeam(),
        openedEventId: OPENED_ID,
        decisionEventIds,
        enforcedEarlier: new Map([['team_role:vic', enforcedBy]]),
      }),
    );
    expect(plan['team_role:vic']).toMatchObject({ action: 'report', outcome: { result: 'revoked', enforcedBy } });
  });

  it("turns the team command path's answer into the item outcome: revoked with its events, or refused with the rule", () => {
    const plan = byItem(
      planClosing(campaign, {
        mode: 'complete',
        actorId: 'oscar',
        now: DURING,
        team: enterpriseTeam(),
        openedEventId: OPENED_ID,
        decisionEventIds,
      }),
    );
    const events = [{ eventId: 'e1', type: 'MemberRemoved', streamRevision: 21, position: '22' }];
    expect(outcomeOf(plan['team_role:vic']!, { ok: true, events })).toEqual({
      itemId: 'team_role:vic',
      decision: 'revoke',
      decidedBy: 'reviewer',
      causationEventId: decisionEventIds.get('team_role:vic'),
      changedSinceSnapshot: false,
      result: 'revoked',
      enforcedBy: events,
    });
    const refusal = { kind: 'policy', rule: 'team.at-least-one-owner', message: 'last owner' };
    expect(outcomeOf(plan['team_role:vic']!, { ok: false, refusal })).toMatchObject({
      result: 'revocation_refused',
      refusal,
    });
  });
});

describe('CompleteAccessReview', () => {
  const campaign = campaignWith(opened());

  it('records who completed it, every item outcome and the audit-chain head', () => {
    const outcomes = reportAll(campaign);
    given(opened())
      .when(completeCommand('rita', outcomes))
      .then([
        {
          type: 'AccessReviewCompleted',
          data: {
            teamId: TEAM,
            reviewId: REVIEW,
            actorId: 'rita',
            occurredAt: DURING,
            policyVersion,
            completedBy: 'rita',
            outcomes,
            auditChainHead: { streamId: `audit-${TEAM}`, revision: 41, sequence: 40, headHash: 'ab'.repeat(32) },
            teamStreamRevision: 25,
          },
        },
      ]);
  });

  it('lets an owner who is not a reviewer complete', () => {
    expect(
      given(opened())
        .when(completeCommand('olga', reportAll(campaign)))
        .thenAccepts(),
    ).toHaveLength(1);
  });

  it(`refuses someone who is neither an owner nor a named reviewer (403 ${rules.completedByOwnerOrReviewer})`, () => {
    given(opened())
      .when(completeCommand('mia', reportAll(campaign)))
      .thenRejects({ kind: 'forbidden', rule: rules.completedByOwnerOrReviewer });
    expect(
      completionRefusal(campaign, {
        teamId: TEAM,
        reviewId: REVIEW,
        metadata: { actorId: 'mia', now: DURING },
        team: enterpriseTeam(),
      }),
    ).toMatchObject({
      rule: rules.completedByOwnerOrReviewer,
    });
  });

  it(`refuses a second completion (422 ${rules.open}) and a completion after the due date (422 ${rules.beforeDue})`, () => {
    const completed = given(opened())
      .when(completeCommand('olga', reportAll(campaign)))
      .thenAccepts();
    given([...opened(), ...completed])
      .when(completeCommand('olga', reportAll(campaign)))
      .thenRejects({ kind: 'policy', rule: rules.open });
    given(opened())
      .when(completeCommand('olga', reportAll(campaign), enterpriseTeam(), AFTER_DUE))
      .thenRejects({ kind: 'policy', rule: rules.beforeDue });
  });

  it(`refuses outcomes that do not cover the population exactly (${rules.outcomesCoverPopulation})`, () => {
    given(opened())
      .when(completeCommand('olga', reportAll(campaign).slice(1)))
      .thenRejects({ kind: 'invalid', rule: rules.outcomesCoverPopulation });
  });
});

describe('ExpireAccessReview', () => {
  const expireCommand = (now: string, outcomes: ItemOutcome[]) => ({
    type: 'ExpireAccessReview' as const,
    teamId: TEAM,
    reviewId: REVIEW,
    data: { outcomes, auditChainHead: null, teamStreamRevision: 20 },
    metadata: { actorId: 'rita', now },
  });
  const outcomes = reportAll(campaignWith(opened()));

  it('marks an overdue campaign expired, naming the due date and whose authority default revocations used', () => {
    given(opened())
      .when(expireCommand(AFTER_DUE, outcomes))
      .then([
        {
          type: 'AccessReviewExpired',
          data: {
            teamId: TEAM,
            reviewId: REVIEW,
            actorId: 'rita',
            occurredAt: AFTER_DUE,
            policyVersion,
            dueAt: '2026-03-31T17:00:00.000Z',
            revocationsActedAs: null,
            outcomes,
            auditChainHead: null,
            teamStreamRevision: 20,
          },
        },
      ]);
    const [expired] = given(opened({ defaultDecision: 'revoke' }))
      .when(expireCommand(AFTER_DUE, outcomes))
      .thenAccepts();
    expect(expired).toMatchObject({ data: { revocationsActedAs: 'olga' } });
  });

  it('does nothing before the due date or once the campaign is closed', () => {
    given(opened()).when(expireCommand(DURING, outcomes)).then([]);
    const expired = given(opened()).when(expireCommand(AFTER_DUE, outcomes)).thenAccepts();
    given([...opened(), ...expired])
      .when(expireCommand(AFTER_DUE, outcomes))
      .then([]);
  });
});
