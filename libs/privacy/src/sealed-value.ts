/**
 * A personal value as it is stored: AES-256-GCM ciphertext under a data key that only the keys of all its subjects
 * together yield, so erasing any one subject's key makes it unreadable. Subjects and key ids stay in clear (ids only).
 */
export interface SealedValue {
  readonly $sealed: 1;
  /** The user ids the value is about (its author first), sorted after the author; opaque ids, never personal data. */
  readonly subjects: readonly string[];
  /** The subject key ids, one per subject, in the order of `subjects`. */
  readonly keys: readonly string[];
  /** Base64 of the 12-byte GCM nonce. */
  readonly iv: string;
  /** Base64 of ciphertext followed by the 16-byte GCM tag. */
  readonly data: string;
}

import { isLegacyClearText, type LegacyClearText } from '@access-audit/domain';

/**
 * A personal text field: sealed; in a decoded event written before sealing, legacy clear (`{ $clear }`); in an audit
 * entry or read model derived from such an event, the plain string the code of then wrote.
 */
export type PersonalText = string | SealedValue | LegacyClearText;

/** What an opened value reads as once a subject's key is gone. */
export const erasedText = '[erased]';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function isSealedValue(value: unknown): value is SealedValue {
  if (!isRecord(value) || value.$sealed !== 1) return false;
  const { subjects, keys, iv, data } = value;
  return (
    Array.isArray(subjects) &&
    Array.isArray(keys) &&
    subjects.length > 0 &&
    subjects.length === keys.length &&
    subjects.every((s) => typeof s === 'string') &&
    keys.every((k) => typeof k === 'string') &&
    typeof iv === 'string' &&
    typeof data === 'string'
  );
}

/** Whether a value is a personal text as stored (sealed, or a legacy clear string or value). */
export const isPersonalText = (value: unknown): value is PersonalText =>
  typeof value === 'string' || isSealedValue(value) || isLegacyClearText(value);

/** The type a value reads as once every sealed value inside it is opened. */
export type Revealed<T> = T extends SealedValue
  ? string
  : T extends LegacyClearText
    ? string
    : T extends readonly (infer U)[]
      ? Revealed<U>[]
      : T extends object
        ? { [K in keyof T]: Revealed<T[K]> }
        : T;

/** RFC 6901 JSON pointer of a path. */
const pointerOf = (path: readonly string[]): string =>
  path.map((name) => `/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

/** Every sealed value inside `value`, with its JSON pointer (in document order). */
export function sealedValuesIn(
  value: unknown,
  path: string[] = [],
  into: [string, SealedValue][] = [],
): [string, SealedValue][] {
  if (typeof value !== 'object' || value === null) return into;
  if (isSealedValue(value)) {
    into.push([pointerOf(path), value]);
    return into;
  }
  if (Array.isArray(value)) value.forEach((item, index) => sealedValuesIn(item, [...path, String(index)], into));
  else for (const [name, item] of Object.entries(value)) sealedValuesIn(item, [...path, name], into);
  return into;
}
