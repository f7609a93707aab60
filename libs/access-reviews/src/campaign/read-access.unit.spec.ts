import { foldAccessReview } from './state';
import { itemSubject, projectRoleItemId, teamRoleItemId } from './population';
import { listRefusal, readRefusal } from './read-access';
import { accessReviewRuleIds as rules } from './rules';
import { enterpriseTeam, opened, REVIEW, TEAM } from '../testing/campaign-spec';

const ids = { teamId: TEAM, reviewId: REVIEW };

describe('reading campaigns (team.audit.view, or a named reviewer)', () => {
  const campaign = foldAccessReview(opened({ reviewerIds: ['mia'] }));

  it('lets the team audit readers (owner, security, enterprise viewer) and the named reviewers read', () => {
    for (const reader of ['olga', 'sec', 'vic', 'mia'])
      expect(readRefusal(campaign, enterpriseTeam(), reader, ids)).toBeUndefined();
  });

  it('refuses anyone else with the permission they lack', () => {
    for (const outsider of ['dev', 'cole', 'stranger']) {
      expect(readRefusal(campaign, enterpriseTeam(), outsider, ids)).toMatchObject({
        kind: 'forbidden',
        permission: 'team.audit.view',
      });
    }
  });

  it(`answers 404 (${rules.campaignExists}) only to those who may read, so ids cannot be probed`, () => {
    const none = foldAccessReview([]);
    expect(readRefusal(none, enterpriseTeam(), 'olga', ids)).toMatchObject({
      kind: 'not_found',
      rule: rules.campaignExists,
    });
    expect(readRefusal(none, enterpriseTeam(), 'dev', ids)).toMatchObject({ kind: 'forbidden' });
    expect(readRefusal(none, { status: 'none' }, 'olga', ids)).toMatchObject({
      kind: 'not_found',
      rule: rules.teamExists,
    });
  });

  it('lists campaigns for the team audit readers only', () => {
    expect(listRefusal(enterpriseTeam(), 'vic', TEAM)).toBeUndefined();
    expect(listRefusal(enterpriseTeam(), 'mia', TEAM)).toMatchObject({
      kind: 'forbidden',
      permission: 'team.audit.view',
    });
  });
});

describe('item ids', () => {
  it('name the grant and read back to its user and project, whatever characters the ids hold', () => {
    const itemId = projectRoleItemId('ann:smith@example.com', 'web|eu');
    expect(itemId).toBe('project_role:ann%3Asmith%40example.com:web%7Ceu');
    expect(itemSubject(itemId)).toEqual({ userId: 'ann:smith@example.com', projectId: 'web|eu' });
    expect(itemSubject(teamRoleItemId('bob'))).toEqual({ userId: 'bob' });
    expect(itemSubject('team_role:%E0')).toEqual({});
  });
});
