import { createHash, verify } from 'node:crypto';
import { canonicalJson, CheckpointSigner } from '@access-audit/audit';
import type { AccessReviewEvidence } from '../evidence/evidence';
import { signEvidence } from '../evidence/signature';
import { populationDigest, projectRoleItemId, type PopulationItem } from './population';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * The population digest and the evidence signature are computed over the audit log's canonical JSON (RFC 8785), so an
 * auditor can recompute them with any RFC 8785 implementation. JavaScript enumerates integer-like member names ("9",
 * "10") numerically before the others; RFC 8785 sorts every name by UTF-16 code units: "10" < "9" < "a".
 */
describe('canonical JSON of access-review digests and signatures (RFC 8785)', () => {
  it('orders integer-like and other member names by code units, whatever order they were inserted in', () => {
    const numericFirst: Record<string, string> = { 9: 'nine', 10: 'ten', a: 'letter' };
    const letterFirst: Record<string, string> = {};
    letterFirst.a = 'letter';
    letterFirst['10'] = 'ten';
    letterFirst['9'] = 'nine';
    expect(Object.keys(numericFirst)).toEqual(['9', '10', 'a']);

    const canonical = '{"10":"ten","9":"nine","a":"letter"}';
    expect(canonicalJson(numericFirst)).toBe(canonical);
    expect(canonicalJson(letterFirst)).toBe(canonical);
    expect(canonicalJson({ grants: [letterFirst] })).toBe(`{"grants":[${canonical}]}`);
    expect(sha256(canonicalJson(letterFirst))).toBe(sha256(canonical));
  });

  it('gives a population digest equal to the SHA-256 of the canonical text, however the items were built', () => {
    const grant = (projectId: string): PopulationItem => ({
      itemId: projectRoleItemId('cole', projectId),
      kind: 'project_role',
      userId: 'cole',
      projectId,
      role: 'project_admin',
      grantedBy: 'alice',
      grantedAt: '2026-01-15T10:00:00.000Z',
      privileged: true,
    });
    const items = ['a', '9', '10'].map(grant);
    const text = (projectId: string) =>
      `{"grantedAt":"2026-01-15T10:00:00.000Z","grantedBy":"alice","itemId":"project_role:cole:${projectId}",` +
      `"kind":"project_role","privileged":true,"projectId":"${projectId}","role":"project_admin","userId":"cole"}`;
    const canonical = `[${text('10')},${text('9')},${text('a')}]`;

    const digest = populationDigest(items);
    expect(digest).toEqual({ algorithm: 'sha256', value: sha256(canonical) });
    // Same grants, members inserted in another order and items in another order: same digest.
    const rebuilt = [...items].reverse().map((item) => Object.fromEntries(Object.entries(item).reverse()));
    expect(populationDigest(rebuilt as PopulationItem[])).toEqual(digest);
  });

  it('signs evidence over the same canonical text', () => {
    const signer = CheckpointSigner.generate();
    // Not a whole evidence document: the signature covers whatever members it has, integer-like names included.
    const evidence = { campaign: { reviewId: 'q1' }, counts: { 9: 1, 10: 2, a: 3 } } as unknown as AccessReviewEvidence;
    const { signature } = signEvidence(evidence, signer);
    const canonical = Buffer.from('{"campaign":{"reviewId":"q1"},"counts":{"10":2,"9":1,"a":3}}', 'utf8');
    expect(verify(null, canonical, signer.publicKey, Buffer.from(signature.value, 'base64'))).toBe(true);
  });
});
