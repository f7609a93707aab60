import { maxResults } from './discovery';
import type { ScimRejection } from './errors';
import { scimFilter } from './filter';
import { listResponseSchema } from './resources';

/** A page of a ListResponse (RFC 7644 §3.4.2): filtered, then `startIndex` (1-based) and `count` (at most maxResults). */
export function listResponse(
  resources: Iterable<Record<string, unknown>>,
  query: { filter?: string; startIndex?: string; count?: string },
): { ok: true; body: Record<string, unknown> } | { ok: false; rejection: ScimRejection } {
  const startIndex = query.startIndex === undefined ? 1 : Number(query.startIndex);
  const count = query.count === undefined ? maxResults : Number(query.count);
  // RFC 7644 §3.4.2.4: a startIndex below 1 is read as 1, a negative count as 0.
  if (!Number.isInteger(startIndex))
    return { ok: false, rejection: { status: 400, scimType: 'invalidValue', detail: 'startIndex must be an integer' } };
  if (!Number.isInteger(count))
    return { ok: false, rejection: { status: 400, scimType: 'invalidValue', detail: 'count must be an integer' } };
  let matching = [...resources];
  if (query.filter !== undefined && query.filter !== '') {
    const filter = scimFilter(query.filter);
    if (!filter.ok) return filter;
    matching = matching.filter(filter.matches);
  }
  const from = Math.max(1, startIndex);
  const page = matching.slice(from - 1, from - 1 + Math.min(Math.max(0, count), maxResults));
  return {
    ok: true,
    body: {
      schemas: [listResponseSchema],
      totalResults: matching.length,
      startIndex: from,
      itemsPerPage: page.length,
      Resources: page,
    },
  };
}
