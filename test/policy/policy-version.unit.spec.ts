import { createHash } from 'node:crypto';
import * as policy from '../../libs/domain/src/policy/policy';

/** Every table of the policy, as one canonical JSON text (keys sorted), without its version. */
const tablesText = (): string => {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : typeof value === 'object' && value !== null
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
          )
        : value;
  const tables = Object.entries(policy).filter(
    ([name, value]) => name !== 'policyVersion' && typeof value !== 'function',
  );
  return JSON.stringify(canonical(Object.fromEntries(tables)));
};

/**
 * The digest of the policy tables under each `policyVersion` ever recorded on a decision. Changing a row changes the
 * digest: add a new version here and in policy.ts, never edit a released one, since events keep the version they had.
 */
const releasedPolicies: ReadonlyArray<readonly [version: string, tablesSha256: string]> = [
  // 2026-11-26.1 and earlier were released before digests were kept here.
  ['2026-12-01.1', '3e1af543c664b16543eb9fcc4602dfdc914aa8e558846f06fb8c88e79edcbeee'],
];

describe('policyVersion names the policy tables recorded with every decision', () => {
  it('the tables are those released under the current policyVersion', () => {
    const digest = createHash('sha256').update(tablesText()).digest('hex');
    expect([policy.policyVersion, digest]).toEqual(releasedPolicies[releasedPolicies.length - 1]);
  });

  it('versions only grow and no two released versions share tables', () => {
    const versions = releasedPolicies.map(([version]) => version);
    // `YYYY-MM-DD.N`: by date, then by N as a number (so .10 follows .9).
    const order = (version: string): [string, number] => [version.slice(0, 10), Number(version.slice(11))];
    const sorted = [...versions].sort((a, b) => {
      const [[dayA, nA], [dayB, nB]] = [order(a), order(b)];
      return dayA === dayB ? nA - nB : dayA < dayB ? -1 : 1;
    });
    expect(sorted).toEqual(versions);
    for (const version of versions) expect(version).toMatch(/^\d{4}-\d{2}-\d{2}\.\d+$/);
    expect(new Set(releasedPolicies.map(([, digest]) => digest)).size).toBe(releasedPolicies.length);
  });
});
