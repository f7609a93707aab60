import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { AuthenticationError, JwtVerifier, jwksRefetchCooldownMs } from './jwt-verifier';

/** Verification against an identity provider's JWKS, served by a local HTTP server. */
describe('JwtVerifier with AUTH_JWKS_URL', () => {
  let server: Server;
  let jwksUrl: string;
  let privateKey: KeyLike;
  const issuer = 'https://idp.example/';
  const audience = 'access-audit';

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
    server = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const verifier = () => new JwtVerifier({ kind: 'jwks', jwksUrl, issuer, audience });
  const sign = (
    claims: Record<string, unknown> = {},
    key: KeyLike | Uint8Array = privateKey,
    alg = 'RS256',
    kid = 'key-1',
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg, kid })
      .setSubject('alice')
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime('5m')
      .sign(key);

  const reasonFor = async (token: string): Promise<AuthenticationError> => {
    try {
      await verifier().verify(token);
    } catch (error) {
      if (error instanceof AuthenticationError) return error;
      throw error;
    }
    throw new Error('the token was accepted');
  };

  it('accepts an RS256 token from the provider; the scope claim may be an array', async () => {
    await expect(verifier().verify(await sign())).resolves.toEqual({ userId: 'alice', scopes: [], isReader: false });
    await expect(verifier().verify(await sign({ scp: ['access:read'] }))).resolves.toMatchObject({ isReader: true });
  });

  it('refuses another audience or issuer', async () => {
    const otherAudience = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
      .setSubject('alice')
      .setIssuer(issuer)
      .setAudience('someone-else')
      .setExpirationTime('5m')
      .sign(privateKey);
    expect((await reasonFor(otherAudience)).reason).toMatch(/"aud"/);
    const otherIssuer = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
      .setSubject('alice')
      .setIssuer('https://evil.example/')
      .setAudience(audience)
      .setExpirationTime('5m')
      .sign(privateKey);
    expect((await reasonFor(otherIssuer)).reason).toMatch(/"iss"/);
  });

  it('refuses an HMAC token (a public key must never serve as an HMAC secret)', async () => {
    const hmac = await sign({}, new TextEncoder().encode('k'.repeat(32)), 'HS256');
    expect((await reasonFor(hmac)).reason).toMatch(/algorithm is not accepted/);
  });

  it('refuses a token signed by a key the provider does not publish', async () => {
    const stranger = (await generateKeyPair('RS256')).privateKey;
    expect((await reasonFor(await sign({}, stranger, 'RS256', 'key-2'))).reason).toMatch(/no key/);
    expect((await reasonFor(await sign({}, stranger, 'RS256', 'key-1'))).reason).toMatch(/signature/);
  });

  it('an unreachable provider is "unavailable", not a bad token', async () => {
    const down = new JwtVerifier({ kind: 'jwks', jwksUrl: 'http://127.0.0.1:9/jwks.json' });
    const error = await down.verify(await sign()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).unavailable).toBe(true);
  });
});

/** An identity provider that rotates its signing key, as a real one does (panva oidc-provider, Keycloak…). */
describe('JwtVerifier when the identity provider rotates its key', () => {
  let server: Server;
  let jwksUrl: string;
  let published: object[] = [];
  let fetches = 0;

  const keyPair = async (kid: string) => {
    const pair = await generateKeyPair('ES256');
    return { kid, privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256' } };
  };
  const sign = (key: { kid: string; privateKey: KeyLike }, kid = key.kid) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid })
      .setSubject('alice')
      .setExpirationTime('5m')
      .sign(key.privateKey);
  const accepted = (verifier: JwtVerifier, token: string) =>
    verifier.verify(token).then(
      () => true,
      (error: unknown) => {
        if (error instanceof AuthenticationError && !error.unavailable) return false;
        throw error;
      },
    );
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  beforeAll(async () => {
    server = createServer((_request, response) => {
      fetches += 1;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('accepts a token signed by the new key by the one refetch the cooldown lets through after the rotation', async () => {
    const [oldKey, newKey] = await Promise.all([keyPair('2026-01'), keyPair('2026-02')]);
    published = [oldKey.jwk];
    const verifier = new JwtVerifier({ kind: 'jwks', jwksUrl });
    expect(await accepted(verifier, await sign(oldKey))).toBe(true);

    published = [newKey.jwk, oldKey.jwk];
    fetches = 0;
    const rotatedAt = Date.now();
    const token = await sign(newKey);
    // Accepted once the cooldown since the last fetch has passed. Without the refetch for an unknown kid it would wait for
    // the cached JWKS to expire (verifiedTokenMaxAgeMs, 10 min): ten cooldowns tell the two apart on a busy machine too.
    let acceptedNow = false;
    while (!(acceptedNow = await accepted(verifier, token)) && Date.now() - rotatedAt < 10 * jwksRefetchCooldownMs)
      await sleep(50);
    expect(acceptedNow).toBe(true);
    expect(fetches).toBe(1);
  }, 30_000);

  it('refetches for unknown kids at most once per cooldown', async () => {
    const key = await keyPair('current');
    published = [key.jwk];
    const verifier = new JwtVerifier({ kind: 'jwks', jwksUrl });
    expect(await accepted(verifier, await sign(key))).toBe(true);
    fetches = 0;

    const started = Date.now();
    let attempts = 0;
    // Two cooldowns and more than 100 made-up kids, however long those take on a busy machine.
    while (Date.now() - started < 2 * jwksRefetchCooldownMs || attempts <= 100) {
      // Each a different made-up kid, ten at a time: none of them may make a fetch of its own.
      const batch = await Promise.all(Array.from({ length: 10 }, () => sign(key, `made-up-${attempts++}`)));
      expect(await Promise.all(batch.map((token) => accepted(verifier, token)))).not.toContain(true);
      await sleep(20);
    }
    const cooldownsElapsed = Math.ceil((Date.now() - started) / jwksRefetchCooldownMs);
    expect(attempts).toBeGreaterThan(100);
    expect(fetches).toBeGreaterThanOrEqual(1);
    expect(fetches).toBeLessThanOrEqual(cooldownsElapsed);
  }, 30_000);
});
