import type { TeamEvent, TeamState } from '@access-audit/domain';

/**
 * Which effective permissions an event can change: one member's (on every project, or on one), every member's on one
 * project, every member's everywhere, or none. Only says where to look; what changed is always recomputed with
 * `effectivePermissions` on the team state before and after the event.
 */
export type PermissionScope =
  | { kind: 'none' }
  | { kind: 'member'; userId: string; projectId?: string }
  | { kind: 'project'; projectId: string }
  | { kind: 'team' };

export function permissionScope(event: TeamEvent): PermissionScope {
  switch (event.type) {
    case 'TeamCreated':
    case 'TeamPlanChanged':
      return { kind: 'team' };
    case 'MemberAdded':
    case 'TeamRoleChanged':
    case 'MemberRemoved':
    case 'PermissionGroupGranted':
    case 'PermissionGroupRevoked':
      return { kind: 'member', userId: event.data.userId };
    // A project role is the member's role on that project only (team-level rights come from the team role and groups).
    case 'ProjectRoleAssigned':
    case 'ProjectRoleRevoked':
      return { kind: 'member', userId: event.data.userId, projectId: event.data.projectId };
    case 'ProjectCreated':
    case 'ProjectDeleted':
      return { kind: 'project', projectId: event.data.projectId };
    case 'TeamRenamed':
    case 'FirewallChanged':
    case 'IpBlockAdded':
    case 'IpBlockRemoved':
    case 'RateLimitRuleSet':
    case 'RateLimitRuleRemoved':
    case 'VercelAuthenticationChanged':
    case 'PasswordProtectionChanged':
    case 'PasswordRotated':
    case 'BypassTokenRecorded':
    case 'BypassTokenRevoked':
    case 'DirectoryConnected':
    case 'DirectoryTokenRotated':
    case 'DirectoryRoleMappingsSet':
    case 'DirectoryDisconnected':
    case 'AuditDrainAdded':
    case 'AuditDrainRemoved':
    case 'AuditDrainResumed':
    case 'SubjectErased':
      return { kind: 'none' };
    default:
      return unreachable(event);
  }
}

const membersOf = (state: TeamState): string[] => (state.status === 'active' ? [...state.members.keys()] : []);

/** The members whose permissions in the scope may have changed between the two states, in id order. */
export function membersInScope(scope: PermissionScope, before: TeamState, after: TeamState): string[] {
  if (scope.kind === 'none') return [];
  if (scope.kind === 'member') return [scope.userId];
  return [...new Set([...membersOf(before), ...membersOf(after)])].sort();
}

/** The one project the scope is limited to; undefined for every project (and team-level permissions). */
export const projectOfScope = (scope: PermissionScope): string | undefined =>
  scope.kind === 'project' || scope.kind === 'member' ? scope.projectId : undefined;

/** The member an event is about, when it is about one. */
export function subjectOf(event: TeamEvent): string | undefined {
  if (event.type === 'TeamCreated') return event.data.ownerId;
  return 'userId' in event.data ? event.data.userId : undefined;
}

function unreachable(value: never): never {
  throw new Error(`unhandled team event: ${JSON.stringify(value)}`);
}
