import { ProblemException } from '../http/problem';
import { etagOf, expectedRevisionOf } from './command-context';

describe('If-Match → expected revision', () => {
  it.each([
    ['7', 7],
    ['"7"', 7],
    ['W/"12"', 12],
    [' "0" ', 0],
    [etagOf(41), 41],
  ])('%s is revision %d', (header, revision) => {
    expect(expectedRevisionOf(header)).toBe(revision);
  });

  it('no header: no expectation', () => {
    expect(expectedRevisionOf(undefined)).toBeUndefined();
  });

  it.each(['*', 'abc', '"7', '1.5', '"7", "8"', ''])('%j is a 400 naming If-Match', (header) => {
    expect(() => expectedRevisionOf(header)).toThrow(ProblemException);
    try {
      expectedRevisionOf(header);
    } catch (error) {
      expect((error as ProblemException).problem).toMatchObject({ status: 400, errors: [{ field: 'If-Match' }] });
    }
  });
});
