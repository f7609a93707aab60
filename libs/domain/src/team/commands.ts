import type { PermissionGroup, Plan, ProjectRole, TeamRole, VercelAuthenticationScope } from '../policy/policy';
import type { RateLimitRule } from './events';

/** Who issues the command and when; supplied by the caller, never read inside the domain. */
export interface CommandMetadata {
  actorId: string;
  /** ISO-8601 instant. */
  now: string;
  reason?: string;
}

type Cmd<T extends string, D> = { type: T; teamId: string; data: D; metadata: CommandMetadata };

export type CreateTeam = Cmd<'CreateTeam', { name: string; plan: Plan }>;
export type RenameTeam = Cmd<'RenameTeam', { name: string }>;
export type ChangePlan = Cmd<'ChangePlan', { plan: Plan }>;
export type AddMember = Cmd<'AddMember', { userId: string; role: TeamRole }>;
export type ChangeTeamRole = Cmd<'ChangeTeamRole', { userId: string; role: TeamRole }>;
export type RemoveMember = Cmd<'RemoveMember', { userId: string }>;
export type GrantPermissionGroup = Cmd<'GrantPermissionGroup', { userId: string; group: PermissionGroup }>;
export type RevokePermissionGroup = Cmd<'RevokePermissionGroup', { userId: string; group: PermissionGroup }>;
export type CreateProject = Cmd<'CreateProject', { projectId: string; name: string }>;
export type DeleteProject = Cmd<'DeleteProject', { projectId: string }>;
export type AssignProjectRole = Cmd<'AssignProjectRole', { projectId: string; userId: string; role: ProjectRole }>;
export type RevokeProjectRole = Cmd<'RevokeProjectRole', { projectId: string; userId: string }>;

/**
 * Connects the team's directory, or rotates its token when one is connected. The edge mints the token and passes only
 * its hash (the token is shown once and never enters the log); `directoryId` is used only if none is connected yet.
 */
export type ConnectDirectory = Cmd<'ConnectDirectory', { directoryId: string; name: string; tokenHash: string }>;
export type DisconnectDirectory = Cmd<'DisconnectDirectory', Record<string, never>>;
/** Replaces the connected directory's role mappings (in order: on a tie of rights the earlier mapping wins). */
export type SetDirectoryRoleMappings = Cmd<
  'SetDirectoryRoleMappings',
  { mappings: Array<{ group: string; role?: TeamRole; permissionGroups?: PermissionGroup[] }> }
>;

/** Adds an audit drain; the edge mints its id and signing secret and stores the secret encrypted, apart from the log. */
export type AddAuditDrain = Cmd<'AddAuditDrain', { drainId: string; url: string; description?: string }>;
export type RemoveAuditDrain = Cmd<'RemoveAuditDrain', { drainId: string }>;
export type ResumeAuditDrain = Cmd<'ResumeAuditDrain', { drainId: string }>;

/** Records that a subject's personal data was erased (an operator's `privacy:erase`, checked at the edge). */
export type RecordSubjectErasure = Cmd<'RecordSubjectErasure', { userId: string }>;

/** One security setting change; `ChangeProjectSecurity` applies a list of them all-or-nothing. */
export type SecurityChange =
  | { setting: 'firewall'; enabled: boolean }
  | { setting: 'ipBlock.add'; cidr: string }
  | { setting: 'ipBlock.remove'; cidr: string }
  | { setting: 'rateLimitRule.set'; rule: RateLimitRule }
  | { setting: 'rateLimitRule.remove'; ruleId: string }
  | { setting: 'vercelAuthentication'; scope: VercelAuthenticationScope }
  | { setting: 'passwordProtection'; enabled: boolean }
  | { setting: 'passwordProtection.rotate' }
  | { setting: 'bypassToken.record'; tokenId: string; fingerprint?: string; note?: string }
  | { setting: 'bypassToken.revoke'; tokenId: string };

export type ChangeProjectSecurity = Cmd<'ChangeProjectSecurity', { projectId: string; changes: SecurityChange[] }>;

export type TeamCommand =
  | CreateTeam
  | RenameTeam
  | ChangePlan
  | AddMember
  | ChangeTeamRole
  | RemoveMember
  | GrantPermissionGroup
  | RevokePermissionGroup
  | CreateProject
  | DeleteProject
  | AssignProjectRole
  | RevokeProjectRole
  | ChangeProjectSecurity
  | ConnectDirectory
  | DisconnectDirectory
  | SetDirectoryRoleMappings
  | AddAuditDrain
  | RemoveAuditDrain
  | ResumeAuditDrain
  | RecordSubjectErasure;

export type TeamCommandType = TeamCommand['type'];
