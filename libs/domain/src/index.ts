export * from './policy/policy';
export type * from './team/commands';
export type * from './team/events';
export { isLegacyClearText, storedPersonalText, teamEventTypes, teamStreamId, teamStreamPrefix } from './team/events';
export type { Rejection, Decision } from './team/rejection';
export { evolve, foldTeam, initialTeamState } from './team/state';
export type {
  TeamState,
  ActiveTeam,
  MemberState,
  ProjectState,
  Grant,
  DirectoryState,
  DirectoryRoleMappingState,
  AuditDrainState,
} from './team/state';
export { maxAuditDrainsPerTeam } from './team/decide/audit-drains';
export {
  encodeTeamState,
  decodeTeamState,
  teamStateToJson,
  teamStateFromJson,
  teamStateVersion,
} from './team/state-codec';
export type { EncodedTeamState, EncodedMember } from './team/state-codec';
export {
  decide,
  teamDecider,
  requiredPermissions,
  permissionForSecurityChange,
  planChangeConflicts,
  defaultProjectSecurity,
} from './team/decide';
export type { RequiredPermission } from './team/decide';
export { checkPermission, effectivePermissions, projectRoleOf } from './team/effective-permissions';
export type { EffectivePermission, Via } from './team/effective-permissions';
export { permissionChanges } from './team/permission-changes';
export type { EffectivePermissionChange } from './team/permission-changes';
export { canonicalCidr } from './team/cidr';
