import { ruleIds, type Permission } from '../../policy/policy';
import { canonicalCidr } from '../cidr';
import type { ChangeProjectSecurity, SecurityChange } from '../commands';
import type { ProjectSecurity, TeamEvent } from '../events';
import type { Decision } from '../rejection';
import { assertNever, evolve, type ActiveTeam, type TeamState } from '../state';
import { accept, baseOf, reject, type CommandEntries } from './support';

const firewallSettings: ReadonlySet<SecurityChange['setting']> = new Set([
  'firewall',
  'ipBlock.add',
  'ipBlock.remove',
  'rateLimitRule.set',
  'rateLimitRule.remove',
]);

export const permissionForSecurityChange = (change: SecurityChange): Permission =>
  firewallSettings.has(change.setting) ? 'project.firewall.manage' : 'project.protection.manage';

function decideSecurityChange(
  command: ChangeProjectSecurity,
  security: ProjectSecurity,
  change: SecurityChange,
  index: number,
): Decision<TeamEvent> {
  const base = { ...baseOf(command), projectId: command.data.projectId };
  const protection = security.deploymentProtection;
  switch (change.setting) {
    case 'firewall':
      if (security.firewall.enabled === change.enabled) return accept();
      return accept({
        type: 'FirewallChanged',
        data: { ...base, before: { enabled: security.firewall.enabled }, after: { enabled: change.enabled } },
      });
    case 'ipBlock.add': {
      const cidr = canonicalCidr(change.cidr);
      if (!cidr) {
        return reject({
          kind: 'invalid',
          field: `ipBlocks.add[${index}]`,
          rule: ruleIds.ipBlockValidCidr,
          message: `${JSON.stringify(change.cidr.slice(0, 64))} is not an IPv4 or IPv6 CIDR (e.g. 203.0.113.0/24, 2001:db8::/32)`,
        });
      }
      if (security.ipBlocks.includes(cidr)) return accept();
      return accept({ type: 'IpBlockAdded', data: { ...base, cidr, before: null, after: { cidr } } });
    }
    case 'ipBlock.remove': {
      const cidr = canonicalCidr(change.cidr) ?? change.cidr;
      if (!security.ipBlocks.includes(cidr)) {
        return reject({
          kind: 'not_found',
          rule: ruleIds.ipBlockPresent,
          message: `no IP block ${cidr} on this project`,
        });
      }
      return accept({ type: 'IpBlockRemoved', data: { ...base, cidr, before: { cidr }, after: null } });
    }
    case 'rateLimitRule.set': {
      const rule = change.rule;
      const invalid = rateLimitRuleProblem(rule);
      if (invalid) {
        return reject({
          kind: 'invalid',
          field: `rateLimitRules.set[${index}].${invalid.field}`,
          rule: ruleIds.rateLimitValid,
          message: invalid.message,
        });
      }
      const before = security.rateLimitRules.find((r) => r.id === rule.id) ?? null;
      if (
        before &&
        before.path === rule.path &&
        before.limit === rule.limit &&
        before.windowSeconds === rule.windowSeconds
      ) {
        return accept();
      }
      const after = { id: rule.id, path: rule.path, limit: rule.limit, windowSeconds: rule.windowSeconds };
      return accept({ type: 'RateLimitRuleSet', data: { ...base, ruleId: rule.id, before, after } });
    }
    case 'rateLimitRule.remove': {
      const before = security.rateLimitRules.find((r) => r.id === change.ruleId);
      if (!before) {
        return reject({
          kind: 'not_found',
          rule: ruleIds.rateLimitPresent,
          message: `no rate-limit rule ${change.ruleId}`,
        });
      }
      return accept({ type: 'RateLimitRuleRemoved', data: { ...base, ruleId: change.ruleId, before, after: null } });
    }
    case 'vercelAuthentication':
      if (protection.vercelAuthentication === change.scope) return accept();
      return accept({
        type: 'VercelAuthenticationChanged',
        data: { ...base, before: { scope: protection.vercelAuthentication }, after: { scope: change.scope } },
      });
    case 'passwordProtection':
      if (protection.passwordProtection.enabled === change.enabled) return accept();
      return accept({
        type: 'PasswordProtectionChanged',
        data: {
          ...base,
          before: { enabled: protection.passwordProtection.enabled },
          after: { enabled: change.enabled },
        },
      });
    case 'passwordProtection.rotate':
      if (!protection.passwordProtection.enabled) {
        return reject({
          kind: 'policy',
          rule: ruleIds.passwordProtectionEnabled,
          message: 'password protection is off; there is no password to rotate',
        });
      }
      return accept({
        type: 'PasswordRotated',
        data: {
          ...base,
          before: { rotatedAt: protection.passwordProtection.rotatedAt ?? null },
          after: { rotatedAt: command.metadata.now },
        },
      });
    case 'bypassToken.record': {
      if (protection.bypassTokens.some((t) => t.tokenId === change.tokenId)) {
        return reject({
          kind: 'policy',
          rule: ruleIds.bypassTokenAbsent,
          message: `bypass token ${change.tokenId} is already recorded`,
        });
      }
      const fingerprint = change.fingerprint !== undefined ? { fingerprint: change.fingerprint } : {};
      return accept({
        type: 'BypassTokenRecorded',
        data: {
          ...base,
          tokenId: change.tokenId,
          ...fingerprint,
          ...(change.note !== undefined ? { note: change.note } : {}),
          before: null,
          after: { tokenId: change.tokenId, ...fingerprint },
        },
      });
    }
    case 'bypassToken.revoke': {
      const token = protection.bypassTokens.find((t) => t.tokenId === change.tokenId);
      if (!token) {
        return reject({
          kind: 'not_found',
          rule: ruleIds.bypassTokenPresent,
          message: `no bypass token ${change.tokenId}`,
        });
      }
      const fingerprint = token.fingerprint !== undefined ? { fingerprint: token.fingerprint } : {};
      return accept({
        type: 'BypassTokenRevoked',
        data: { ...base, tokenId: change.tokenId, before: { tokenId: change.tokenId, ...fingerprint }, after: null },
      });
    }
    default:
      return assertNever(change);
  }
}

function rateLimitRuleProblem(rule: { id: string; path: string; limit: number; windowSeconds: number }) {
  if (!rule.id) return { field: 'id', message: 'a rate-limit rule needs an id' };
  if (!rule.path.startsWith('/')) return { field: 'path', message: 'the path pattern must start with /' };
  if (!Number.isInteger(rule.limit) || rule.limit < 1)
    return { field: 'limit', message: 'limit must be a positive integer' };
  if (!Number.isInteger(rule.windowSeconds) || rule.windowSeconds < 1 || rule.windowSeconds > 86_400) {
    return { field: 'windowSeconds', message: 'windowSeconds must be an integer from 1 to 86400' };
  }
  return undefined;
}

/** Applies the changes in order, all or nothing: one event per setting that actually changes. */
function changeProjectSecurity(command: ChangeProjectSecurity, team: ActiveTeam): Decision<TeamEvent> {
  const events: TeamEvent[] = [];
  let state: TeamState = team;
  // A refused value is named by its place in its own list of the request body (`ipBlocks.add[0]`), not in `changes`.
  const perSetting = new Map<SecurityChange['setting'], number>();
  for (const change of command.data.changes) {
    const index = perSetting.get(change.setting) ?? 0;
    perSetting.set(change.setting, index + 1);
    const project = (state as ActiveTeam).projects.get(command.data.projectId)!;
    const decision = decideSecurityChange(command, project.security, change, index);
    if (!decision.ok) return decision;
    events.push(...decision.events);
    state = decision.events.reduce(evolve, state);
  }
  return accept(...events);
}

/** Project security settings (POLICY.md "Project security settings"). */
export const projectSecurityCommands: CommandEntries<'ChangeProjectSecurity'> = {
  ChangeProjectSecurity: {
    requires: (command) => {
      // Nothing to change still needs someone who sees the project: an outsider's empty request is refused, not a 200.
      if (command.data.changes.length === 0) return [{ permission: 'project.view', projectId: command.data.projectId }];
      const needed = new Set(command.data.changes.map(permissionForSecurityChange));
      return [...needed].sort().map((permission) => ({ permission, projectId: command.data.projectId }));
    },
    project: (command) => command.data.projectId,
    decide: changeProjectSecurity,
  },
};
