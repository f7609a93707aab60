/**
 * The port, the in-memory store and the generic command path; no adapter's driver is loaded from here.
 * Adapters: `@access-audit/event-store/sqlite`, `/postgres`, `/kurrentdb`; opening the one `EVENT_STORE` names: `/open`.
 */
export * from './port';
export { DuplicateEventIdError } from './internal/idempotency';
export { MemoryEventStore } from './memory/memory-event-store';
export {
  handleCommand,
  loadStream,
  type CommandOutcome,
  type Decider,
  type Decision,
  type DomainEvent,
  type HandleCommandOptions,
  type LoadedStream,
  type SnapshotStore,
  type StreamStateCache,
} from './command-path';
export { StreamLocks } from './stream-locks';
