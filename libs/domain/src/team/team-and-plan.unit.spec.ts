import { ruleIds, teamRoleAliases } from '../policy/policy';
import { cmd, enterpriseTeam, given, now, past, proTeam } from '../testing/team-spec';

describe('team creation', () => {
  it('makes the caller the first owner (API.md POST /v1/teams)', () => {
    given([])
      .when(cmd('CreateTeam', 'alice', { name: 'Acme', plan: 'pro' }))
      .then([{ type: 'TeamCreated', data: { ...now('alice'), name: 'Acme', plan: 'pro', ownerId: 'alice' } }]);
  });

  it('refuses an id that is taken (409)', () => {
    given([past.teamCreated('owner1', 'pro')])
      .when(cmd('CreateTeam', 'alice', { name: 'Other', plan: 'pro' }))
      .thenRejects({ kind: 'conflict', rule: ruleIds.teamIdFree });
  });

  it('answers 404 for commands on a team that does not exist', () => {
    given([])
      .when(cmd('AddMember', 'alice', { userId: 'bob', role: 'member' }))
      .thenRejects({ kind: 'not_found', rule: ruleIds.teamExists });
  });
});

describe('POLICY.md "Plans and which team roles they allow"', () => {
  it('hobby: owner only — a member role is refused (rule plan.role-available)', () => {
    given([past.teamCreated('owner1', 'hobby')])
      .when(cmd('AddMember', 'owner1', { userId: 'bob', role: 'member' }))
      .thenRejects({ kind: 'policy', rule: 'plan.role-available' });
  });

  it('hobby: the team is its owner alone — a second owner is refused (rule plan.role-limit)', () => {
    given([past.teamCreated('owner1', 'hobby')])
      .when(cmd('AddMember', 'owner1', { userId: 'bob', role: 'owner' }))
      .thenRejects({ kind: 'policy', rule: 'plan.role-limit' });
  });

  it.each(['owner', 'member', 'billing', 'pro_viewer'] as const)('pro allows %s', (role) => {
    given([past.teamCreated('owner1', 'pro')])
      .when(cmd('AddMember', 'owner1', { userId: 'bob', role }))
      .then([{ type: 'MemberAdded', data: { ...now('owner1'), userId: 'bob', before: null, after: { role } } }]);
  });

  it.each(['developer', 'security', 'enterprise_viewer', 'contributor'] as const)(
    'pro refuses the Enterprise-only role %s (rule plan.role-available)',
    (role) => {
      given([past.teamCreated('owner1', 'pro')])
        .when(cmd('AddMember', 'owner1', { userId: 'bob', role }))
        .thenRejects({ kind: 'policy', rule: 'plan.role-available' });
    },
  );

  it('pro: at most one billing member (rule plan.role-limit; "For Pro teams, it\'s limited to one member")', () => {
    given([past.teamCreated('owner1', 'pro'), past.memberAdded('bill1', 'billing')])
      .when(cmd('AddMember', 'owner1', { userId: 'bill2', role: 'billing' }))
      .thenRejects({ kind: 'policy', rule: 'plan.role-limit' });
  });

  it('pro: changing a member to a second billing role is refused as well (rule plan.role-limit)', () => {
    given([...proTeam(), past.memberAdded('bill1', 'billing')])
      .when(cmd('ChangeTeamRole', 'owner1', { userId: 'member1', role: 'billing' }))
      .thenRejects({ kind: 'policy', rule: 'plan.role-limit' });
  });

  it.each(['owner', 'member', 'developer', 'security', 'billing', 'enterprise_viewer', 'contributor'] as const)(
    'enterprise allows %s',
    (role) => {
      given([past.teamCreated('owner1', 'enterprise')])
        .when(cmd('AddMember', 'owner1', { userId: 'bob', role }))
        .thenAccepts();
    },
  );

  it('enterprise: billing may be held by many members', () => {
    given([past.teamCreated('owner1', 'enterprise'), past.memberAdded('bill1', 'billing')])
      .when(cmd('AddMember', 'owner1', { userId: 'bill2', role: 'billing' }))
      .thenAccepts();
  });

  it('enterprise refuses pro_viewer (rule plan.role-available)', () => {
    given([past.teamCreated('owner1', 'enterprise')])
      .when(cmd('AddMember', 'owner1', { userId: 'bob', role: 'pro_viewer' }))
      .thenRejects({ kind: 'policy', rule: 'plan.role-available' });
  });

  it('accepts "viewer" as an alias of enterprise_viewer (interpretation in the plans table)', () => {
    expect(teamRoleAliases['viewer']).toBe('enterprise_viewer');
  });

  it('refuses adding someone who is already a member', () => {
    given(proTeam())
      .when(cmd('AddMember', 'owner1', { userId: 'member1', role: 'billing' }))
      .thenRejects({ kind: 'policy', rule: ruleIds.memberAlreadyInTeam });
  });
});

describe('POLICY.md plan change: "rejected, listing the conflicts" (rule plan.change-conflict)', () => {
  it('refuses a downgrade while members hold Enterprise-only roles, naming each', () => {
    const rejection = given(enterpriseTeam())
      .when(cmd('ChangePlan', 'owner1', { plan: 'pro' }))
      .thenRejects({ kind: 'policy', rule: 'plan.change-conflict' });
    const conflicts = (rejection as { conflicts: Array<{ userId: string; holds: string }> }).conflicts;
    expect(conflicts.map((c) => `${c.userId}:${c.holds}`).sort()).toEqual(
      ['contrib1:contributor', 'dev1:developer', 'sec1:security', 'viewer1:enterprise_viewer'].sort(),
    );
  });

  it('refuses a downgrade to pro while two members hold billing', () => {
    given([
      past.teamCreated('owner1', 'enterprise'),
      past.memberAdded('b1', 'billing'),
      past.memberAdded('b2', 'billing'),
    ])
      .when(cmd('ChangePlan', 'owner1', { plan: 'pro' }))
      .thenRejects({ kind: 'policy', rule: 'plan.change-conflict' });
  });

  it('refuses a move to enterprise while a pro_viewer remains (the role is Pro-only)', () => {
    given(proTeam())
      .when(cmd('ChangePlan', 'owner1', { plan: 'enterprise' }))
      .thenRejects({ kind: 'policy', rule: 'plan.change-conflict' });
  });

  it('changes the plan when every member fits the new plan', () => {
    given([past.teamCreated('owner1', 'enterprise'), past.memberAdded('m', 'member'), past.memberAdded('b', 'billing')])
      .when(cmd('ChangePlan', 'owner1', { plan: 'pro' }))
      .then([
        { type: 'TeamPlanChanged', data: { ...now('owner1'), before: { plan: 'enterprise' }, after: { plan: 'pro' } } },
      ]);
  });

  it('only the owner changes the plan (team.plan.manage)', () => {
    given(proTeam())
      .when(cmd('ChangePlan', 'member1', { plan: 'enterprise' }))
      .thenRejects({ kind: 'forbidden', permission: 'team.plan.manage' });
  });
});
