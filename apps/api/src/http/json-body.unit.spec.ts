import { ProblemException, type FieldError } from './problem';
import { maxBodyDepth, parseJsonBody } from './json-body';

function errorsOf(text: string): FieldError[] {
  try {
    parseJsonBody(text);
  } catch (error) {
    if (error instanceof ProblemException && error.problem.status === 400) return error.problem.errors ?? [];
    throw error;
  }
  throw new Error(`accepted: ${text.slice(0, 40)}`);
}

const nestedArrays = (levels: number): string => `{"a":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;

describe('parseJsonBody', () => {
  it('returns a JSON object as JSON.parse does, a leading byte order mark aside', () => {
    expect(parseJsonBody('{"userId":"bob","tags":[1,{"x":null}]}')).toEqual({ userId: 'bob', tags: [1, { x: null }] });
    expect(parseJsonBody('\ufeff{"a":1}')).toEqual({ a: 1 });
  });

  it.each(['null', '[]', '[{"a":1}]', '"text"', '0', 'false'])('refuses %s: the body must be an object', (text) => {
    expect(errorsOf(text)).toEqual([{ field: 'body', rule: 'isObject', message: expect.any(String) }]);
  });

  it('refuses invalid JSON without quoting it', () => {
    const errors = errorsOf('{"password":"hunter2",');
    expect(errors).toEqual([{ field: 'body', rule: 'wellFormed', message: expect.any(String) }]);
    expect(JSON.stringify(errors)).not.toContain('hunter2');
  });

  it(`accepts nesting ${maxBodyDepth} levels deep and refuses one more, naming where`, () => {
    expect(parseJsonBody(nestedArrays(maxBodyDepth))).toBeDefined();
    expect(errorsOf(nestedArrays(maxBodyDepth + 1))).toEqual([
      { field: `a${'[0]'.repeat(maxBodyDepth - 1)}`, rule: 'maxDepth', message: expect.any(String) },
    ]);
  });

  it('refuses 100,000 levels of objects or arrays with a 400, not a stack overflow', () => {
    expect(errorsOf(nestedArrays(100_000))).toEqual([expect.objectContaining({ rule: 'maxDepth' })]);
    const objects = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    expect(errorsOf(objects)).toEqual([expect.objectContaining({ rule: 'maxDepth' })]);
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses a %s key wherever it is, with its path', (key) => {
    expect(errorsOf(`{"${key}":{"polluted":true}}`)).toEqual([
      { field: key, rule: 'whitelistValidation', message: `property ${key} should not exist` },
    ]);
    expect(errorsOf(`{"set":[{"id":"a"},{"${key}":1}]}`)).toEqual([
      expect.objectContaining({ field: `set[1].${key}`, rule: 'whitelistValidation' }),
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reports a bounded number of errors for a body made of prototype keys', () => {
    const many = `{"list":[${Array.from({ length: 2000 }, () => '{"__proto__":1}').join(',')}]}`;
    const errors = errorsOf(many);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.length).toBeLessThanOrEqual(50);
  });
});
