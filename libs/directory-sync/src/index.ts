/** Directory sync, team side: what the mappings say each member should hold, and the commands that make it so. */
export {
  desiredMembership,
  mappingMatchesGroup,
  type DesiredMember,
  type DirectoryGroupView,
  type DirectoryRoleMapping,
  type DirectoryUserView,
} from './membership';
export { DirectoryReconciler, DirectoryReconcileError, planMember } from './reconciler';
export type { DirectoryReconcileContext, ReconcileOutcome } from './reconciler-types';
export * from './scim';
export * from './directory';
