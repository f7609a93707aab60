import type { AppendResult, EventToAppend, ExpectedRevision } from '../port';

export interface StoredEventRef {
  id: string;
  streamId: string;
  revision: number;
  position: string;
  recordedAt: string;
}

export interface IdempotencyLookup {
  findById(eventId: string): StoredEventRef | undefined;
  /** Up to `count` events of the stream from `fromRevision`, in revision order. */
  streamSlice(streamId: string, fromRevision: number, count: number): StoredEventRef[];
}

/**
 * When these exact events (same ids, same order) are already stored in this stream at the place the expectation
 * points to, the result of the original append; otherwise undefined.
 */
export function findOriginalAppend(
  streamId: string,
  events: ReadonlyArray<Pick<EventToAppend, 'id'>>,
  expected: ExpectedRevision,
  lookup: IdempotencyLookup,
): AppendResult | undefined {
  if (events.length === 0) return undefined;
  const first = lookup.findById(events[0].id);
  if (!first || first.streamId !== streamId) return undefined;
  const expectedFirstRevision = expected === 'any' ? first.revision : expected === 'no_stream' ? 0 : expected + 1;
  if (first.revision !== expectedFirstRevision) return undefined;
  const stored = lookup.streamSlice(streamId, first.revision, events.length);
  if (stored.length !== events.length || stored.some((event, index) => event.id !== events[index].id)) return undefined;
  const last = stored[stored.length - 1];
  return {
    streamRevision: last.revision,
    position: last.position,
    events: stored.map(({ id, revision, position, recordedAt }) => ({ id, revision, position, recordedAt })),
  };
}

/** An event id is already stored elsewhere (another stream, or another place in this one). */
export class DuplicateEventIdError extends Error {
  constructor(
    readonly streamId: string,
    readonly eventId: string,
  ) {
    super(`stream ${streamId}: event id ${eventId} is already stored at another place`);
    this.name = 'DuplicateEventIdError';
  }
}
