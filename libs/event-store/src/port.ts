/**
 * The event store port: every adapter (memory, SQLite, KurrentDB) implements exactly this.
 * Positions are opaque strings; only the store that issued them compares them (`comparePositions`).
 */

/** As stored, the IP and user agent are sealed under the actor's key (libs/privacy); the HTTP layer gives plaintext. */
export interface RequestContext {
  ip?: string | { readonly $sealed: 1 };
  userAgent?: string | { readonly $sealed: 1 };
  requestId?: string;
}

export interface EventMetadata {
  actorId?: string;
  correlationId?: string;
  causationId?: string;
  requestContext?: RequestContext;
  [key: string]: unknown;
}

/** An event to append. `id` is a UUID chosen by the caller; re-appending the same id is idempotent. */
export interface EventToAppend {
  id: string;
  type: string;
  data: unknown;
  metadata?: EventMetadata;
}

export interface RecordedEvent<Data = unknown> {
  id: string;
  streamId: string;
  /** 0-based revision of the event inside its stream. */
  revision: number;
  /** Global, opaque, comparable with `EventStore.comparePositions`. */
  position: string;
  type: string;
  data: Data;
  metadata: EventMetadata;
  /** ISO-8601 time the store recorded the event. */
  recordedAt: string;
}

/** `no_stream`: the stream must not exist; `any`: no check; a number: the stream's last revision must equal it. */
export type ExpectedRevision = 'no_stream' | 'any' | number;

export interface AppendResult {
  /** Revision of the last event now in the stream. */
  streamRevision: number;
  /** Position of the last appended event. */
  position: string;
  /** Per appended event, in order. `recordedAt` when the store reports it with the append. */
  events: Array<{ id: string; revision: number; position: string; recordedAt?: string }>;
}

export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** -1 when the stream does not exist. */
    readonly actual: number,
  ) {
    super(`stream ${streamId}: expected revision ${String(expected)}, actual ${actual}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

export interface ReadStreamOptions {
  /** First revision to read (inclusive). Default 0. */
  fromRevision?: number;
  limit?: number;
}

export interface GlobalFilter {
  /** Only streams whose id starts with one of these. */
  streamPrefixes?: string[];
  /** Only these event types. */
  eventTypes?: string[];
}

export interface ReadAllOptions extends GlobalFilter {
  /** Read events strictly after this position; from the beginning when absent. */
  after?: string;
  limit?: number;
}

export interface SubscribeOptions extends GlobalFilter {
  /** Deliver events strictly after this position; from the beginning when absent. */
  after?: string;
}

/** A catch-up-then-live subscription to the global log. Iterate it; `stop()` ends the iteration. */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  stop(): Promise<void>;
}

export interface EventStore {
  /** Appends atomically with an expected-revision check. Throws WrongExpectedRevisionError on mismatch. */
  append(streamId: string, events: EventToAppend[], expected: ExpectedRevision): Promise<AppendResult>;
  /** Events of one stream in revision order; empty when the stream does not exist. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Last revision of a stream, or -1 when it does not exist. */
  streamRevision(streamId: string): Promise<number>;
  /** The global log in position order, filtered. */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  /** Catch-up then live subscription to the global log. */
  subscribe(options?: SubscribeOptions): Subscription;
  /** Position of the newest event in the global log, or undefined when it is empty. */
  headPosition(): Promise<string | undefined>;
  /** Negative, zero or positive as a is before, equal to or after b. */
  comparePositions(a: string, b: string): number;
  close(): Promise<void>;
}
