import { canonicalJson } from './canonical-json';

describe('canonicalJson (RFC 8785)', () => {
  it('sorts members by name at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { f: true, e: null }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"e":null,"f":true}]},"b":1}',
    );
  });

  it('sorts integer-like names as text, not as numbers', () => {
    expect(canonicalJson({ '10': 'a', '9': 'b', x: 'c' })).toBe('{"10":"a","9":"b","x":"c"}');
  });

  it('sorts by UTF-16 code units and escapes as JSON.stringify does', () => {
    expect(canonicalJson({ '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, é: 4 })).toBe('{"\\r":2,"é":4,"€":1,"😀":3}');
    expect(canonicalJson('line\n"quoted"\u2028')).toBe('"line\\n\\"quoted\\"\u2028"');
  });

  it('writes numbers in their shortest round-trip form', () => {
    expect(canonicalJson([1e21, 0.1, -0, 1.5e-7, 100])).toBe('[1e+21,0.1,0,1.5e-7,100]');
  });

  it('drops undefined members and writes undefined array items as null', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, 1] })).toBe('{"b":[null,1]}');
  });

  it('refuses values JSON cannot represent', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ a: 1n })).toThrow(TypeError);
  });

  it('gives the same text for the same value whatever the member order', () => {
    expect(canonicalJson({ x: 1, y: { b: 2, a: 1 } })).toBe(canonicalJson({ y: { a: 1, b: 2 }, x: 1 }));
  });
});
