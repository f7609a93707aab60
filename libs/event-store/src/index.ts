export * from './port';
export { DuplicateEventIdError } from './internal/idempotency';
export { MemoryEventStore } from './memory/memory-event-store';
export { SqliteEventStore, type SqliteEventStoreOptions } from './sqlite/sqlite-event-store';
export { KurrentDBEventStore, type KurrentDBEventStoreOptions } from './kurrentdb/kurrentdb-event-store';
export {
  openEventStore,
  parseEventStoreLocation,
  type EventStoreLocation,
  type OpenEventStoreOptions,
} from './open-event-store';
export {
  handleCommand,
  loadStream,
  type CommandOutcome,
  type Decider,
  type Decision,
  type DomainEvent,
  type HandleCommandOptions,
  type LoadedStream,
} from './command-path';
export { StreamLocks } from './stream-locks';
