import { teamEventTypes, type TeamEvent } from '@access-audit/domain';
import { describeTeamEvent, teamEventActions } from './actions';

describe('audit actions', () => {
  it('names an action for every team event type of the domain', () => {
    const missing = teamEventTypes.filter((type) => teamEventActions[type]?.action === undefined);
    expect(missing).toEqual([]);
    expect(Object.keys(teamEventActions).sort()).toEqual([...teamEventTypes].sort());
  });

  it('gives each event type its own stable dotted name', () => {
    const actions = teamEventTypes.map((type) => teamEventActions[type].action);
    expect(new Set(actions).size).toBe(actions.length);
    for (const action of actions) expect(action).toMatch(/^[a-z_]+(\.[a-z_]+)+$/);
  });

  it.each([
    ['MemberAdded', 'team.member.added'],
    ['TeamRoleChanged', 'team.member.role.updated'],
    ['ProjectRoleAssigned', 'project.member.role.assigned'],
    ['FirewallChanged', 'project.security.firewall.updated'],
  ] as const)('records %s as %s', (type, action) => {
    expect(teamEventActions[type].action).toBe(action);
  });

  const base = { teamId: 't', actorId: 'alice', occurredAt: '2026-03-01T10:00:00.000Z', policyVersion: 'p' };

  it('takes target, before and after from the event', () => {
    const event: TeamEvent = {
      type: 'TeamRoleChanged',
      data: { ...base, userId: 'bob', before: { role: 'member' }, after: { role: 'owner' }, reason: 'promotion' },
    };
    expect(describeTeamEvent(event)).toEqual({
      action: 'team.member.role.updated',
      target: { userId: 'bob' },
      before: { role: 'member' },
      after: { role: 'owner' },
      cause: null,
    });
  });

  it('names the setting of a security change and keeps a cascade cause', () => {
    const firewall: TeamEvent = {
      type: 'FirewallChanged',
      data: { ...base, projectId: 'web', before: { enabled: false }, after: { enabled: true } },
    };
    expect(describeTeamEvent(firewall).target).toEqual({ projectId: 'web', setting: 'firewall' });
    const cascade: TeamEvent = {
      type: 'ProjectRoleRevoked',
      data: {
        ...base,
        projectId: 'web',
        userId: 'carol',
        before: { role: 'project_admin' },
        after: null,
        cause: { type: 'MemberRemoved', userId: 'carol' },
      },
    };
    expect(describeTeamEvent(cascade)).toMatchObject({
      after: null,
      cause: { type: 'MemberRemoved', userId: 'carol' },
    });
  });

  it('records what a creation made as its after state', () => {
    const created: TeamEvent = { type: 'TeamCreated', data: { ...base, name: 'Acme', plan: 'pro', ownerId: 'alice' } };
    expect(describeTeamEvent(created)).toMatchObject({
      action: 'team.created',
      target: { userId: 'alice' },
      before: null,
      after: { name: 'Acme', plan: 'pro', owner: 'alice' },
    });
  });
});
