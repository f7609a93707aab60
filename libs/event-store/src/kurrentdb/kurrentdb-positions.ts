import type { Position } from '@kurrent/kurrentdb-client';

/** KurrentDB positions as opaque strings: "<commit>/<prepare>", compared numerically as a pair. */

const POSITION = /^(0|[1-9][0-9]*)\/(0|[1-9][0-9]*)$/;

export function encodeKurrentPosition(position: Position): string {
  return `${position.commit.toString()}/${position.prepare.toString()}`;
}

export function decodeKurrentPosition(encoded: string): Position {
  const match = POSITION.exec(encoded);
  if (!match) throw new RangeError(`not a KurrentDB position: ${JSON.stringify(encoded)}`);
  return { commit: BigInt(match[1]), prepare: BigInt(match[2]) };
}

export function compareKurrentPositions(a: string, b: string): number {
  const left = decodeKurrentPosition(a);
  const right = decodeKurrentPosition(b);
  if (left.commit !== right.commit) return left.commit < right.commit ? -1 : 1;
  if (left.prepare !== right.prepare) return left.prepare < right.prepare ? -1 : 1;
  return 0;
}

/** Before the first event of the log. */
export const KURRENT_START = '0/0';
