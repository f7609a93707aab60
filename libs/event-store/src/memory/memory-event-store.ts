import { EventEmitter } from 'node:events';
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
import { CatchUpSubscription, type LogPage } from '../internal/catch-up-subscription';
import { pagedEvents } from '../internal/paged-iterable';
import { DuplicateEventIdError, findOriginalAppend, type IdempotencyLookup } from '../internal/idempotency';
import { compareSequencePositions, parseSequencePosition } from '../internal/sequence-positions';
import { expectationHolds, normalizeExpected, normalizeFilter, toJson, validateAppend } from '../internal/validation';

/** Stored as JSON text, like the other adapters, so readers never share objects with writers. */
interface StoredEvent {
  sequence: number;
  id: string;
  streamId: string;
  revision: number;
  type: string;
  dataJson: string;
  metadataJson: string;
  recordedAt: string;
}

/** In-process event store for unit tests, with the same semantics as the SQLite and KurrentDB adapters. */
export class MemoryEventStore implements EventStore {
  readonly kind = 'memory';
  /** Index i holds the event at sequence i + 1. */
  readonly #log: StoredEvent[] = [];
  readonly #streams = new Map<string, StoredEvent[]>();
  readonly #byId = new Map<string, StoredEvent>();
  readonly #appended = new EventEmitter().setMaxListeners(0);
  readonly #subscriptions = new Set<CatchUpSubscription>();
  #closed = false;

  async append(streamId: string, events: EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    this.#assertOpen();
    validateAppend(streamId, events, expected);
    const expectation = normalizeExpected(expected);
    const toAppend = events.map((event) => ({ ...event, id: event.id.toLowerCase() }));
    const stream = this.#streams.get(streamId) ?? [];
    const actual = stream.length - 1;
    if (toAppend.length === 0) {
      if (!expectationHolds(expectation, actual)) throw new WrongExpectedRevisionError(streamId, expected, actual);
      const lastSequence = stream.at(-1)?.sequence ?? this.#log.length;
      return { streamRevision: actual, position: String(lastSequence), events: [] };
    }
    if (!expectationHolds(expectation, actual)) {
      const original = findOriginalAppend(streamId, toAppend, expectation, this.#idempotencyLookup());
      if (original) return original;
      throw new WrongExpectedRevisionError(streamId, expected, actual);
    }
    const duplicate = toAppend.find((event) => this.#byId.has(event.id));
    if (duplicate) {
      const original = findOriginalAppend(streamId, toAppend, expectation, this.#idempotencyLookup());
      if (original) return original;
      throw new DuplicateEventIdError(streamId, duplicate.id);
    }
    const recordedAt = new Date().toISOString();
    const stored = toAppend.map((event, index): StoredEvent => ({
      sequence: this.#log.length + index + 1,
      id: event.id,
      streamId,
      revision: actual + index + 1,
      type: event.type,
      dataJson: toJson(event.data),
      metadataJson: toJson(event.metadata ?? {}),
      recordedAt,
    }));
    for (const event of stored) {
      this.#log.push(event);
      stream.push(event);
      this.#byId.set(event.id, event);
    }
    this.#streams.set(streamId, stream);
    this.#appended.emit('appended');
    const last = stored[stored.length - 1];
    return {
      streamRevision: last.revision,
      position: String(last.sequence),
      events: stored.map((event) => ({
        id: event.id,
        revision: event.revision,
        position: String(event.sequence),
        recordedAt,
      })),
    };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.#assertOpen();
    const stream = this.#streams.get(streamId) ?? [];
    const from = Math.max(0, options.fromRevision ?? 0);
    const to = options.limit === undefined ? stream.length : from + Math.max(0, options.limit);
    return stream.slice(from, to).map(toRecordedEvent);
  }

  async streamRevision(streamId: string): Promise<number> {
    this.#assertOpen();
    return (this.#streams.get(streamId)?.length ?? 0) - 1;
  }

  readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    this.#assertOpen();
    const filter = normalizeFilter(options);
    return pagedEvents((after, limit) => this.#readPage(after, limit, filter).events, {
      after: options.after,
      limit: options.limit,
      pageSize: 1000,
    });
  }

  subscribe(options: SubscribeOptions = {}): Subscription {
    this.#assertOpen();
    const filter = normalizeFilter(options);
    const subscription = new CatchUpSubscription(
      {
        readPage: (after, limit) => this.#readPage(after, limit, filter),
        onAppend: (listener) => {
          this.#appended.on('appended', listener);
          return () => this.#appended.off('appended', listener);
        },
      },
      options.after,
      {},
      (stopped) => this.#subscriptions.delete(stopped),
    );
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<string | undefined> {
    this.#assertOpen();
    return this.#log.length === 0 ? undefined : String(this.#log.length);
  }

  comparePositions(a: string, b: string): number {
    return compareSequencePositions(a, b);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.stop()));
  }

  #readPage(after: string | undefined, limit: number, filter: GlobalFilter): LogPage {
    const start = after === undefined ? 0 : Number(parseSequencePosition(after));
    const events: RecordedEvent[] = [];
    let index = start;
    for (; index < this.#log.length && events.length < limit; index++) {
      const event = this.#log[index];
      if (matchesFilter(event, filter)) events.push(toRecordedEvent(event));
    }
    const scannedThrough = index === 0 ? undefined : String(index);
    return { events, scannedThrough };
  }

  #idempotencyLookup(): IdempotencyLookup {
    return {
      findById: (eventId) => {
        const event = this.#byId.get(eventId);
        return event && toRef(event);
      },
      streamSlice: (streamId, fromRevision, count) =>
        (this.#streams.get(streamId) ?? []).slice(fromRevision, fromRevision + count).map(toRef),
    };
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('the event store is closed');
  }
}

function matchesFilter(event: StoredEvent, filter: GlobalFilter): boolean {
  if (filter.eventTypes && !filter.eventTypes.includes(event.type)) return false;
  if (filter.streamPrefixes && !filter.streamPrefixes.some((prefix) => event.streamId.startsWith(prefix))) return false;
  return true;
}

function toRef(event: StoredEvent) {
  return {
    id: event.id,
    streamId: event.streamId,
    revision: event.revision,
    position: String(event.sequence),
    recordedAt: event.recordedAt,
  };
}

function toRecordedEvent(event: StoredEvent): RecordedEvent {
  return {
    id: event.id,
    streamId: event.streamId,
    revision: event.revision,
    position: String(event.sequence),
    type: event.type,
    data: JSON.parse(event.dataJson) as unknown,
    metadata: JSON.parse(event.metadataJson) as EventMetadata,
    recordedAt: event.recordedAt,
  };
}
