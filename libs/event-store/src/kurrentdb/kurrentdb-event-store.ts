import {
  ANY,
  BACKWARDS,
  END,
  FORWARDS,
  KurrentDBClient,
  NO_STREAM,
  START,
  AccessDeniedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
  type AllStreamRecordedEvent,
  type AllStreamSubscription,
  type AppendStreamState,
  type Filter,
  type JSONType,
  type ResolvedEvent,
} from '@kurrent/kurrentdb-client';
import {
  WrongExpectedRevisionError,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type GlobalFilter,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from '../port';
import { expectationHolds, normalizeExpected, normalizeFilter, validateAppend } from '../internal/validation';
import {
  KURRENT_START,
  compareKurrentPositions,
  decodeKurrentPosition,
  encodeKurrentPosition,
} from './kurrentdb-positions';

export interface KurrentDBEventStoreOptions {
  /** Called when a subscription loses its connection and is about to reconnect. */
  onSubscriptionError?: (error: unknown, attempt: number) => void;
  /** Upper bound of the reconnection backoff. Default 5000 ms. */
  maxReconnectDelayMs?: number;
}

type StoredRecord = NonNullable<ResolvedEvent['event']> | AllStreamRecordedEvent;

/** KurrentDB (EventStoreDB) adapter: one KurrentDB stream per stream id, the `$all` log as the global log. */
export class KurrentDBEventStore implements EventStore {
  readonly kind = 'kurrentdb';
  readonly client: KurrentDBClient;
  readonly #subscriptions = new Set<KurrentAllSubscription>();

  constructor(
    connectionString: string,
    private readonly options: KurrentDBEventStoreOptions = {},
  ) {
    this.client = KurrentDBClient.connectionString(withCurrentScheme(connectionString));
  }

  async append(streamId: string, events: EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    validateAppend(streamId, events, expected);
    const expectation = normalizeExpected(expected);
    if (events.length === 0) return this.#emptyAppend(streamId, expectation, expected);
    let nextExpectedRevision: bigint;
    let lastPosition: string | undefined;
    try {
      const result = await this.client.appendToStream(
        streamId,
        events.map((event) =>
          jsonEvent({
            id: event.id.toLowerCase(),
            type: event.type,
            // The client JSON-serialises any value; its type only names the common shapes.
            data: (event.data ?? null) as JSONType,
            metadata: (event.metadata ?? {}) as JSONType,
          }),
        ),
        { streamState: toStreamState(expectation) },
      );
      nextExpectedRevision = result.nextExpectedRevision;
      // An idempotent re-append may come back without a (valid) position; it is read back below then.
      lastPosition =
        result.position && result.position.commit >= 0n ? encodeKurrentPosition(result.position) : undefined;
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        const actual = error.actualState === NO_STREAM ? -1 : Number(error.actualState);
        throw new WrongExpectedRevisionError(streamId, expected, actual);
      }
      throw error;
    }
    const lastRevision = Number(nextExpectedRevision);
    const firstRevision = lastRevision - events.length + 1;
    // The append's reported position need not equal the pair readers see for the event (it can be the transaction's);
    // the events are read back so that the positions returned are exactly those subscriptions will deliver.
    const ids = events.map((event) => event.id.toLowerCase());
    let stored = await this.readStream(streamId, { fromRevision: Math.max(0, firstRevision), limit: events.length });
    if (stored.some((event, index) => event.id !== ids[index])) {
      // An idempotent re-append reported another revision than the original's: find the original events.
      const whole = await this.readStream(streamId);
      const start = whole.findIndex((event) => event.id === ids[0]);
      stored = start < 0 ? [] : whole.slice(start, start + ids.length);
    }
    return {
      streamRevision: stored.at(-1)?.revision ?? lastRevision,
      position: stored.at(-1)?.position ?? lastPosition ?? KURRENT_START,
      events: stored.map(({ id, revision, position, recordedAt }) => ({ id, revision, position, recordedAt })),
    };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    if (options.limit !== undefined && options.limit <= 0) return [];
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(streamId, {
        direction: FORWARDS,
        fromRevision: options.fromRevision ? BigInt(options.fromRevision) : START,
        ...(options.limit === undefined ? {} : { maxCount: options.limit }),
      })) {
        if (resolved.event) events.push(toRecordedEvent(resolved.event, resolved.commitPosition));
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  async streamRevision(streamId: string): Promise<number> {
    const last = await this.#lastEventOfStream(streamId);
    return last?.revision ?? -1;
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    const filter = normalizeFilter(options);
    const { serverFilter, needsClientFilter } = serverSideFilter(filter);
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    if (limit <= 0) return;
    const after = options.after;
    let delivered = 0;
    // Reading from a position includes the event at it; "after" excludes it, hence one more.
    const maxCount = needsClientFilter || !Number.isFinite(limit) ? undefined : limit + (after ? 1 : 0);
    for await (const resolved of this.client.readAll({
      direction: FORWARDS,
      fromPosition: after ? decodeKurrentPosition(after) : START,
      filter: serverFilter,
      ...(maxCount === undefined ? {} : { maxCount }),
    })) {
      const event = resolved.event;
      if (!event || !matchesFilter(event, filter)) continue;
      const recorded = toRecordedEvent(event, resolved.commitPosition);
      if (after && compareKurrentPositions(recorded.position, after) <= 0) continue;
      yield recorded;
      if (++delivered >= limit) return;
    }
  }

  subscribe(options: SubscribeOptions = {}): Subscription {
    const subscription = new KurrentAllSubscription(
      this.client,
      options.after,
      normalizeFilter(options),
      this.options,
      (stopped) => this.#subscriptions.delete(stopped),
    );
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<string | undefined> {
    for await (const resolved of this.client.readAll({
      direction: BACKWARDS,
      fromPosition: END,
      maxCount: 1,
      filter: excludeSystemEvents(),
    })) {
      if (resolved.event) return toRecordedEvent(resolved.event, resolved.commitPosition).position;
    }
    return undefined;
  }

  comparePositions(a: string, b: string): number {
    return compareKurrentPositions(a, b);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.stop()));
    await this.client.dispose();
  }

  async #emptyAppend(
    streamId: string,
    expectation: ExpectedRevision,
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    const last = await this.#lastEventOfStream(streamId);
    const actual = last?.revision ?? -1;
    if (!expectationHolds(expectation, actual)) throw new WrongExpectedRevisionError(streamId, expected, actual);
    const position = last?.position ?? (await this.headPosition()) ?? KURRENT_START;
    return { streamRevision: actual, position, events: [] };
  }

  async #lastEventOfStream(streamId: string): Promise<RecordedEvent | undefined> {
    try {
      for await (const resolved of this.client.readStream(streamId, {
        direction: BACKWARDS,
        fromRevision: END,
        maxCount: 1,
      })) {
        if (resolved.event) return toRecordedEvent(resolved.event, resolved.commitPosition);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return undefined;
      throw error;
    }
    return undefined;
  }
}

/**
 * Catch-up then live over `$all`. After a dropped connection it resubscribes from the last position it delivered,
 * with exponential backoff; `stop()` cancels the server subscription and ends the iteration.
 */
class KurrentAllSubscription implements Subscription {
  #stopped = false;
  #started = false;
  #current: AllStreamSubscription | undefined;
  #cancelBackoff: (() => void) | undefined;

  constructor(
    private readonly client: KurrentDBClient,
    private readonly after: string | undefined,
    private readonly filter: GlobalFilter,
    private readonly options: KurrentDBEventStoreOptions,
    private readonly onStop: (subscription: KurrentAllSubscription) => void,
  ) {}

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#cancelBackoff?.();
    this.onStop(this);
    const current = this.#current;
    if (current) {
      await current.unsubscribe().catch(() => undefined);
      current.destroy();
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    if (this.#started) throw new Error('a subscription can be iterated once');
    this.#started = true;
    return this.#run();
  }

  async *#run(): AsyncGenerator<RecordedEvent> {
    const { serverFilter } = serverSideFilter(this.filter);
    let after = this.after;
    let failures = 0;
    try {
      while (!this.#stopped) {
        const subscription = this.client.subscribeToAll({
          fromPosition: after ? decodeKurrentPosition(after) : START,
          filter: serverFilter,
        });
        this.#current = subscription;
        try {
          for await (const resolved of subscription) {
            failures = 0;
            const event = resolved.event;
            if (!event) continue;
            const position = encodeKurrentPosition(event.position);
            if (after && compareKurrentPositions(position, after) <= 0) continue;
            after = position;
            if (!matchesFilter(event, this.filter)) continue;
            yield toRecordedEvent(event, undefined);
            if (this.#stopped) return;
          }
        } catch (error) {
          if (this.#stopped) return;
          if (error instanceof AccessDeniedError) throw error;
          this.options.onSubscriptionError?.(error, failures + 1);
        } finally {
          this.#current = undefined;
          await subscription.unsubscribe().catch(() => undefined);
        }
        if (this.#stopped) return;
        failures += 1;
        await this.#backoff(Math.min(this.options.maxReconnectDelayMs ?? 5000, 100 * 2 ** (failures - 1)));
      }
    } finally {
      await this.stop();
    }
  }

  #backoff(delayMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#cancelBackoff = undefined;
        resolve();
      };
      const timer = setTimeout(done, delayMs);
      this.#cancelBackoff = done;
    });
  }
}

/** `esdb://` still works with the client but is deprecated; it is the same syntax. */
function withCurrentScheme(connectionString: string): string {
  return connectionString.trim().replace(/^esdb(\+discover)?:\/\//, 'kurrentdb$1://');
}

function toStreamState(expected: ExpectedRevision): AppendStreamState {
  if (expected === 'any') return ANY;
  if (expected === 'no_stream') return NO_STREAM;
  return BigInt(expected);
}

/**
 * The server applies one filter: stream prefixes when given (the narrower one for per-stream readers), else the exact
 * event types, else "no system events". Whatever it cannot apply is checked here.
 */
function serverSideFilter(filter: GlobalFilter): { serverFilter: Filter; needsClientFilter: boolean } {
  if (filter.streamPrefixes) {
    return {
      serverFilter: streamNameFilter({ prefixes: filter.streamPrefixes }),
      needsClientFilter: filter.eventTypes !== undefined,
    };
  }
  if (filter.eventTypes) {
    return {
      serverFilter: eventTypeFilter({ regex: `^(?:${filter.eventTypes.map(escapeRegex).join('|')})$` }),
      needsClientFilter: false,
    };
  }
  return { serverFilter: excludeSystemEvents(), needsClientFilter: false };
}

function matchesFilter(event: StoredRecord, filter: GlobalFilter): boolean {
  if (event.type.startsWith('$') || event.streamId.startsWith('$')) return false;
  if (filter.eventTypes && !filter.eventTypes.includes(event.type)) return false;
  if (filter.streamPrefixes && !filter.streamPrefixes.some((prefix) => event.streamId.startsWith(prefix))) return false;
  return true;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function toRecordedEvent(event: StoredRecord, commitPosition: bigint | undefined): RecordedEvent {
  const position = event.position
    ? encodeKurrentPosition(event.position)
    : commitPosition !== undefined
      ? encodeKurrentPosition({ commit: commitPosition, prepare: commitPosition })
      : KURRENT_START;
  return {
    id: event.id,
    streamId: event.streamId,
    revision: Number(event.revision),
    position,
    type: event.type,
    data: event.data as unknown,
    metadata: toMetadata(event.metadata),
    recordedAt: event.created.toISOString(),
  };
}

function toMetadata(metadata: unknown): EventMetadata {
  return typeof metadata === 'object' &&
    metadata !== null &&
    !Array.isArray(metadata) &&
    !(metadata instanceof Uint8Array)
    ? (metadata as EventMetadata)
    : {};
}
