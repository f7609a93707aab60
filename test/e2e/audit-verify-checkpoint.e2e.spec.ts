/**
 * GET /v1/teams/{teamId}/audit/verify names the signed head: the verified checkpoint that vouches for the most entries,
 * with its signature, which the public key of /v1/audit/public-key verifies with WebCrypto as a browser would.
 */
import { webcrypto } from 'node:crypto';
import { startTestApi, type TestApi, type UserClient } from './support/test-api';

interface Checkpoint {
  kind: string;
  teamId: string;
  sequence: number;
  headHash: string;
  signedAt: string;
  algorithm: string;
  keyId: string;
  signature: string;
}

/** The signed bytes written by hand: canonical JSON (keys sorted) of the five signed fields. */
const signedText = (c: Checkpoint): string =>
  `{"headHash":${JSON.stringify(c.headHash)},"keyId":${JSON.stringify(c.keyId)},"sequence":${c.sequence},` +
  `"signedAt":${JSON.stringify(c.signedAt)},"teamId":${JSON.stringify(c.teamId)}}`;

async function webCryptoVerifies(pem: string, checkpoint: Checkpoint): Promise<boolean> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const key = await webcrypto.subtle.importKey('spki', der, { name: 'Ed25519' }, false, ['verify']);
  return webcrypto.subtle.verify(
    { name: 'Ed25519' },
    key,
    Buffer.from(checkpoint.signature, 'base64'),
    new TextEncoder().encode(signedText(checkpoint)),
  );
}

describe('audit verify: the signed checkpoint (e2e)', () => {
  let api: TestApi;
  let alice: UserClient;

  beforeAll(async () => {
    api = await startTestApi();
    alice = await api.as('alice');
    await alice.post('/v1/teams', { id: 'acme', name: 'Acme', plan: 'enterprise' }).expect(201);
    await alice.post('/v1/teams/acme/members', { userId: 'bob', role: 'member' }).expect(201);
  });
  afterAll(() => api.close());

  const verify = async (position?: string) =>
    (
      await alice
        .get(`/v1/teams/acme/audit/verify${position ? `?minPosition=${encodeURIComponent(position)}` : ''}`)
        .expect(200)
    ).body as { valid: boolean; entries: number; head: string; signedThrough: number; checkpoint: Checkpoint | null };

  it('is null before any checkpoint is signed', async () => {
    const last = await alice.put('/v1/teams/acme/members/bob/role', { role: 'security' }).expect(200);
    const verified = await verify(last.body.position);
    expect(verified).toMatchObject({ valid: true, signedThrough: 0, checkpoint: null });
    expect(verified.entries).toBeGreaterThan(0);
  });

  it('is the last checkpoint the store holds, vouching for signedThrough, verified by WebCrypto with the public key', async () => {
    const exported = await alice.get('/v1/teams/acme/audit?format=ndjson').buffer(true).expect(200);
    const lines = String(exported.text).trimEnd().split('\n');
    const signed = JSON.parse(lines[lines.length - 1]!) as Checkpoint;
    expect(signed.kind).toBe('checkpoint');

    const verified = await verify();
    expect(verified.checkpoint).toEqual(signed);
    expect(verified.checkpoint).toMatchObject({
      teamId: 'acme',
      sequence: verified.signedThrough,
      headHash: verified.head,
      algorithm: 'Ed25519',
    });
    const publicKey = await api.http().get('/v1/audit/public-key').expect(200);
    expect(verified.checkpoint!.keyId).toBe(publicKey.headers['x-key-id']);
    await expect(webCryptoVerifies(publicKey.text, verified.checkpoint!)).resolves.toBe(true);
    await expect(
      webCryptoVerifies(publicKey.text, { ...verified.checkpoint!, headHash: '0'.repeat(64) }),
    ).resolves.toBe(false);

    // Entries recorded after it: the checkpoint stays the signed head, behind the chain's head.
    const later = await alice.put('/v1/teams/acme/members/bob/role', { role: 'member' }).expect(200);
    const after = await verify(later.body.position);
    expect(after.checkpoint).toEqual(signed);
    expect(after.entries).toBeGreaterThan(signed.sequence);
    expect(after.head).not.toBe(signed.headHash);
  });
});
