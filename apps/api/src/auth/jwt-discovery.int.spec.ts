import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { AuthenticationError, JwtVerifier, jwksRefetchCooldownMs } from './jwt-verifier';

/** AUTH_OIDC_ISSUER without AUTH_JWKS_URL: the keys come from the `jwks_uri` of the provider's discovery document. */
describe('JwtVerifier with the keys of an OpenID provider found through its discovery', () => {
  let server: Server;
  let issuer: string;
  let privateKey: KeyLike;
  /** What the discovery document says its issuer is (the provider's own URL unless a test changes it). */
  let announcedIssuer: string | undefined;
  let discoveryAnswers = 0;
  const audience = 'urn:access-audit';

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
    server = createServer((request, response) => {
      response.setHeader('content-type', 'application/json');
      if (request.url === '/.well-known/openid-configuration') {
        discoveryAnswers++;
        response.end(JSON.stringify({ issuer: announcedIssuer ?? issuer, jwks_uri: `${issuer}/keys` }));
      } else if (request.url === '/keys') response.end(JSON.stringify({ keys: [jwk] }));
      else response.writeHead(404).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => {
    announcedIssuer = undefined;
    discoveryAnswers = 0;
  });

  const verifier = () =>
    new JwtVerifier({ kind: 'jwks', issuer, audience, oidc: { issuer, clientId: 'console', scope: 'openid' } });
  const sign = (subject = 'alice') =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
      .setSubject(subject)
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime('5m')
      .sign(privateKey);

  it('verifies a token signed with a key of the discovered jwks_uri, discovering once', async () => {
    const jwt = verifier();
    await expect(jwt.verify(await sign('alice'))).resolves.toMatchObject({ userId: 'alice' });
    await expect(jwt.verify(await sign('bob'))).resolves.toMatchObject({ userId: 'bob' });
    expect(discoveryAnswers).toBe(1);
  });

  it('refuses keys from a discovery document naming another issuer (503: the provider is misconfigured), and discovers again after the cooldown', async () => {
    announcedIssuer = 'https://elsewhere.example';
    const jwt = verifier();
    const refusal = await jwt.verify(await sign()).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(AuthenticationError);
    expect(refusal).toMatchObject({ unavailable: true, reason: 'the identity provider keys could not be fetched' });
    announcedIssuer = undefined;
    await new Promise((resolve) => setTimeout(resolve, jwksRefetchCooldownMs + 100));
    await expect(jwt.verify(await sign())).resolves.toMatchObject({ userId: 'alice' });
    expect(discoveryAnswers).toBe(2);
  });
});
