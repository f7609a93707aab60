import { maxResults } from './discovery';
import type { ScimRejection } from './errors';
import { scimFilter } from './filter';
import { listResponseSchema } from './resources';

/** Never left out (RFC 7643 §7 `returned: always`). */
const alwaysReturned = new Set(['id', 'schemas']);

const namesOf = (list: string | undefined): Set<string> | undefined =>
  list === undefined || list === '' ? undefined : new Set(list.split(',').map((name) => name.trim().toLowerCase()));

/** RFC 7644 §3.4.2.5 `attributes` / `excludedAttributes`, for top-level attributes (Entra asks `excludedAttributes=members`). */
export function projected(
  resource: Record<string, unknown>,
  query: { excludedAttributes?: string; attributes?: string },
): Record<string, unknown> {
  const only = namesOf(query.attributes);
  const excluded = namesOf(query.excludedAttributes);
  if (!only && !excluded) return resource;
  // Attribute names come from the client: a null-prototype record keeps any name a plain key.
  const out = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of Object.entries(resource)) {
    const name = key.toLowerCase();
    if (alwaysReturned.has(name) || (only ? only.has(name) : !excluded!.has(name))) out[key] = value;
  }
  return out;
}

/** A page of a ListResponse (RFC 7644 §3.4.2): filtered, then `startIndex` (1-based) and `count` (at most maxResults). */
export function listResponse(
  resources: Iterable<Record<string, unknown>>,
  query: { filter?: string; startIndex?: string; count?: string; excludedAttributes?: string; attributes?: string },
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
  const page = matching
    .slice(from - 1, from - 1 + Math.min(Math.max(0, count), maxResults))
    .map((resource) => projected(resource, query));
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
