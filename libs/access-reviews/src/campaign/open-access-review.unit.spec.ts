import { createHash } from 'node:crypto';
import { policyVersion, teamStreamId } from '@access-audit/domain';
import { canonicalJson } from '@access-audit/audit';
import { accessReviewRuleIds as rules } from './rules';
import {
  DUE_AT,
  enterpriseTeam,
  given,
  openCommand,
  OPENED_AT,
  opened,
  REVIEW,
  TEAM,
  TEAM_REVISION,
} from '../testing/campaign-spec';
import type { AccessReviewOpened } from './events';

const openedData = (events: ReturnType<typeof opened>) => (events[0] as AccessReviewOpened).data;

describe('OpenAccessReview', () => {
  it('snapshots every grant of the team with its granter, the team stream revision and a digest', () => {
    const [event] = given([])
      .when(openCommand({ defaultDecision: 'revoke' }))
      .thenAccepts();
    expect(event).toMatchObject({
      type: 'AccessReviewOpened',
      data: {
        teamId: TEAM,
        reviewId: REVIEW,
        actorId: 'olga',
        occurredAt: OPENED_AT,
        policyVersion,
        name: 'Q1 access review',
        reviewerIds: ['oscar', 'rita'],
        dueAt: DUE_AT,
        scope: { kind: 'team' },
        openedBy: 'olga',
        defaultDecision: 'revoke',
        snapshot: { teamStreamId: teamStreamId(TEAM), teamStreamRevision: TEAM_REVISION, teamStreamPosition: '21' },
      },
    });
    const { items, digest } = openedData([event!]).population;
    expect(items.map((item) => item.itemId)).toEqual([
      'permission_group:dev:create_project',
      'permission_group:dev:full_production_deployment',
      'project_role:cole:api',
      'project_role:cole:web',
      'team_role:cole',
      'team_role:dev',
      'team_role:mia',
      'team_role:olga',
      'team_role:oscar',
      'team_role:rita',
      'team_role:sec',
      'team_role:vic',
    ]);
    expect(items.find((item) => item.itemId === 'team_role:mia')).toEqual({
      itemId: 'team_role:mia',
      kind: 'team_role',
      userId: 'mia',
      role: 'member',
      grantedBy: 'oscar',
      grantedAt: '2026-01-15T10:00:00.000Z',
      privileged: true,
    });
    expect(items.find((item) => item.itemId === 'project_role:cole:web')).toMatchObject({
      kind: 'project_role',
      projectId: 'web',
      role: 'project_admin',
      grantedBy: 'mia',
      privileged: true,
    });
    expect(items.find((item) => item.itemId === 'project_role:cole:api')).toMatchObject({ privileged: false });
    expect(items.find((item) => item.itemId === 'permission_group:dev:create_project')).toMatchObject({
      privileged: false,
    });
    expect(items.find((item) => item.itemId === 'permission_group:dev:full_production_deployment')).toMatchObject({
      privileged: true,
    });
    const recomputed = createHash('sha256').update(canonicalJson(items)).digest('hex');
    expect(digest).toEqual({ algorithm: 'sha256', value: recomputed });
  });

  it('omits the default decision unless one is asked for', () => {
    expect(openedData(opened())).not.toHaveProperty('defaultDecision');
  });

  it('scopes to the explicit project roles of the named projects', () => {
    const { items } = openedData(opened({ scope: { kind: 'projects', projectIds: ['web'] } })).population;
    expect(items.map((item) => item.itemId)).toEqual(['project_role:cole:web']);
  });

  it('scopes to the members holding the named team roles, with their groups and project roles', () => {
    const { items } = openedData(opened({ scope: { kind: 'roles', roles: ['developer', 'contributor'] } })).population;
    expect(items.map((item) => item.itemId)).toEqual([
      'permission_group:dev:create_project',
      'permission_group:dev:full_production_deployment',
      'project_role:cole:api',
      'project_role:cole:web',
      'team_role:cole',
      'team_role:dev',
    ]);
  });

  it('gives a different digest when one grant differs, even only by when it was made', () => {
    const base = openedData(opened()).population.digest.value;
    const team = enterpriseTeam();
    if (team.status !== 'active') throw new Error('fixture team is active');
    const mia = team.members.get('mia')!;
    const regranted = {
      ...team,
      members: new Map(team.members).set('mia', { ...mia, role: { ...mia.role, grantedAt: OPENED_AT } }),
    };
    const other = openedData(opened({ team: { state: regranted, revision: TEAM_REVISION, position: '21' } })).population
      .digest;
    expect(other.value).toMatch(/^[0-9a-f]{64}$/);
    expect(other.value).not.toEqual(base);
  });

  it(`refuses a non-owner: only owners open (403, ${'team.members.roles.manage'})`, () => {
    given([]).when(openCommand({}, 'mia')).thenRejects({ kind: 'forbidden', permission: 'team.members.roles.manage' });
    given([]).when(openCommand({}, 'rita')).thenRejects({ kind: 'forbidden', permission: 'team.members.roles.manage' });
  });

  it(`refuses reviewers who are not team members (${rules.reviewersAreMembers}, 422)`, () => {
    given([])
      .when(openCommand({ reviewerIds: ['oscar', 'mallory'] }))
      .thenRejects({ kind: 'policy', rule: rules.reviewersAreMembers });
  });

  it(`refuses a campaign without reviewers (${rules.reviewersNamed})`, () => {
    given([])
      .when(openCommand({ reviewerIds: [] }))
      .thenRejects({ kind: 'invalid', field: 'reviewerIds', rule: rules.reviewersNamed });
  });

  it(`refuses a due date that is not in the future (${rules.dueInFuture})`, () => {
    given([])
      .when(openCommand({ dueAt: OPENED_AT }))
      .thenRejects({ kind: 'invalid', field: 'dueAt', rule: rules.dueInFuture });
  });

  it(`refuses a scope naming unknown projects or no role (${rules.scopeValid})`, () => {
    given([])
      .when(openCommand({ scope: { kind: 'projects', projectIds: ['nope'] } }))
      .thenRejects({ kind: 'invalid', field: 'scope.projectIds', rule: rules.scopeValid });
    given([])
      .when(openCommand({ scope: { kind: 'roles', roles: [] } }))
      .thenRejects({ kind: 'invalid', rule: rules.scopeValid });
  });

  it(`refuses an unknown team (${rules.teamExists}, 404)`, () => {
    given([])
      .when(openCommand({ team: { state: { status: 'none' }, revision: -1, position: null } }))
      .thenRejects({ kind: 'not_found', rule: rules.teamExists });
  });

  it(`refuses to open the same review id twice (${rules.campaignIdFree}, 409)`, () => {
    given(opened()).when(openCommand()).thenRejects({ kind: 'conflict', rule: rules.campaignIdFree });
  });

  it('lets any owner open, not only the team creator', () => {
    expect(given([]).when(openCommand({}, 'oscar')).thenAccepts()).toHaveLength(1);
    expect(enterpriseTeam().status).toBe('active');
  });
});
