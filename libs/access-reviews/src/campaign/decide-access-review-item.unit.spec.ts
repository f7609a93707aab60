import { policyVersion } from '@access-audit/domain';
import { accessReviewRuleIds as rules } from './rules';
import { AFTER_DUE, decideCommand, DURING, given, opened, REVIEW, TEAM } from '../testing/campaign-spec';
import { foldAccessReview } from './state';
import { accessReviewStreamId, type AccessReviewEvent } from './events';

const decided = (
  events: AccessReviewEvent[],
  ...commands: Array<Parameters<typeof decideCommand>>
): AccessReviewEvent[] =>
  commands.reduce(
    (history, args) => [
      ...history,
      ...given(history)
        .when(decideCommand(...args))
        .thenAccepts(),
    ],
    events,
  );

describe('DecideAccessReviewItem', () => {
  it("records a named reviewer's decision with justification, reviewer and time", () => {
    given(opened())
      .when(decideCommand('rita', 'team_role:mia', 'revoke', '  left the company in February  '))
      .then([
        {
          type: 'AccessReviewItemDecided',
          data: {
            teamId: TEAM,
            reviewId: REVIEW,
            actorId: 'rita',
            occurredAt: DURING,
            policyVersion,
            itemId: 'team_role:mia',
            decision: 'revoke',
            justification: 'left the company in February',
            reviewerId: 'rita',
            decidedAt: DURING,
            supersedes: null,
          },
        },
      ]);
  });

  it('accepts a decision without justification on a grant that is not privileged', () => {
    const [event] = given(opened())
      .when(decideCommand('oscar', 'project_role:cole:api', 'keep'))
      .thenAccepts();
    expect(event?.data).not.toHaveProperty('justification');
  });

  it('records a second decision as its own event that supersedes the first; both stay in history', () => {
    const history = decided(opened(), ['rita', 'permission_group:dev:create_project', 'keep']);
    const [second] = given(history)
      .when(decideCommand('oscar', 'permission_group:dev:create_project', 'revoke'))
      .thenAccepts();
    expect(second).toMatchObject({ data: { decision: 'revoke', reviewerId: 'oscar', supersedes: 'keep' } });
    const state = foldAccessReview([...history, second!]);
    if (state.status === 'none') throw new Error('campaign exists');
    expect(state.decisions.get('permission_group:dev:create_project')).toMatchObject({
      decision: 'revoke',
      reviewerId: 'oscar',
    });
  });

  it(`refuses anyone but a named reviewer, owners included (403 ${rules.namedReviewer})`, () => {
    given(opened())
      .when(decideCommand('olga', 'team_role:vic', 'keep'))
      .thenRejects({ kind: 'forbidden', rule: rules.namedReviewer });
    given(opened())
      .when(decideCommand('sec', 'team_role:vic', 'keep'))
      .thenRejects({ kind: 'forbidden', rule: rules.namedReviewer });
  });

  it(`refuses a decision on one's own access (403 ${rules.sodOwnAccess})`, () => {
    given(opened())
      .when(decideCommand('rita', 'team_role:rita', 'keep', 'I still audit'))
      .thenRejects({ kind: 'forbidden', rule: rules.sodOwnAccess });
  });

  it(`refuses a decision on a grant the reviewer made (403 ${rules.sodOwnGrant})`, () => {
    // oscar added mia as member; rita may decide on it, oscar may not.
    given(opened())
      .when(decideCommand('oscar', 'team_role:mia', 'keep', 'still on the team'))
      .thenRejects({ kind: 'forbidden', rule: rules.sodOwnGrant });
    expect(
      given(opened())
        .when(decideCommand('rita', 'team_role:mia', 'keep', 'still on the team'))
        .thenAccepts(),
    ).toHaveLength(1);
  });

  it(`requires a justification on privileged grants: owner, member, security, project_admin, production groups (${rules.justificationRequired})`, () => {
    for (const itemId of [
      'team_role:olga',
      'team_role:sec',
      'project_role:cole:web',
      'permission_group:dev:full_production_deployment',
    ]) {
      given(opened())
        .when(decideCommand('rita', itemId, 'keep'))
        .thenRejects({ kind: 'invalid', field: 'justification', rule: rules.justificationRequired });
      given(opened())
        .when(decideCommand('rita', itemId, 'revoke', '   '))
        .thenRejects({ kind: 'invalid', field: 'justification', rule: rules.justificationRequired });
    }
  });

  it(`refuses an item that is not in the population (404 ${rules.itemExists})`, () => {
    given(opened())
      .when(decideCommand('rita', 'team_role:zed', 'keep'))
      .thenRejects({ kind: 'not_found', rule: rules.itemExists });
  });

  it(`refuses an unknown campaign (404 ${rules.campaignExists})`, () => {
    given([])
      .when(decideCommand('rita', 'team_role:vic', 'keep'))
      .thenRejects({ kind: 'not_found', rule: rules.campaignExists });
  });

  it(`refuses, as unknown (404 ${rules.campaignExists}), a campaign of another team found under the same stream id`, () => {
    // Team `acme`, review `q1-review` and team `acme-q1`, review `review` share the stream `access-review-acme-q1-review`.
    const [ownTeam, ownReview] = [`${TEAM}-q1`, 'review'];
    expect(accessReviewStreamId(ownTeam, ownReview)).toBe(accessReviewStreamId(TEAM, REVIEW));
    given(opened())
      .when({ ...decideCommand('rita', 'team_role:vic', 'keep'), teamId: ownTeam, reviewId: ownReview })
      .thenRejects({ kind: 'not_found', rule: rules.campaignExists });
  });

  it(`refuses decisions after the due date, even before the expiry is recorded (422 ${rules.beforeDue})`, () => {
    given(opened())
      .when(decideCommand('rita', 'team_role:vic', 'keep', undefined, AFTER_DUE))
      .thenRejects({ kind: 'policy', rule: rules.beforeDue });
  });

  it(`refuses decisions once the campaign is completed or expired (422 ${rules.open})`, () => {
    const completed: AccessReviewEvent = {
      type: 'AccessReviewCompleted',
      data: {
        teamId: TEAM,
        reviewId: REVIEW,
        actorId: 'olga',
        occurredAt: DURING,
        policyVersion,
        completedBy: 'olga',
        outcomes: [],
        auditChainHead: null,
        teamStreamRevision: 20,
      },
    };
    given([...opened(), completed])
      .when(decideCommand('rita', 'team_role:vic', 'keep'))
      .thenRejects({ kind: 'policy', rule: rules.open });
    const expired: AccessReviewEvent = {
      type: 'AccessReviewExpired',
      data: {
        teamId: TEAM,
        reviewId: REVIEW,
        actorId: 'rita',
        occurredAt: AFTER_DUE,
        policyVersion,
        dueAt: AFTER_DUE,
        revocationsActedAs: null,
        outcomes: [],
        auditChainHead: null,
        teamStreamRevision: 20,
      },
    };
    given([...opened(), expired])
      .when(decideCommand('rita', 'team_role:vic', 'keep'))
      .thenRejects({ kind: 'policy', rule: rules.open });
  });
});
