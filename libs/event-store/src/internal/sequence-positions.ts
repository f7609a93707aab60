/** Positions of the embedded stores: the global sequence number of an event, as a decimal string. */

const DECIMAL = /^(0|[1-9][0-9]*)$/;

export function parseSequencePosition(position: string): bigint {
  if (!DECIMAL.test(position)) throw new RangeError(`not a position of this store: ${JSON.stringify(position)}`);
  return BigInt(position);
}

export function compareSequencePositions(a: string, b: string): number {
  const left = parseSequencePosition(a);
  const right = parseSequencePosition(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** The position before the first event; "after" it means "from the beginning". */
export const SEQUENCE_START = '0';
