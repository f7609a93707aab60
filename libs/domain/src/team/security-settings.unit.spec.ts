import type { SecurityChange } from './commands';
import { canonicalCidr } from './cidr';
import { cmd, enterpriseTeam, given, now, past } from '../testing/team-spec';

const change = (actor: string, ...changes: SecurityChange[]) =>
  cmd('ChangeProjectSecurity', actor, { projectId: 'web', changes });

describe('POLICY.md "Security settings": who may change them', () => {
  it('the security role changes the firewall on every project (team.security.manage → project.firewall.manage)', () => {
    given(enterpriseTeam())
      .when(change('sec1', { setting: 'firewall', enabled: true }))
      .then([
        {
          type: 'FirewallChanged',
          data: { ...now('sec1'), projectId: 'web', before: { enabled: false }, after: { enabled: true } },
        },
      ]);
  });

  it('a developer may not change the firewall (project.firewall.manage: project_admin only)', () => {
    given(enterpriseTeam())
      .when(change('dev1', { setting: 'firewall', enabled: true }))
      .thenRejects({ kind: 'forbidden', permission: 'project.firewall.manage', projectId: 'web' });
  });

  it('a developer with deployment_protection_manager changes deployment protection but not the firewall', () => {
    const history = [...enterpriseTeam(), past.groupGranted('dev1', 'deployment_protection_manager')];
    given(history)
      .when(change('dev1', { setting: 'vercelAuthentication', scope: 'all' }))
      .thenAccepts();
    given(history)
      .when(
        change(
          'dev1',
          { setting: 'vercelAuthentication', scope: 'all' },
          { setting: 'ipBlock.add', cidr: '10.0.0.0/8' },
        ),
      )
      .thenRejects({ kind: 'forbidden', permission: 'project.firewall.manage' });
  });

  it('a member, as project administrator, administers security settings (AR: "for their assigned projects")', () => {
    given(enterpriseTeam())
      .when(change('member1', { setting: 'passwordProtection', enabled: true }))
      .thenAccepts();
  });

  it('a contributor with project_admin on the project may change it; with project_developer may not', () => {
    given([...enterpriseTeam(), past.projectRoleAssigned('web', 'contrib1', 'project_admin')])
      .when(change('contrib1', { setting: 'firewall', enabled: true }))
      .thenAccepts();
    given([...enterpriseTeam(), past.projectRoleAssigned('web', 'contrib1', 'project_developer')])
      .when(change('contrib1', { setting: 'firewall', enabled: true }))
      .thenRejects({ kind: 'forbidden', permission: 'project.firewall.manage' });
  });

  it('an empty change list changes nothing, yet still needs project.view: an outsider is refused, a member accepted', () => {
    given(enterpriseTeam()).when(change('outsider')).thenRejects({
      kind: 'forbidden',
      permission: 'project.view',
      projectId: 'web',
    });
    given(enterpriseTeam()).when(change('contrib1')).thenRejects({ kind: 'forbidden', permission: 'project.view' });
    expect(given(enterpriseTeam()).when(change('dev1')).thenAccepts()).toEqual([]);
  });

  it.each(['bill1', 'viewer1'])('%s may not change deployment protection', (actor) => {
    given(enterpriseTeam())
      .when(change(actor, { setting: 'passwordProtection', enabled: true }))
      .thenRejects({ kind: 'forbidden', permission: 'project.protection.manage' });
  });
});

describe('POLICY.md "Security settings": one event per changed setting with before and after', () => {
  it('applies a batch in order, all events named, only for settings that change', () => {
    given(enterpriseTeam())
      .when(
        change(
          'owner1',
          { setting: 'firewall', enabled: false },
          { setting: 'ipBlock.add', cidr: '203.0.113.7/24' },
          { setting: 'ipBlock.add', cidr: '2001:DB8::1/32' },
          { setting: 'rateLimitRule.set', rule: { id: 'login', path: '/api/login', limit: 10, windowSeconds: 60 } },
          { setting: 'vercelAuthentication', scope: 'all' },
          { setting: 'passwordProtection', enabled: true },
          { setting: 'passwordProtection.rotate' },
          { setting: 'bypassToken.record', tokenId: 'tok_1', fingerprint: 'sha256:ab12' },
        ),
      )
      .then([
        {
          type: 'IpBlockAdded',
          data: {
            ...now('owner1'),
            projectId: 'web',
            cidr: '203.0.113.0/24',
            before: null,
            after: { cidr: '203.0.113.0/24' },
          },
        },
        {
          type: 'IpBlockAdded',
          data: {
            ...now('owner1'),
            projectId: 'web',
            cidr: '2001:db8::/32',
            before: null,
            after: { cidr: '2001:db8::/32' },
          },
        },
        {
          type: 'RateLimitRuleSet',
          data: {
            ...now('owner1'),
            projectId: 'web',
            ruleId: 'login',
            before: null,
            after: { id: 'login', path: '/api/login', limit: 10, windowSeconds: 60 },
          },
        },
        {
          type: 'VercelAuthenticationChanged',
          data: { ...now('owner1'), projectId: 'web', before: { scope: 'preview' }, after: { scope: 'all' } },
        },
        {
          type: 'PasswordProtectionChanged',
          data: { ...now('owner1'), projectId: 'web', before: { enabled: false }, after: { enabled: true } },
        },
        {
          type: 'PasswordRotated',
          data: {
            ...now('owner1'),
            projectId: 'web',
            before: { rotatedAt: null },
            after: { rotatedAt: '2026-03-03T10:00:00.000Z' },
          },
        },
        {
          type: 'BypassTokenRecorded',
          data: {
            ...now('owner1'),
            projectId: 'web',
            tokenId: 'tok_1',
            fingerprint: 'sha256:ab12',
            before: null,
            after: { tokenId: 'tok_1', fingerprint: 'sha256:ab12' },
          },
        },
      ]);
  });

  it('a batch is all or nothing: one invalid CIDR refuses the whole change (400 with the field)', () => {
    given(enterpriseTeam())
      .when(change('owner1', { setting: 'firewall', enabled: true }, { setting: 'ipBlock.add', cidr: '10.0.0.300/8' }))
      .thenRejects({ kind: 'invalid', field: 'ipBlocks.add[0]', rule: 'security.ip-block.valid-cidr' });
  });

  it('a refused value is named by its index in its own list of the request body (ipBlocks.add[i], rateLimitRules.set[i])', () => {
    given(enterpriseTeam())
      .when(
        change(
          'owner1',
          { setting: 'firewall', enabled: true },
          { setting: 'ipBlock.add', cidr: '10.0.0.0/8' },
          { setting: 'ipBlock.add', cidr: 'not-a-cidr' },
        ),
      )
      .thenRejects({ kind: 'invalid', field: 'ipBlocks.add[1]', rule: 'security.ip-block.valid-cidr' });
    given(enterpriseTeam())
      .when(
        change(
          'owner1',
          { setting: 'firewall', enabled: true },
          { setting: 'rateLimitRule.set', rule: { id: 'a', path: '/a', limit: 1, windowSeconds: 60 } },
          { setting: 'rateLimitRule.set', rule: { id: 'b', path: '/b', limit: 1, windowSeconds: 0 } },
        ),
      )
      .thenRejects({
        kind: 'invalid',
        field: 'rateLimitRules.set[1].windowSeconds',
        rule: 'security.rate-limit.valid',
      });
  });

  it('removing an IP block or rule or token that is absent is 404 with the rule', () => {
    given(enterpriseTeam())
      .when(change('owner1', { setting: 'ipBlock.remove', cidr: '10.0.0.0/8' }))
      .thenRejects({ kind: 'not_found', rule: 'security.ip-block.present' });
    given(enterpriseTeam())
      .when(change('owner1', { setting: 'rateLimitRule.remove', ruleId: 'x' }))
      .thenRejects({ kind: 'not_found', rule: 'security.rate-limit.present' });
    given(enterpriseTeam())
      .when(change('owner1', { setting: 'bypassToken.revoke', tokenId: 'x' }))
      .thenRejects({ kind: 'not_found', rule: 'security.bypass-token.present' });
  });

  it('rotating a password while protection is off is refused', () => {
    given(enterpriseTeam())
      .when(change('owner1', { setting: 'passwordProtection.rotate' }))
      .thenRejects({ kind: 'policy', rule: 'security.password-protection.enabled' });
  });

  it('a bypass token id is recorded once; revocation keeps only id and fingerprint', () => {
    const recorded = given(enterpriseTeam())
      .when(change('owner1', { setting: 'bypassToken.record', tokenId: 't1', fingerprint: 'fp' }))
      .thenAccepts();
    given([...enterpriseTeam(), ...recorded])
      .when(change('owner1', { setting: 'bypassToken.record', tokenId: 't1' }))
      .thenRejects({ kind: 'policy', rule: 'security.bypass-token.absent' });
    given([...enterpriseTeam(), ...recorded])
      .when(change('owner1', { setting: 'bypassToken.revoke', tokenId: 't1' }))
      .then([
        {
          type: 'BypassTokenRevoked',
          data: {
            ...now('owner1'),
            projectId: 'web',
            tokenId: 't1',
            before: { tokenId: 't1', fingerprint: 'fp' },
            after: null,
          },
        },
      ]);
  });

  it('rate-limit rules are validated', () => {
    given(enterpriseTeam())
      .when(
        change('owner1', {
          setting: 'rateLimitRule.set',
          rule: { id: 'r', path: 'nope', limit: 1, windowSeconds: 60 },
        }),
      )
      .thenRejects({ kind: 'invalid', field: 'rateLimitRules.set[0].path', rule: 'security.rate-limit.valid' });
    given(enterpriseTeam())
      .when(
        change('owner1', { setting: 'rateLimitRule.set', rule: { id: 'r', path: '/x', limit: 0, windowSeconds: 60 } }),
      )
      .thenRejects({ kind: 'invalid', field: 'rateLimitRules.set[0].limit' });
  });

  it('no secret value can enter an event: the commands carry no password or token value (POLICY.md "No secret value ever enters an event")', () => {
    const events = given(enterpriseTeam())
      .when(
        change('owner1', { setting: 'passwordProtection', enabled: true }, { setting: 'passwordProtection.rotate' }),
      )
      .thenAccepts();
    for (const event of events) expect(Object.keys(event.data)).not.toEqual(expect.arrayContaining(['password']));
  });
});

describe('CIDR validation (IPv4 and IPv6)', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['192.168.1.77/24', '192.168.1.0/24'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['203.0.113.9/32', '203.0.113.9/32'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['2001:0DB8:0000::1/48', '2001:db8::/48'],
    ['::1/128', '::1/128'],
    ['fe80::/10', 'fe80::/10'],
  ])('%s is valid, canonical %s', (input, canonical) => {
    expect(canonicalCidr(input)).toBe(canonical);
  });

  it.each([
    '10.0.0.0',
    '10.0.0.0/33',
    '10.0.0/8',
    '256.1.1.1/8',
    '1.2.3.4/-1',
    '2001:db8::/129',
    '2001:db8:::1/64',
    'hello/8',
    '',
    '10.0.0.0/8/8',
  ])('%s is refused', (input) => {
    expect(canonicalCidr(input)).toBeUndefined();
  });
});
