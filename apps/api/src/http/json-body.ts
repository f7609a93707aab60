import { validationProblem, type FieldError } from './problem';

/** Deepest nesting of objects and arrays a body may have; the deepest DTO needs 4 (`rateLimitRules.set[0].id`). */
export const maxBodyDepth = 16;

/** Keys no DTO has, which JavaScript gives a meaning to: refused like any unknown field, never dropped in silence. */
const prototypeKeys: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Enough to say what is wrong without answering a 64 KiB body with a far larger problem. */
const maxReported = 50;

const pathOf = (parent: string, key: string | number): string =>
  typeof key === 'number' ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key;

/**
 * What makes a parsed value unfit for any DTO, found without recursion (so no nesting can overflow the stack):
 * keys that name JavaScript's prototype machinery, and nesting deeper than `maxBodyDepth`.
 */
export function unsafeShapeErrors(value: unknown): FieldError[] {
  const errors: FieldError[] = [];
  const pending: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: '', depth: 1 }];
  while (pending.length > 0 && errors.length < maxReported) {
    const { value: node, path, depth } = pending.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > maxBodyDepth) {
      errors.push({
        field: path || 'body',
        rule: 'maxDepth',
        message: `the body may nest objects and arrays at most ${maxBodyDepth} levels deep`,
      });
      break;
    }
    if (Array.isArray(node)) {
      for (let index = node.length - 1; index >= 0; index--)
        pending.push({ value: node[index], path: pathOf(path, index), depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(node);
    for (const key of keys) {
      if (prototypeKeys.has(key))
        errors.push({
          field: pathOf(path, key),
          rule: 'whitelistValidation',
          message: `property ${key} should not exist`,
        });
    }
    for (let index = keys.length - 1; index >= 0; index--) {
      const key = keys[index]!;
      if (!prototypeKeys.has(key))
        pending.push({ value: (node as Record<string, unknown>)[key], path: pathOf(path, key), depth: depth + 1 });
    }
  }
  return errors.slice(0, maxReported);
}

/**
 * Parses a JSON request body: a JSON object (every route that takes a body takes one), no deeper than `maxBodyDepth`,
 * without prototype keys. Anything else is a 400 naming the field and the rule, before any interceptor, pipe or
 * recursive code sees the body.
 */
export function parseJsonBody(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    // A byte order mark is not JSON, but JSON texts may start with one (RFC 8259 §8.1).
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    // JSON.parse's message quotes the body, which may hold a secret: never repeated.
    throw validationProblem([{ field: 'body', rule: 'wellFormed', message: 'the body is not valid JSON' }]);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw validationProblem([
      { field: 'body', rule: 'isObject', message: 'the body must be a JSON object (or absent where none is needed)' },
    ]);
  }
  const errors = unsafeShapeErrors(value);
  if (errors.length > 0) throw validationProblem(errors);
  return value as Record<string, unknown>;
}
