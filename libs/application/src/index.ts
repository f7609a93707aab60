/** The application layer: how every entry point issues team commands. */
export {
  TeamCommands,
  type CommandObserver,
  type DenialSink,
  type TeamCommandContext,
  type TeamCommandInput,
  type TeamCommandOutcome,
  type TeamCommandsDeps,
} from './team-commands';
export {
  TeamSnapshots,
  TeamStateCache,
  teamSnapshotEventType,
  teamSnapshotStreamId,
  teamSnapshotVersion,
} from './team-state-cache';
