import { randomUUID } from 'node:crypto';
import type { Decision } from '@access-audit/domain';
import {
  WrongExpectedRevisionError,
  type EventMetadata,
  type EventStore,
  type EventToAppend,
  type RecordedEvent,
} from './port';
import type { StreamLocks } from './stream-locks';

/** What the command path stores of a domain event: its type and its data. */
export interface DomainEvent {
  type: string;
  data: unknown;
}

export type { Decision };

export interface Decider<State, Command, Event extends DomainEvent, Rejection> {
  initialState: () => State;
  evolve: (state: State, event: Event) => State;
  decide: (command: Command, state: State) => Decision<Event, Rejection>;
}

export interface HandleCommandOptions<Event extends DomainEvent, State = unknown> {
  /** The stream's revision the caller saw (-1: no stream); a mismatch throws WrongExpectedRevisionError, never retried. */
  expectedRevision?: number;
  /** Id of each new event. Default `crypto.randomUUID`. */
  eventIds?: () => string;
  /** Metadata of every new event. */
  metadata?: EventMetadata;
  /** Per new event, the id of what caused it (overrides `metadata.causationId`). */
  causationIds?: (event: Event, index: number) => string | undefined;
  /** Retries after a conflicting append by another writer, when the caller gave no expectedRevision. Default 5. */
  maxRetries?: number;
  /** Serializes commands on one stream within this process. */
  locks?: StreamLocks;
  /** Reads a stored event as the decider's event; `undefined` skips it. Default: its `{ type, data }` as they are. */
  decode?: (recorded: RecordedEvent) => Event | undefined;
  /** Folded states kept between commands: a command reads only the events after the cached revision. */
  cache?: StreamStateCache<State>;
  /** Stored snapshots for a cold start of a long stream (no cached state). */
  snapshots?: SnapshotStore<State>;
  /**
   * The decided events as they are stored (personal fields sealed, say); the state is folded from what is stored, so a
   * cached state equals the one a reload would give.
   */
  prepareAppend?: (events: Event[]) => Promise<Event[]>;
}

/** Folded states by stream, kept in memory (bounded by the implementation). */
export interface StreamStateCache<State> {
  get(streamId: string): LoadedStream<State> | undefined;
  set(streamId: string, loaded: LoadedStream<State>): void;
}

/** Snapshots of folded states, stored beside the stream; one of another decider or policy version is never returned. */
export interface SnapshotStore<State> {
  /** The newest usable snapshot of the stream, if any. */
  load(streamId: string): Promise<LoadedStream<State> | undefined>;
  save(streamId: string, loaded: LoadedStream<State>): Promise<void>;
  /** A snapshot is saved each time a stream's revision reaches a multiple of this. */
  readonly every: number;
}

export type CommandOutcome<State, Rejection> =
  | { ok: true; events: RecordedEvent[]; streamRevision: number; position: string; state: State }
  | { ok: false; rejection: Rejection; streamRevision: number };

export interface LoadedStream<State> {
  state: State;
  /** Last revision of the stream, -1 when it does not exist. */
  revision: number;
  /** Position of the stream's last event; undefined when it does not exist. */
  position: string | undefined;
}

const asStored = <Event>(event: RecordedEvent): Event => ({ type: event.type, data: event.data }) as Event;

const loadPage = 1_000;

/**
 * Folds a stream, each stored event read through `decode`: from its start, or only the events after `from` (a cached
 * or snapshotted state of the same stream), in pages.
 */
export async function loadStream<State, Event extends DomainEvent>(
  store: EventStore,
  streamId: string,
  decider: Pick<Decider<State, never, Event, unknown>, 'initialState' | 'evolve'>,
  decode: (recorded: RecordedEvent) => Event | undefined = asStored,
  from?: LoadedStream<State>,
): Promise<LoadedStream<State>> {
  let loaded: LoadedStream<State> = from ?? { state: decider.initialState(), revision: -1, position: undefined };
  for (;;) {
    const page = await store.readStream(streamId, { fromRevision: loaded.revision + 1, limit: loadPage });
    let state = loaded.state;
    for (const recorded of page) {
      const event = decode(recorded);
      if (event !== undefined) state = decider.evolve(state, event);
    }
    const last = page[page.length - 1];
    if (last) loaded = { state, revision: last.revision, position: last.position };
    if (page.length < loadPage) return loaded;
  }
}

/**
 * Load, decide, append with the folded revision as the expected one. A rejection or a decision without events appends
 * nothing. A conflict with another writer reloads and decides again (up to maxRetries), unless the caller pinned the
 * revision it expects.
 */
export async function handleCommand<State, Command, Event extends DomainEvent, Rejection>(
  store: EventStore,
  streamId: string,
  decider: Decider<State, Command, Event, Rejection>,
  command: Command,
  options: HandleCommandOptions<Event, State> = {},
): Promise<CommandOutcome<State, Rejection>> {
  const attempt = () => decideAndAppend(store, streamId, decider, command, options);
  return options.locks ? options.locks.run(streamId, attempt) : attempt();
}

async function decideAndAppend<State, Command, Event extends DomainEvent, Rejection>(
  store: EventStore,
  streamId: string,
  decider: Decider<State, Command, Event, Rejection>,
  command: Command,
  options: HandleCommandOptions<Event, State>,
): Promise<CommandOutcome<State, Rejection>> {
  const { cache, snapshots } = options;
  const maxRetries = options.maxRetries ?? 5;
  const nextEventId = options.eventIds ?? randomUUID;
  for (let retry = 0; ; retry++) {
    // Cost stays flat with history: a cached state (or a snapshot) plus the events after it, never the whole stream.
    const from = cache?.get(streamId) ?? (await snapshots?.load(streamId));
    const loaded = await loadStream(store, streamId, decider, options.decode, from);
    cache?.set(streamId, loaded);
    if (options.expectedRevision !== undefined && options.expectedRevision !== loaded.revision) {
      throw new WrongExpectedRevisionError(streamId, options.expectedRevision, loaded.revision);
    }
    const decision = decider.decide(command, loaded.state);
    if (!decision.ok) return { ok: false, rejection: decision.rejection, streamRevision: loaded.revision };
    if (decision.events.length === 0) {
      const position = loaded.position ?? (await store.headPosition()) ?? (await startPosition(store, streamId));
      return { ok: true, events: [], streamRevision: loaded.revision, position, state: loaded.state };
    }
    const decided = options.prepareAppend ? await options.prepareAppend(decision.events) : decision.events;
    const toAppend = decided.map((event, index): EventToAppend => {
      const causationId = options.causationIds?.(event, index);
      const metadata = causationId === undefined ? options.metadata : { ...options.metadata, causationId };
      return { id: nextEventId(), type: event.type, data: event.data, ...(metadata ? { metadata } : {}) };
    });
    try {
      const result = await store.append(streamId, toAppend, loaded.revision === -1 ? 'no_stream' : loaded.revision);
      const acknowledgedAt = new Date().toISOString();
      const events = toAppend.map((event, index): RecordedEvent => ({
        id: result.events[index].id,
        streamId,
        revision: result.events[index].revision,
        position: result.events[index].position,
        type: event.type,
        data: event.data,
        metadata: event.metadata ?? {},
        // Stores that do not report the time with the append: the time it was acknowledged here.
        recordedAt: result.events[index].recordedAt ?? acknowledgedAt,
      }));
      const state = decided.reduce(decider.evolve, loaded.state);
      const next = { state, revision: result.streamRevision, position: result.position };
      cache?.set(streamId, next);
      if (
        snapshots &&
        Math.floor(next.revision / snapshots.every) > Math.floor(Math.max(loaded.revision, 0) / snapshots.every)
      ) {
        // A snapshot is only a shortcut for later cold starts: the events are stored, so its failure fails nothing.
        await snapshots.save(streamId, next).catch(() => undefined);
      }
      return { ok: true, events, streamRevision: result.streamRevision, position: result.position, state };
    } catch (error) {
      const mayRetry = options.expectedRevision === undefined && retry < maxRetries;
      if (!(error instanceof WrongExpectedRevisionError) || !mayRetry) throw error;
    }
  }
}

/** The log is empty: an empty append checks nothing and reports the store's start position. */
async function startPosition(store: EventStore, streamId: string): Promise<string> {
  return (await store.append(streamId, [], 'any')).position;
}
