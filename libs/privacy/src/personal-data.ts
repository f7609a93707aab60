import { sealedValuesIn, type PersonalText, type Revealed, type SealedValue } from './sealed-value';

/**
 * The one reader of personal data, used by every surface that shows a personal field (answers, exports, evidence,
 * feeds, drain batches, log lines) at the moment it answers: the plaintext, or `"[erased]"` once a subject's key is gone.
 */
export interface PersonalData {
  /** One field: a legacy clear string as it is, a sealed value opened (or `"[erased]"`). */
  open(value: PersonalText): Promise<string>;
  /** A copy of `value` with every sealed value inside it (at any depth) opened; everything else as it is. */
  reveal<T>(value: T): Promise<Revealed<T>>;
}

/** Seals personal values just before they are appended (the application layer); the domain never sees this. */
export interface PersonalDataSealer {
  /** Seals `plaintext` under the keys of all `subjects` (the author first); creates a subject's key on first use. */
  seal(plaintext: string, subjects: readonly string[]): Promise<SealedValue>;
}

/**
 * The opened text of every sealed value inside `record`, by JSON pointer (`{"/reason": "…", "/context/ip": "[erased]"}`);
 * undefined when it holds none. What an NDJSON line or drain batch carries beside the sealed values its hash covers.
 */
export async function revealedFields(
  record: unknown,
  personalData: PersonalData,
): Promise<Record<string, string> | undefined> {
  const sealed = sealedValuesIn(record);
  if (sealed.length === 0) return undefined;
  const revealed: Record<string, string> = Object.create(null) as Record<string, string>;
  const texts = await personalData.reveal(sealed.map(([, value]) => value));
  sealed.forEach(([pointer], index) => {
    revealed[pointer] = texts[index];
  });
  return revealed;
}
