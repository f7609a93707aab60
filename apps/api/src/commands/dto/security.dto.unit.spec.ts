import { securityChangesOf } from './security.dto';

describe('PATCH security body → ChangeProjectSecurity changes', () => {
  it('lists the changes in the order API.md documents the body, whatever order the JSON had', () => {
    const changes = securityChangesOf({
      deploymentProtection: { passwordProtection: { enabled: true, rotated: true }, vercelAuthentication: 'all' },
      rateLimitRules: { remove: ['old'], set: [{ id: 'new', path: '/api', limit: 10, windowSeconds: 60 }] },
      ipBlocks: { remove: ['198.51.100.0/24'], add: ['203.0.113.0/24', '2001:db8::/32'] },
      firewall: { enabled: true },
    });
    expect(changes).toEqual([
      { setting: 'firewall', enabled: true },
      { setting: 'ipBlock.add', cidr: '203.0.113.0/24' },
      { setting: 'ipBlock.add', cidr: '2001:db8::/32' },
      { setting: 'ipBlock.remove', cidr: '198.51.100.0/24' },
      { setting: 'rateLimitRule.set', rule: { id: 'new', path: '/api', limit: 10, windowSeconds: 60 } },
      { setting: 'rateLimitRule.remove', ruleId: 'old' },
      { setting: 'vercelAuthentication', scope: 'all' },
      { setting: 'passwordProtection', enabled: true },
      { setting: 'passwordProtection.rotate' },
    ]);
  });

  it('records a rotation only when rotated is true', () => {
    expect(
      securityChangesOf({ deploymentProtection: { passwordProtection: { enabled: false, rotated: false } } }),
    ).toEqual([{ setting: 'passwordProtection', enabled: false }]);
  });

  it('an empty body changes nothing', () => {
    expect(securityChangesOf({})).toEqual([]);
  });
});
