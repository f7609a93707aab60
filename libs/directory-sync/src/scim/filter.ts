import { parse, type Filter } from 'scim2-parse-filter';
import type { ScimRejection } from './errors';

/** RFC 7643 `caseExact: true` attributes; every other string compares case-insensitively (userName, displayName, emails). */
const caseExact: ReadonlySet<string> = new Set(['id', 'externalid', 'members.value']);
const maxFilterLength = 2048;

export type ResourcePredicate = (resource: Record<string, unknown>) => boolean;

/** Every value at a dotted path (attribute names case-insensitive), flattening multi-valued attributes. */
function valuesAt(resource: unknown, path: string): unknown[] {
  // An extension attribute is addressed by its schema URN: `urn:…:User:department`.
  const urn = /^(urn:.+):([^:]+)$/i.exec(path);
  let current: unknown[] = [resource];
  const parts = urn ? [urn[1]!, ...urn[2]!.split('.')] : path.split('.');
  for (const part of parts) {
    const lower = part.toLowerCase();
    const next: unknown[] = [];
    for (const value of current) {
      for (const item of Array.isArray(value) ? value : [value]) {
        if (typeof item !== 'object' || item === null) continue;
        for (const key of Object.keys(item))
          if (key.toLowerCase() === lower) next.push((item as Record<string, unknown>)[key]);
      }
    }
    current = next.flatMap((v) => (Array.isArray(v) ? v : [v]));
  }
  return current;
}

function compare(op: string, actual: unknown, expected: unknown, exact: boolean): boolean {
  if (typeof actual === 'string' && typeof expected === 'string') {
    const a = exact ? actual : actual.toLowerCase();
    const e = exact ? expected : expected.toLowerCase();
    switch (op) {
      case 'eq':
        return a === e;
      case 'ne':
        return a !== e;
      case 'co':
        return a.includes(e);
      case 'sw':
        return a.startsWith(e);
      case 'ew':
        return a.endsWith(e);
      case 'gt':
        return a > e;
      case 'ge':
        return a >= e;
      case 'lt':
        return a < e;
      case 'le':
        return a <= e;
    }
    return false;
  }
  if (op === 'eq') return actual === expected;
  if (op === 'ne') return actual !== expected;
  if (typeof actual === 'number' && typeof expected === 'number') {
    if (op === 'gt') return actual > expected;
    if (op === 'ge') return actual >= expected;
    if (op === 'lt') return actual < expected;
    if (op === 'le') return actual <= expected;
  }
  return false;
}

function predicateOf(filter: Filter, prefix = ''): ResourcePredicate {
  switch (filter.op) {
    case 'and': {
      const parts = filter.filters.map((f) => predicateOf(f, prefix));
      return (r) => parts.every((p) => p(r));
    }
    case 'or': {
      const parts = filter.filters.map((f) => predicateOf(f, prefix));
      return (r) => parts.some((p) => p(r));
    }
    case 'not': {
      const inner = predicateOf(filter.filter, prefix);
      return (r) => !inner(r);
    }
    case '[]': {
      const { attrPath } = filter;
      const inner = predicateOf(filter.valFilter, `${prefix}${attrPath}.`);
      return (r) =>
        valuesAt(r, attrPath).some(
          (item) => typeof item === 'object' && item !== null && inner(item as Record<string, unknown>),
        );
    }
    case 'pr': {
      const { attrPath } = filter;
      return (r) => valuesAt(r, attrPath).some((v) => v !== null && v !== '' && !(Array.isArray(v) && v.length === 0));
    }
    default: {
      const { op, attrPath, compValue } = filter;
      // `members eq "x"` means its `value` sub-attribute (RFC 7644 §3.4.2.2: a complex attribute's default is `value`).
      const exact =
        caseExact.has(`${prefix}${attrPath}`.toLowerCase()) ||
        caseExact.has(`${prefix}${attrPath}.value`.toLowerCase());
      return (r) =>
        valuesAt(r, attrPath).some((actual) => {
          const v =
            typeof actual === 'object' && actual !== null && !Array.isArray(actual)
              ? valuesAt(actual, 'value')[0]
              : actual;
          return compare(op, v, compValue, exact);
        });
    }
  }
}

/** A SCIM filter (RFC 7644 §3.4.2.2) as a predicate over rendered resources; a malformed one is 400 `invalidFilter`. */
export function scimFilter(
  expression: string,
): { ok: true; matches: ResourcePredicate } | { ok: false; rejection: ScimRejection } {
  if (expression.length > maxFilterLength)
    return {
      ok: false,
      rejection: {
        status: 400,
        scimType: 'invalidFilter',
        detail: `filter is longer than ${maxFilterLength} characters`,
      },
    };
  try {
    return { ok: true, matches: predicateOf(parse(expression)) };
  } catch (error) {
    return {
      ok: false,
      rejection: {
        status: 400,
        scimType: 'invalidFilter',
        detail: `filter is not a SCIM filter: ${error instanceof Error ? error.message.slice(0, 200) : 'unparsable'}`,
      },
    };
  }
}
