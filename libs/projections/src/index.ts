export { AccessReadModels } from './access-read-models';
export { AccessQueries } from './access-queries';
export { AccessProjection } from './projection/projection';
export type { AppliedBatch } from './projection/projection';
export { ACCESS_PROJECTION, readCheckpoint } from './projection/checkpoint';
export type { QuarantinedTeam } from './projection/quarantine';
export { ProjectionRunner } from './projection/runner';
export type { ProjectionRunnerOptions } from './projection/runner';
export type { ProjectedTeam } from './team-states/writer';
export { teamViewOf } from './team-states/team-view';
export type { TeamIdsPage } from './team-states/memberships';
export type { TeamView } from './team-states/team-view';
export { InvalidPositionError } from './member-history/reader';
export type { ChangesPage } from './member-history/reader';
export { followChanges } from './member-history/follow';
export type { FollowOptions } from './member-history/follow';
export { rebuildReadModels, verifyReadModels } from './replay';
export type { ReplayOptions, ReplayProgress, ReplayResult, VerifyResult, ModelComparison } from './replay';
export { digestReadModels, canonicalJson } from './digest';
export { openReadModelDatabase, createSecondaryIndexes, dropSecondaryIndexes } from './schema';
export type { OpenReadModelOptions } from './schema';
export { readModelNames } from './model';
export type {
  ChangeCause,
  CheckAnswer,
  MemberHistoryEntry,
  MemberPermissionGrant,
  PermissionChange,
  PermissionGrant,
  PermissionRef,
  PermissionSelection,
  ReadModelName,
} from './model';
export { parseFixture, appendFixture } from './fixture-file';
export type { FixtureEvent } from './fixture-file';
