import type { TeamState } from '@access-audit/domain';
import { completionRefusal } from './decide';
import { readRefusal } from './read-access';
import { accessReviewRuleIds as rules } from './rules';
import { foldAccessReview, type Campaign } from './state';
import {
  decideCommand,
  DURING,
  enterpriseTeam,
  given,
  openCommand,
  opened,
  REVIEW,
  TEAM,
  teamThrough,
} from '../testing/campaign-spec';

const ids = { teamId: TEAM, reviewId: REVIEW };
/** The fixture team after olga removed `userId` (the campaign's reviewers are oscar, an owner, and rita, a viewer). */
const teamWithout = (userId: string): TeamState =>
  teamThrough([['RemoveMember', 'olga', { userId }, '2026-03-05T09:00:00.000Z']], enterpriseTeam());
const campaign = (): Campaign => {
  const state = foldAccessReview(opened());
  if (state.status === 'none') throw new Error('campaign exists');
  return state;
};
const completion = (actorId: string, team: TeamState) => ({
  ...ids,
  metadata: { actorId, now: DURING },
  team,
});

describe('POLICY.md "Who acts, beyond people": a reviewer of an access-review campaign may decide on its items, read it and its evidence only while a current member of the team', () => {
  describe('a reviewer removed from the team loses the campaign at once', () => {
    it(`may no longer decide on its items (403 ${rules.reviewerIsCurrentMember})`, () => {
      for (const removed of ['rita', 'oscar']) {
        const rejection = given(opened())
          .when(decideCommand(removed, 'team_role:vic', 'keep', undefined, DURING, teamWithout(removed)))
          .thenRejects({ kind: 'forbidden', rule: rules.reviewerIsCurrentMember });
        expect(rejection.message).toContain(`no longer a member of team ${TEAM}`);
      }
    });

    it(`may no longer read it nor its evidence (403 ${rules.reviewerIsCurrentMember})`, () => {
      expect(readRefusal(campaign(), teamWithout('rita'), 'rita', ids)).toMatchObject({
        kind: 'forbidden',
        rule: rules.reviewerIsCurrentMember,
      });
    });

    it(`may no longer complete it (403 ${rules.reviewerIsCurrentMember}), even an owner's reviewer seat`, () => {
      for (const removed of ['rita', 'oscar']) {
        expect(completionRefusal(campaign(), completion(removed, teamWithout(removed)))).toMatchObject({
          kind: 'forbidden',
          rule: rules.reviewerIsCurrentMember,
        });
      }
    });

    it('is refused before the campaign says anything more of itself (not its status, not its items)', () => {
      given(opened())
        .when(
          decideCommand('rita', 'team_role:nobody', 'keep', undefined, '2026-04-02T00:00:00.000Z', teamWithout('rita')),
        )
        .thenRejects({ kind: 'forbidden', rule: rules.reviewerIsCurrentMember });
    });
  });

  describe('authority is checked when it is used, against the team as it is then', () => {
    it('a reviewer who is still a member keeps acting; the other reviewers are untouched by a removal', () => {
      expect(
        given(opened())
          .when(decideCommand('oscar', 'team_role:vic', 'keep', undefined, DURING, teamWithout('rita')))
          .thenAccepts(),
      ).toHaveLength(1);
      expect(readRefusal(campaign(), teamWithout('rita'), 'oscar', ids)).toBeUndefined();
      expect(completionRefusal(campaign(), completion('oscar', teamWithout('rita')))).toBeUndefined();
    });

    it('a removed reviewer added back to the team is a current member again', () => {
      const readded = teamThrough(
        [['AddMember', 'olga', { userId: 'rita', role: 'contributor' }]],
        teamWithout('rita'),
      );
      expect(
        given(opened())
          .when(decideCommand('rita', 'team_role:vic', 'keep', undefined, DURING, readded))
          .thenAccepts(),
      ).toHaveLength(1);
      // A contributor lacks team.audit.view: she reads the campaign as its reviewer.
      expect(readRefusal(campaign(), readded, 'rita', ids)).toBeUndefined();
    });

    it('an owner who is not a reviewer still reads and completes a campaign whose reviewer was removed', () => {
      expect(readRefusal(campaign(), teamWithout('rita'), 'olga', ids)).toBeUndefined();
      expect(completionRefusal(campaign(), completion('olga', teamWithout('rita')))).toBeUndefined();
    });
  });

  it(`reviewers named at opening must be current members: a removed member cannot be named (422 ${rules.reviewersAreMembers})`, () => {
    given([])
      .when(
        openCommand({
          reviewerIds: ['oscar', 'rita'],
          team: { state: teamWithout('rita'), revision: 21, position: '22' },
        }),
      )
      .thenRejects({ kind: 'policy', rule: rules.reviewersAreMembers });
  });
});
