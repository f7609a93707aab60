import { SignJWT } from 'jose';
import { AuthenticationError, JwtVerifier, verifiedTokenCacheSize, verifiedTokenMaxAgeMs } from './jwt-verifier';

// jwtVerify is wrapped (still the real one) so the specs can tell a remembered token from one verified afresh.
jest.mock('jose', () => {
  const actual = jest.requireActual<typeof import('jose')>('jose');
  return { ...actual, jwtVerify: jest.fn(actual.jwtVerify) };
});
// eslint-disable-next-line @typescript-eslint/no-require-imports
const jwtVerify = (require('jose') as { jwtVerify: jest.Mock }).jwtVerify;

/** HS256 verification with the local secret, and the cache of verified tokens. */
describe('JwtVerifier with the local HS256 secret', () => {
  const secret = 's'.repeat(32);
  const otherSecret = 'o'.repeat(32);
  const start = Date.parse('2025-03-03T12:00:00Z');
  const seconds = (ms: number): number => Math.floor(ms / 1000);
  const verifier = (key = secret) => new JwtVerifier({ kind: 'hs256' }, key);
  const sign = (
    options: { key?: string; exp?: number; nbf?: number; sub?: string; scope?: string } = {},
  ): Promise<string> => {
    const jwt = new SignJWT(options.scope !== undefined ? { scope: options.scope } : {})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(options.sub ?? 'alice')
      .setExpirationTime(options.exp ?? seconds(start) + 60);
    if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
    return jwt.sign(new TextEncoder().encode(options.key ?? secret));
  };
  const refusal = async (verifying: Promise<unknown>): Promise<string> => {
    const error = await verifying.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof AuthenticationError)) throw new Error(`expected a refusal, got ${String(error)}`);
    return error.reason;
  };

  beforeEach(() => {
    jest.useFakeTimers({ now: start });
    jwtVerify.mockClear();
  });
  afterEach(() => jest.useRealTimers());

  it('accepts a token signed with the secret; presented again, it is answered without verifying it again', async () => {
    const jwts = verifier();
    const token = await sign({ scope: 'access:read' });
    const expected = { userId: 'alice', scopes: ['access:read'], isReader: true };
    await expect(jwts.verify(token)).resolves.toEqual(expected);
    await expect(jwts.verify(token)).resolves.toEqual(expected);
    expect(jwtVerify).toHaveBeenCalledTimes(1);
  });

  it('refuses a remembered token once it has expired', async () => {
    const jwts = verifier();
    const exp = seconds(start) + 60;
    const token = await sign({ exp });
    await jwts.verify(token);
    jest.setSystemTime(exp * 1000 - 1);
    await expect(jwts.verify(token)).resolves.toMatchObject({ userId: 'alice' });
    expect(jwtVerify).toHaveBeenCalledTimes(1);
    // From exp on, the cache no longer answers: jose decides, with its clock tolerance of 5 s.
    jest.setSystemTime(exp * 1000 + 1000);
    await expect(jwts.verify(token)).resolves.toMatchObject({ userId: 'alice' });
    expect(jwtVerify).toHaveBeenCalledTimes(2);
    jest.setSystemTime(exp * 1000 + 10_000);
    expect(await refusal(jwts.verify(token))).toBe('the token has expired');
  });

  it('never accepts from the cache a token signed with another secret', async () => {
    const jwts = verifier();
    const token = await sign();
    await jwts.verify(token);
    // The same header and claims, signed with another secret: a different signature, so a different token.
    const forged = await sign({ key: otherSecret });
    expect(forged.split('.').slice(0, 2)).toEqual(token.split('.').slice(0, 2));
    expect(forged).not.toBe(token);
    expect(await refusal(jwts.verify(forged))).toBe('the token signature does not verify');
    expect(await refusal(jwts.verify(forged))).toBe('the token signature does not verify');
    // A verifier with another secret does not share what this one remembered.
    expect(await refusal(verifier(otherSecret).verify(token))).toBe('the token signature does not verify');
    await expect(verifier(otherSecret).verify(forged)).resolves.toMatchObject({ userId: 'alice' });
  });

  it('never remembers a refusal: a token refused before its nbf is accepted after it', async () => {
    const jwts = verifier();
    const nbf = seconds(start) + 30;
    const token = await sign({ nbf, exp: nbf + 60 });
    expect(await refusal(jwts.verify(token))).toBe(`the token's "nbf" claim is not accepted`);
    jest.setSystemTime(nbf * 1000);
    await expect(jwts.verify(token)).resolves.toMatchObject({ userId: 'alice' });
  });

  it('never remembers a token whose sub is not a user id', async () => {
    const jwts = verifier();
    const token = await sign({ sub: 'not a user id' });
    expect(await refusal(jwts.verify(token))).toMatch(/"sub" claim is not a user id/);
    expect(await refusal(jwts.verify(token))).toMatch(/"sub" claim is not a user id/);
    expect(jwtVerify).toHaveBeenCalledTimes(2);
  });

  it('refuses a sub that names a directory actor, so no token acts as a directory (POLICY.md, directory row)', async () => {
    const jwts = verifier();
    const token = await sign({ sub: 'scim:dir-1' });
    expect(await refusal(jwts.verify(token))).toMatch(/"sub" claim names a directory/);
  });

  it('verifies a long-lived token afresh after the max age', async () => {
    const jwts = verifier();
    const token = await sign({ exp: seconds(start) + 86_400 });
    await jwts.verify(token);
    jest.setSystemTime(start + verifiedTokenMaxAgeMs - 1);
    await jwts.verify(token);
    expect(jwtVerify).toHaveBeenCalledTimes(1);
    jest.setSystemTime(start + verifiedTokenMaxAgeMs);
    await jwts.verify(token);
    expect(jwtVerify).toHaveBeenCalledTimes(2);
  });

  it('remembers at most verifiedTokenCacheSize tokens, forgetting the least recently used', async () => {
    const jwts = verifier();
    const tokens = await Promise.all(
      Array.from({ length: verifiedTokenCacheSize + 1 }, (_, i) => sign({ sub: `user-${i}` })),
    );
    for (const token of tokens.slice(0, verifiedTokenCacheSize)) await jwts.verify(token);
    await jwts.verify(tokens[0]!); // now the most recently used: tokens[1] is the oldest
    await jwts.verify(tokens[verifiedTokenCacheSize]!); // evicts tokens[1]
    jwtVerify.mockClear();
    await jwts.verify(tokens[0]!);
    expect(jwtVerify).toHaveBeenCalledTimes(0);
    await expect(jwts.verify(tokens[1]!)).resolves.toMatchObject({ userId: 'user-1' });
    expect(jwtVerify).toHaveBeenCalledTimes(1);
    // Signing and verifying 10,001 tokens takes 0.5 to 2 s on a busy 2-core machine: a deadline, not a speed bound.
  }, 30_000);

  it('hands out a principal no request can alter', async () => {
    const principal = await verifier().verify(await sign({ scope: 'access:read' }));
    expect(Object.isFrozen(principal)).toBe(true);
    expect(Object.isFrozen(principal.scopes)).toBe(true);
  });
});
