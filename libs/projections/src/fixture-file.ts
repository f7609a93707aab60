import type { EventMetadata, EventStore } from '@access-audit/event-store';

/** One line of a recorded history (`test/fixtures/*.ndjson`): an event as it was appended to its stream. */
export interface FixtureEvent {
  streamId: string;
  id: string;
  type: string;
  data: unknown;
  metadata?: EventMetadata;
}

export function parseFixture(ndjson: string): FixtureEvent[] {
  return ndjson
    .split('\n')
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line !== '')
    .map(({ line, number }) => {
      const event = JSON.parse(line) as FixtureEvent;
      if (typeof event.streamId !== 'string' || typeof event.id !== 'string' || typeof event.type !== 'string') {
        throw new Error(`fixture line ${number}: needs streamId, id and type`);
      }
      return event;
    });
}

/**
 * Appends a recorded history to a store, in file order: consecutive lines of one stream go in one append that
 * expects the stream's revision at that point, so loading the same file twice appends nothing the second time.
 */
export async function appendFixture(
  store: EventStore,
  events: readonly FixtureEvent[],
): Promise<{ events: number; streams: number }> {
  const revisions = new Map<string, number>();
  let index = 0;
  while (index < events.length) {
    const streamId = events[index]!.streamId;
    let end = index;
    while (end < events.length && events[end]!.streamId === streamId) end++;
    const revision = revisions.get(streamId) ?? -1;
    const slice = events
      .slice(index, end)
      .map(({ id, type, data, metadata }) => ({ id, type, data, ...(metadata ? { metadata } : {}) }));
    await store.append(streamId, slice, revision === -1 ? 'no_stream' : revision);
    revisions.set(streamId, revision + slice.length);
    index = end;
  }
  return { events: events.length, streams: revisions.size };
}
