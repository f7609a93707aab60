import type { PermissionGroup, Plan, ProjectRole, TeamRole, VercelAuthenticationScope } from '../policy/policy';

/** A personal text recorded in clear before sealing existed (schema version 1), as the decode's upcaster reads it. */
export interface LegacyClearText {
  // A number tag, as `$sealed: 1`: no map of ids to strings (project roles, say) can be mistaken for one.
  readonly $clear: 1;
  readonly text: string;
}

/**
 * A personal free-text field: the domain decides on plaintext; the application layer seals it (libs/privacy
 * `SealedValue`) just before append; a decoded event holds a sealed value or, if recorded before sealing, a legacy clear one.
 */
export type PersonalText = string | { readonly $sealed: 1 } | LegacyClearText;

export const isLegacyClearText = (value: unknown): value is LegacyClearText =>
  typeof value === 'object' &&
  value !== null &&
  (value as { $clear?: unknown }).$clear === 1 &&
  typeof (value as { text?: unknown }).text === 'string';

/** What a store derived from events (audit entry, read model) holds for a personal text: legacy clear as its string. */
export function storedPersonalText<T>(value: T): Exclude<T, LegacyClearText> | string {
  return isLegacyClearText(value) ? value.text : (value as Exclude<T, LegacyClearText>);
}

/** Fields every team event carries. Time and actor arrive with the command; the domain never reads a clock. */
export interface TeamEventBase {
  teamId: string;
  actorId: string;
  occurredAt: string;
  reason?: PersonalText;
  policyVersion: string;
}

/** Why a cascaded event happened: the event type (and subject) that caused it. */
export type CascadeCause =
  | { type: 'TeamRoleChanged'; userId: string; from: TeamRole; to: TeamRole }
  | { type: 'MemberRemoved'; userId: string }
  | { type: 'ProjectDeleted'; projectId: string };

export interface RateLimitRule {
  id: string;
  path: string;
  limit: number;
  windowSeconds: number;
}

export interface BypassToken {
  tokenId: string;
  fingerprint?: string;
  note?: PersonalText;
  recordedAt: string;
  recordedBy: string;
}

export interface ProjectSecurity {
  firewall: { enabled: boolean };
  ipBlocks: string[];
  rateLimitRules: RateLimitRule[];
  deploymentProtection: {
    vercelAuthentication: VercelAuthenticationScope;
    passwordProtection: { enabled: boolean; rotatedAt?: string };
    bypassTokens: BypassToken[];
  };
}

type Ev<T extends string, D> = { type: T; data: TeamEventBase & D };

export type TeamCreated = Ev<'TeamCreated', { name: string; plan: Plan; ownerId: string }>;
export type TeamRenamed = Ev<'TeamRenamed', { before: { name: string }; after: { name: string } }>;
export type TeamPlanChanged = Ev<'TeamPlanChanged', { before: { plan: Plan }; after: { plan: Plan } }>;
export type MemberAdded = Ev<'MemberAdded', { userId: string; before: null; after: { role: TeamRole } }>;
export type TeamRoleChanged = Ev<
  'TeamRoleChanged',
  { userId: string; before: { role: TeamRole }; after: { role: TeamRole } }
>;
export type MemberRemoved = Ev<
  'MemberRemoved',
  {
    userId: string;
    before: { role: TeamRole; permissionGroups: PermissionGroup[]; projectRoles: Record<string, ProjectRole> };
    after: null;
  }
>;
export type PermissionGroupGranted = Ev<
  'PermissionGroupGranted',
  { userId: string; group: PermissionGroup; before: null; after: { group: PermissionGroup } }
>;
export type PermissionGroupRevoked = Ev<
  'PermissionGroupRevoked',
  { userId: string; group: PermissionGroup; before: { group: PermissionGroup }; after: null; cause?: CascadeCause }
>;
export type ProjectCreated = Ev<'ProjectCreated', { projectId: string; name: string; security: ProjectSecurity }>;
export type ProjectDeleted = Ev<'ProjectDeleted', { projectId: string; before: { name: string }; after: null }>;
export type ProjectRoleAssigned = Ev<
  'ProjectRoleAssigned',
  { projectId: string; userId: string; before: { role: ProjectRole } | null; after: { role: ProjectRole } }
>;
export type ProjectRoleRevoked = Ev<
  'ProjectRoleRevoked',
  { projectId: string; userId: string; before: { role: ProjectRole }; after: null; cause?: CascadeCause }
>;
export type FirewallChanged = Ev<
  'FirewallChanged',
  { projectId: string; before: { enabled: boolean }; after: { enabled: boolean } }
>;
export type IpBlockAdded = Ev<
  'IpBlockAdded',
  { projectId: string; cidr: string; before: null; after: { cidr: string } }
>;
export type IpBlockRemoved = Ev<
  'IpBlockRemoved',
  { projectId: string; cidr: string; before: { cidr: string }; after: null }
>;
export type RateLimitRuleSet = Ev<
  'RateLimitRuleSet',
  { projectId: string; ruleId: string; before: RateLimitRule | null; after: RateLimitRule }
>;
export type RateLimitRuleRemoved = Ev<
  'RateLimitRuleRemoved',
  { projectId: string; ruleId: string; before: RateLimitRule; after: null }
>;
export type VercelAuthenticationChanged = Ev<
  'VercelAuthenticationChanged',
  { projectId: string; before: { scope: VercelAuthenticationScope }; after: { scope: VercelAuthenticationScope } }
>;
export type PasswordProtectionChanged = Ev<
  'PasswordProtectionChanged',
  { projectId: string; before: { enabled: boolean }; after: { enabled: boolean } }
>;
/** The password itself is never recorded: only that it was replaced. */
export type PasswordRotated = Ev<
  'PasswordRotated',
  { projectId: string; before: { rotatedAt: string | null }; after: { rotatedAt: string } }
>;
export type BypassTokenRecorded = Ev<
  'BypassTokenRecorded',
  {
    projectId: string;
    tokenId: string;
    fingerprint?: string;
    note?: PersonalText;
    before: null;
    after: { tokenId: string; fingerprint?: string };
  }
>;
export type BypassTokenRevoked = Ev<
  'BypassTokenRevoked',
  { projectId: string; tokenId: string; before: { tokenId: string; fingerprint?: string }; after: null }
>;

/** The team's identity-provider connection as the audit log shows it (the token's hash is kept apart). */
export interface DirectoryRef {
  directoryId: string;
  name: string;
}
export type DirectoryConnected = Ev<
  'DirectoryConnected',
  { directoryId: string; tokenHash: string; before: null; after: DirectoryRef }
>;
export type DirectoryTokenRotated = Ev<
  'DirectoryTokenRotated',
  { directoryId: string; tokenHash: string; before: DirectoryRef; after: DirectoryRef }
>;
/** A directory group (displayName or externalId) → a team role and/or permission groups, as the owner set it. */
export interface DirectoryRoleMappingRef {
  group: string;
  role?: TeamRole;
  permissionGroups?: PermissionGroup[];
}
export type DirectoryRoleMappingsSet = Ev<
  'DirectoryRoleMappingsSet',
  {
    directoryId: string;
    before: { mappings: DirectoryRoleMappingRef[] };
    after: { mappings: DirectoryRoleMappingRef[] };
  }
>;
export type DirectoryDisconnected = Ev<
  'DirectoryDisconnected',
  { directoryId: string; before: DirectoryRef; after: null }
>;

/** An audit drain as the log shows it: where entries go. Its signing secret is kept apart, encrypted (never in the log). */
export interface AuditDrainRef {
  drainId: string;
  url: string;
  description?: string;
}
export type AuditDrainAdded = Ev<'AuditDrainAdded', { drainId: string; before: null; after: AuditDrainRef }>;
export type AuditDrainRemoved = Ev<'AuditDrainRemoved', { drainId: string; before: AuditDrainRef; after: null }>;
/** A paused drain is asked to deliver again, from where it stopped (delivery state lives beside the log, not in it). */
export type AuditDrainResumed = Ev<
  'AuditDrainResumed',
  { drainId: string; before: AuditDrainRef; after: AuditDrainRef }
>;
/**
 * A subject's personal data was erased (their keys destroyed): recorded in every team they belonged to, by the operator
 * who erased it. It changes no access; who granted what to whom stays provable by id.
 */
export type SubjectErased = Ev<'SubjectErased', { userId: string; before: null; after: { erased: true } }>;

export type TeamEvent =
  | TeamCreated
  | TeamRenamed
  | TeamPlanChanged
  | MemberAdded
  | TeamRoleChanged
  | MemberRemoved
  | PermissionGroupGranted
  | PermissionGroupRevoked
  | ProjectCreated
  | ProjectDeleted
  | ProjectRoleAssigned
  | ProjectRoleRevoked
  | FirewallChanged
  | IpBlockAdded
  | IpBlockRemoved
  | RateLimitRuleSet
  | RateLimitRuleRemoved
  | VercelAuthenticationChanged
  | PasswordProtectionChanged
  | PasswordRotated
  | BypassTokenRecorded
  | BypassTokenRevoked
  | DirectoryConnected
  | DirectoryTokenRotated
  | DirectoryRoleMappingsSet
  | DirectoryDisconnected
  | AuditDrainAdded
  | AuditDrainRemoved
  | AuditDrainResumed
  | SubjectErased;

export type TeamEventType = TeamEvent['type'];

/** One key per event type: a type missing from (or unknown to) the union does not compile. */
const teamEventTypeSet: { readonly [T in TeamEventType]: true } = {
  TeamCreated: true,
  TeamRenamed: true,
  TeamPlanChanged: true,
  MemberAdded: true,
  TeamRoleChanged: true,
  MemberRemoved: true,
  PermissionGroupGranted: true,
  PermissionGroupRevoked: true,
  ProjectCreated: true,
  ProjectDeleted: true,
  ProjectRoleAssigned: true,
  ProjectRoleRevoked: true,
  FirewallChanged: true,
  IpBlockAdded: true,
  IpBlockRemoved: true,
  RateLimitRuleSet: true,
  RateLimitRuleRemoved: true,
  VercelAuthenticationChanged: true,
  PasswordProtectionChanged: true,
  PasswordRotated: true,
  BypassTokenRecorded: true,
  BypassTokenRevoked: true,
  DirectoryConnected: true,
  DirectoryTokenRotated: true,
  DirectoryRoleMappingsSet: true,
  DirectoryDisconnected: true,
  AuditDrainAdded: true,
  AuditDrainRemoved: true,
  AuditDrainResumed: true,
  SubjectErased: true,
};

export const teamEventTypes = Object.keys(teamEventTypeSet) as readonly TeamEventType[];

/** The event store stream that holds one team's events. */
export const teamStreamId = (teamId: string): string => `team-${teamId}`;
export const teamStreamPrefix = 'team-';
