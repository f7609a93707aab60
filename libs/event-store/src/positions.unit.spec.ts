import fc from 'fast-check';
import { compareKurrentPositions, decodeKurrentPosition, encodeKurrentPosition } from './kurrentdb/kurrentdb-positions';
import { compareSequencePositions } from './internal/sequence-positions';
import {
  comparePostgresPositions,
  decodePostgresPosition,
  encodePostgresPosition,
} from './postgres/postgres-positions';

describe('sequence positions', () => {
  it('compare numerically, not as text', () => {
    expect(compareSequencePositions('9', '10')).toBeLessThan(0);
    expect(compareSequencePositions('10', '9')).toBeGreaterThan(0);
    expect(compareSequencePositions('12345678901234567890', '12345678901234567890')).toBe(0);
  });

  it('refuse what no embedded store issues', () => {
    expect(() => compareSequencePositions('1/1', '2')).toThrow(RangeError);
    expect(() => compareSequencePositions('01', '2')).toThrow(RangeError);
  });
});

describe('KurrentDB positions', () => {
  const position = fc.record({
    commit: fc.bigInt({ min: 0n, max: 2n ** 64n }),
    prepare: fc.bigInt({ min: 0n, max: 2n ** 64n }),
  });

  it('round-trip through their text form', () => {
    fc.assert(fc.property(position, (p) => expect(decodeKurrentPosition(encodeKurrentPosition(p))).toEqual(p)));
  });

  it('compare by commit, then prepare', () => {
    fc.assert(
      fc.property(position, position, (a, b) => {
        const expected =
          a.commit !== b.commit ? Math.sign(Number(a.commit - b.commit)) : Math.sign(Number(a.prepare - b.prepare));
        expect(Math.sign(compareKurrentPositions(encodeKurrentPosition(a), encodeKurrentPosition(b)))).toBe(expected);
      }),
    );
    expect(compareKurrentPositions('9/9', '10/0')).toBeLessThan(0);
  });
});

describe('PostgreSQL positions', () => {
  const position = fc.record({
    transactionId: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    sequence: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
  });

  it('round-trip through their text form', () => {
    fc.assert(
      fc.property(position, (p) =>
        expect(decodePostgresPosition(encodePostgresPosition(p.transactionId, p.sequence))).toEqual(p),
      ),
    );
  });

  it('compare by writing transaction, then sequence: a lower sequence of a later transaction comes after', () => {
    fc.assert(
      fc.property(position, position, (a, b) => {
        const expected =
          a.transactionId !== b.transactionId
            ? Math.sign(Number(a.transactionId - b.transactionId))
            : Math.sign(Number(a.sequence - b.sequence));
        const encodedA = encodePostgresPosition(a.transactionId, a.sequence);
        const encodedB = encodePostgresPosition(b.transactionId, b.sequence);
        expect(Math.sign(comparePostgresPositions(encodedA, encodedB))).toBe(expected);
      }),
    );
    expect(comparePostgresPositions('9:100', '10:1')).toBeLessThan(0);
  });

  it('refuse what this store does not issue', () => {
    expect(() => comparePostgresPositions('12', '1:1')).toThrow(RangeError);
    expect(() => comparePostgresPositions('1/1', '1:1')).toThrow(RangeError);
    expect(() => comparePostgresPositions('01:1', '1:1')).toThrow(RangeError);
  });
});
