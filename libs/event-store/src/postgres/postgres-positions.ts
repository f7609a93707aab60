/**
 * PostgreSQL positions as opaque strings: "<transaction id>:<sequence>", both decimal, compared as a pair. The writing
 * transaction comes first because readers follow transactions as they end below the snapshot's xmin.
 */

const POSITION = /^(0|[1-9][0-9]*):(0|[1-9][0-9]*)$/;

export interface PostgresPosition {
  transactionId: bigint;
  sequence: bigint;
}

/** Before every event: no transaction id is 0. */
export const POSTGRES_START: PostgresPosition = { transactionId: 0n, sequence: 0n };

export function encodePostgresPosition(transactionId: string | bigint, sequence: string | bigint): string {
  return `${transactionId.toString()}:${sequence.toString()}`;
}

export function decodePostgresPosition(encoded: string): PostgresPosition {
  const match = POSITION.exec(encoded);
  if (!match) throw new RangeError(`not a PostgreSQL store position: ${JSON.stringify(encoded)}`);
  return { transactionId: BigInt(match[1]), sequence: BigInt(match[2]) };
}

export function comparePostgresPositions(a: string, b: string): number {
  const left = decodePostgresPosition(a);
  const right = decodePostgresPosition(b);
  if (left.transactionId !== right.transactionId) return left.transactionId < right.transactionId ? -1 : 1;
  return left.sequence < right.sequence ? -1 : left.sequence > right.sequence ? 1 : 0;
}
