/**
 * Canonical JSON as in RFC 8785 (JSON Canonicalization Scheme) for the values audit entries hold: object members sorted
 * by their names' UTF-16 code units, no whitespace, strings and numbers written as `JSON.stringify` writes them (which
 * is what RFC 8785 specifies). `undefined` members are dropped, as JSON.stringify drops them.
 *
 * The text is built directly rather than by re-inserting sorted keys into an object: JavaScript enumerates integer-like
 * keys ("10", "9") numerically, which would break the sort order.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON has no representation for ${value}`);
      return JSON.stringify(value);
    case 'object':
      return Array.isArray(value) ? canonicalArray(value) : canonicalObject(value as Record<string, unknown>);
    default:
      throw new TypeError(`canonical JSON has no representation for a ${typeof value}`);
  }
}

function canonicalArray(items: readonly unknown[]): string {
  return `[${items.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
}

function canonicalObject(object: Record<string, unknown>): string {
  const members: string[] = [];
  for (const key of Object.keys(object).sort()) {
    const member = object[key];
    if (member !== undefined) members.push(`${JSON.stringify(key)}:${canonicalJson(member)}`);
  }
  return `{${members.join(',')}}`;
}
