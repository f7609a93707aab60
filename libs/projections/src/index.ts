export { AccessReadModels } from './access-read-models';
export { AccessProjection, ACCESS_PROJECTION } from './projection';
export type { AppliedBatch, ProjectedTeam, QuarantinedTeam } from './projection';
export { AccessQueries, InvalidPositionError, teamViewOf } from './queries';
export type { ChangesPage, CheckAnswer, PermissionSelection, TeamView } from './queries';
export { ProjectionRunner } from './runner';
export type { ProjectionRunnerOptions } from './runner';
export { followChanges } from './change-feed';
export type { FollowOptions } from './change-feed';
export { rebuildReadModels, verifyReadModels, readCheckpoint } from './replay';
export type { ReplayOptions, ReplayProgress, ReplayResult, VerifyResult, ModelComparison } from './replay';
export { digestReadModels, canonicalJson } from './digest';
export { openReadModelDatabase, createSecondaryIndexes, dropSecondaryIndexes } from './schema';
export type { OpenReadModelOptions } from './schema';
export { teamStateAt } from './team-at';
export { instantMs } from './instants';
export { readModelNames } from './model';
export type {
  ChangeCause,
  MemberHistoryEntry,
  MemberPermissionGrant,
  PermissionChange,
  PermissionGrant,
  PermissionRef,
  ReadModelName,
} from './model';
export { parseFixture, appendFixture } from './fixture-file';
export type { FixtureEvent } from './fixture-file';
