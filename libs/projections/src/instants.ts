/** Milliseconds since the epoch of an ISO-8601 instant, or undefined when it is not one. */
export function instantMs(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  // Date.parse also accepts forms like "March 3"; an instant must at least start with a full date.
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
