/** The application layer: how every entry point issues team commands, and how every read route is authorized. */
export {
  TeamCommands,
  type CommandObserver,
  type DenialSink,
  type TeamCommandContext,
  type TeamCommandInput,
  type TeamCommandOutcome,
  type TeamCommandPreview,
  type TeamCommandPreviewOutcome,
  type TeamCommandsDeps,
} from './team-commands';
export {
  TeamSnapshots,
  TeamStateCache,
  teamSnapshotEventType,
  teamSnapshotStreamId,
  teamSnapshotVersion,
} from './team-state-cache';
export {
  ReadAuthorizer,
  allTeamsReadRefusal,
  principalReadRefusal,
  readerScope,
  teamReadRefusal,
  type QuarantinedEventRef,
  type ReadDecision,
  type ReadPrincipal,
  type ReadRefusal,
  type ReadSubject,
  type TeamStateRead,
  type TeamStateSource,
  type TeamUnavailable,
} from './read-authorization';
