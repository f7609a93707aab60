import type { EventToAppend, ExpectedRevision, GlobalFilter } from '../port';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every adapter accepts the same input, so code that works on the embedded store also works on KurrentDB (which needs UUIDs). */
export function validateAppend(streamId: string, events: EventToAppend[], expected: ExpectedRevision): void {
  if (typeof streamId !== 'string' || streamId.length === 0) throw new TypeError('streamId must be a non-empty string');
  if (streamId.startsWith('$')) throw new TypeError(`stream ids starting with "$" are reserved: ${streamId}`);
  if (expected !== 'any' && expected !== 'no_stream' && !(Number.isSafeInteger(expected) && expected >= -1)) {
    throw new TypeError(`invalid expected revision: ${String(expected)}`);
  }
  const seen = new Set<string>();
  for (const event of events) {
    if (!UUID.test(event.id)) throw new TypeError(`event id must be a UUID: ${JSON.stringify(event.id)}`);
    if (seen.has(event.id.toLowerCase())) throw new TypeError(`event id appears twice in one append: ${event.id}`);
    seen.add(event.id.toLowerCase());
    if (typeof event.type !== 'string' || event.type.length === 0)
      throw new TypeError('event type must be a non-empty string');
    if (event.type.startsWith('$')) throw new TypeError(`event types starting with "$" are reserved: ${event.type}`);
  }
}

/** -1 as an expected revision means the same as `no_stream`. */
export function normalizeExpected(expected: ExpectedRevision): ExpectedRevision {
  return expected === -1 ? 'no_stream' : expected;
}

export function expectationHolds(expected: ExpectedRevision, actual: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === -1;
  return expected === actual;
}

/** JSON text of event data; `undefined` is stored as `null`. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** An empty list filters nothing out, the same as an absent one. */
export function normalizeFilter(filter: GlobalFilter): GlobalFilter {
  return {
    streamPrefixes: filter.streamPrefixes?.length ? filter.streamPrefixes : undefined,
    eventTypes: filter.eventTypes?.length ? filter.eventTypes : undefined,
  };
}
