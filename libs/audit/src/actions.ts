import type { TeamEvent, TeamEventType } from '@access-audit/domain';
import type { AuditTarget } from './entry';

type EventOf<T extends TeamEventType> = Extract<TeamEvent, { type: T }>;

interface ActionSpec<E extends TeamEvent> {
  /** Stable dotted name; never rename one (exports and saved queries filter on it). */
  action: string;
  target: (data: E['data']) => AuditTarget;
  /** The state an event without before/after fields creates. */
  after?: (data: E['data']) => unknown;
}

const security = (setting: string) => (data: { projectId: string }) => ({ projectId: data.projectId, setting });

/** Every team event type and the audit action it is recorded as. A new event type fails to compile until it has one. */
export const teamEventActions: { readonly [T in TeamEventType]: ActionSpec<EventOf<T>> } = {
  TeamCreated: {
    action: 'team.created',
    target: (d) => ({ userId: d.ownerId }),
    after: (d) => ({ name: d.name, plan: d.plan, owner: d.ownerId }),
  },
  TeamRenamed: { action: 'team.name.updated', target: () => ({ setting: 'name' }) },
  TeamPlanChanged: { action: 'team.plan.updated', target: () => ({ setting: 'plan' }) },
  MemberAdded: { action: 'team.member.added', target: (d) => ({ userId: d.userId }) },
  TeamRoleChanged: { action: 'team.member.role.updated', target: (d) => ({ userId: d.userId }) },
  MemberRemoved: { action: 'team.member.removed', target: (d) => ({ userId: d.userId }) },
  PermissionGroupGranted: {
    action: 'team.member.permission_group.granted',
    target: (d) => ({ userId: d.userId, setting: `permissionGroups.${d.group}` }),
  },
  PermissionGroupRevoked: {
    action: 'team.member.permission_group.revoked',
    target: (d) => ({ userId: d.userId, setting: `permissionGroups.${d.group}` }),
  },
  ProjectCreated: {
    action: 'project.created',
    target: (d) => ({ projectId: d.projectId }),
    after: (d) => ({ name: d.name, security: d.security }),
  },
  ProjectDeleted: { action: 'project.deleted', target: (d) => ({ projectId: d.projectId }) },
  ProjectRoleAssigned: {
    action: 'project.member.role.assigned',
    target: (d) => ({ userId: d.userId, projectId: d.projectId }),
  },
  ProjectRoleRevoked: {
    action: 'project.member.role.revoked',
    target: (d) => ({ userId: d.userId, projectId: d.projectId }),
  },
  FirewallChanged: { action: 'project.security.firewall.updated', target: security('firewall') },
  IpBlockAdded: { action: 'project.security.ip_block.added', target: security('ipBlocks') },
  IpBlockRemoved: { action: 'project.security.ip_block.removed', target: security('ipBlocks') },
  RateLimitRuleSet: { action: 'project.security.rate_limit_rule.set', target: security('rateLimitRules') },
  RateLimitRuleRemoved: { action: 'project.security.rate_limit_rule.removed', target: security('rateLimitRules') },
  VercelAuthenticationChanged: {
    action: 'project.security.vercel_authentication.updated',
    target: security('deploymentProtection.vercelAuthentication'),
  },
  PasswordProtectionChanged: {
    action: 'project.security.password_protection.updated',
    target: security('deploymentProtection.passwordProtection'),
  },
  PasswordRotated: {
    action: 'project.security.password_protection.rotated',
    target: security('deploymentProtection.passwordProtection'),
  },
  BypassTokenRecorded: {
    action: 'project.security.bypass_token.created',
    target: security('deploymentProtection.bypassTokens'),
  },
  BypassTokenRevoked: {
    action: 'project.security.bypass_token.revoked',
    target: security('deploymentProtection.bypassTokens'),
  }, // The token's hash stays out of the entry: before/after name the directory only.
  DirectoryConnected: { action: 'team.directory_sync.connected', target: () => ({ setting: 'directorySync' }) },
  DirectoryTokenRotated: {
    action: 'team.directory_sync.token_rotated',
    target: () => ({ setting: 'directorySync.token' }),
  },
  DirectoryRoleMappingsSet: {
    action: 'team.directory_sync.role_mappings_set',
    target: () => ({ setting: 'directorySync.roleMappings' }),
  },
  DirectoryDisconnected: { action: 'team.directory_sync.disconnected', target: () => ({ setting: 'directorySync' }) },
  // The drain's signing secret never reaches the event: before/after name its id, URL and description only.
  AuditDrainAdded: { action: 'team.audit_drain.added', target: () => ({ setting: 'auditDrains' }) },
  AuditDrainRemoved: { action: 'team.audit_drain.removed', target: () => ({ setting: 'auditDrains' }) },
  AuditDrainResumed: { action: 'team.audit_drain.resumed', target: () => ({ setting: 'auditDrains' }) },
  SubjectErased: { action: 'privacy.subject.erased', target: (d) => ({ userId: d.userId }) },
};

/** What an access event changed, in audit terms. */
export interface AccessChange {
  action: string;
  target: AuditTarget;
  before: unknown;
  after: unknown;
  cause: unknown;
}

const field = (data: object, name: string): unknown =>
  name in data ? ((data as Record<string, unknown>)[name] ?? null) : null;

/** The audit view of one team event. */
export function describeTeamEvent(event: TeamEvent): AccessChange {
  const spec = teamEventActions[event.type] as ActionSpec<TeamEvent>;
  return {
    action: spec.action,
    target: spec.target(event.data),
    before: field(event.data, 'before'),
    after: spec.after ? spec.after(event.data) : field(event.data, 'after'),
    cause: field(event.data, 'cause'),
  };
}

export const isTeamEventType = (type: string): type is TeamEventType => Object.hasOwn(teamEventActions, type);
