import { createSecretKey, type KeyObject } from 'node:crypto';
import {
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';
import type { AuthConfig } from '@access-audit/config';
import { directoryActorPrefix, directoryIdOfActor } from '@access-audit/domain';
import { idPattern } from '../http/ids';
import { readerScope, type Principal } from './principal';

/** Algorithms accepted from an identity provider's JWKS; `none` and HMAC are never accepted there. */
export const jwksAlgorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];
export const localAlgorithm = 'HS256';

/** The token was refused; `reason` is safe to show the client (it never contains the token). */
export class AuthenticationError extends Error {
  constructor(
    readonly reason: string,
    /** The identity provider could not be reached: the token may be fine (503, not 401). */
    readonly unavailable = false,
  ) {
    super(reason);
    this.name = 'AuthenticationError';
  }
}

const clockToleranceSeconds = 5;

/** How many verified tokens are remembered (least recently used forgotten first). */
export const verifiedTokenCacheSize = 10_000;
/**
 * A remembered token is verified afresh at least this often, as often as jose refetches a provider's JWKS, so a key
 * the provider withdraws stops being accepted just as soon as without the cache.
 */
export const verifiedTokenMaxAgeMs = 10 * 60_000;

/**
 * A token naming a `kid` the cached JWKS lacks refetches it, at most once per this long: a provider's key rotation is
 * honoured within a second, and tokens with made-up kids cost the provider at most one request a second.
 */
export const jwksRefetchCooldownMs = 1000;

const remoteJwks = (url: URL): JWTVerifyGetKey =>
  createRemoteJWKSet(url, { cooldownDuration: jwksRefetchCooldownMs, cacheMaxAge: verifiedTokenMaxAgeMs });

const discoveryTimeoutMs = 5000;

/** An OpenID provider's discovery document, which must name the issuer it was fetched for (OIDC Discovery 4.3). */
export async function fetchDiscoveryDocument(issuer: string): Promise<Record<string, unknown>> {
  const discovery = new URL(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  const response = await fetch(discovery, { signal: AbortSignal.timeout(discoveryTimeoutMs), redirect: 'error' });
  if (!response.ok) throw new Error(`the discovery document answered ${response.status}`);
  const document = (await response.json()) as unknown;
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    throw new Error('the discovery document is not a JSON object');
  if ((document as { issuer?: unknown }).issuer !== issuer) throw new Error('the discovery document names another issuer');
  return document as Record<string, unknown>;
}

/** The `jwks_uri` of an OpenID provider's discovery document. */
export async function discoverJwksUri(issuer: string): Promise<URL> {
  const { jwks_uri: jwksUri } = await fetchDiscoveryDocument(issuer);
  if (typeof jwksUri !== 'string' || !/^https?:\/\//.test(jwksUri))
    throw new Error('the discovery document has no http(s) jwks_uri');
  return new URL(jwksUri);
}

/**
 * The keys of the provider at `issuer`, found through its discovery document on the first token; a failed discovery
 * is retried after the JWKS cooldown, so a provider that is down costs at most one request a second.
 */
function discoveredJwks(issuer: string): JWTVerifyGetKey {
  let jwks: Promise<JWTVerifyGetKey> | undefined;
  return async (header, token) => {
    jwks ??= discoverJwksUri(issuer).then(remoteJwks, (error: unknown) => {
      setTimeout(() => (jwks = undefined), jwksRefetchCooldownMs).unref();
      throw error;
    });
    return (await jwks)(header, token);
  };
}

interface VerifiedToken {
  principal: Principal;
  /** Before its `exp` (and the max age): after it, the token is verified again from scratch. */
  validUntilMs: number;
}

function scopesOf(payload: JWTPayload): string[] {
  const claim = payload.scope ?? payload.scp;
  if (typeof claim === 'string') return claim.split(' ').filter(Boolean);
  if (Array.isArray(claim)) return claim.filter((s): s is string => typeof s === 'string');
  return [];
}

function reasonFor(error: unknown, algorithms: readonly string[]): AuthenticationError {
  if (error instanceof errors.JWTExpired) return new AuthenticationError('the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new AuthenticationError(
      error.reason === 'missing'
        ? `the token has no "${error.claim}" claim`
        : `the token's "${error.claim}" claim is not accepted`,
    );
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new AuthenticationError(
      `the token's signing algorithm is not accepted (accepted: ${algorithms.join(', ')})`,
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new AuthenticationError('the token signature does not verify');
  if (error instanceof errors.JWKSNoMatchingKey)
    return new AuthenticationError('no key of the identity provider matches the token');
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return new AuthenticationError('the identity provider keys could not be fetched', true);
  }
  if (error instanceof errors.JOSEError) return new AuthenticationError('the token is malformed');
  if (error instanceof TypeError || error instanceof SyntaxError)
    return new AuthenticationError('the token is malformed');
  return new AuthenticationError('the identity provider keys could not be fetched', true);
}

/**
 * Verifies bearer JWTs: HS256 with the local secret, or RS/ES/EdDSA with an identity provider's JWKS.
 * Tokens that verified are remembered by their exact text until their `exp`, so a client sending the same token
 * again costs a lookup; refusals are never remembered, and a token differing by one character is verified afresh.
 */
export class JwtVerifier {
  readonly #key: KeyObject | JWTVerifyGetKey;
  readonly #options: JWTVerifyOptions;
  /** Insertion order is recency order: a hit moves its entry to the end, the first entry is evicted. */
  readonly #verified = new Map<string, VerifiedToken>();

  constructor(auth: AuthConfig, secret?: string) {
    const algorithms = auth.kind === 'jwks' ? jwksAlgorithms : [localAlgorithm];
    if (auth.kind === 'jwks') {
      if (auth.jwksUrl !== undefined) this.#key = remoteJwks(new URL(auth.jwksUrl));
      else if (auth.oidc !== undefined) this.#key = discoveredJwks(auth.oidc.issuer);
      else throw new Error('JWKS verification needs AUTH_JWKS_URL or AUTH_OIDC_ISSUER');
    } else {
      if (!secret) throw new Error('HS256 verification needs a secret');
      this.#key = createSecretKey(Buffer.from(secret, 'utf8'));
    }
    this.#options = {
      algorithms,
      requiredClaims: ['sub', 'exp'],
      clockTolerance: clockToleranceSeconds,
      ...(auth.issuer !== undefined ? { issuer: auth.issuer } : {}),
      ...(auth.audience !== undefined ? { audience: auth.audience } : {}),
    };
  }

  async verify(token: string): Promise<Principal> {
    const remembered = this.remembered(token);
    if (remembered) return remembered;
    const { principal, expiresAtMs } = await this.#verifyAfresh(token);
    if (this.#verified.size >= verifiedTokenCacheSize) this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(token, {
      principal,
      validUntilMs: Math.min(expiresAtMs, Date.now() + verifiedTokenMaxAgeMs),
    });
    return principal;
  }

  /** The principal of a token that verified before and is still within its `exp` (and the max age), without waiting. */
  remembered(token: string): Principal | undefined {
    const remembered = this.#verified.get(token);
    if (!remembered) return undefined;
    this.#verified.delete(token);
    if (Date.now() >= remembered.validUntilMs) return undefined;
    this.#verified.set(token, remembered);
    return remembered.principal;
  }

  async #verifyAfresh(token: string): Promise<{ principal: Principal; expiresAtMs: number }> {
    let payload: JWTPayload;
    try {
      // Two overloads (static key, key getter); the options are the same for both.
      payload =
        typeof this.#key !== 'function'
          ? (await jwtVerify(token, this.#key, this.#options)).payload
          : (await jwtVerify(token, this.#key, this.#options)).payload;
    } catch (error) {
      throw reasonFor(error, this.#options.algorithms ?? []);
    }
    const userId = payload.sub;
    if (typeof userId !== 'string' || !idPattern.test(userId)) {
      throw new AuthenticationError(`the token's "sub" claim is not a user id (1-128 letters, digits and . _ : @ | -)`);
    }
    // `scim:{directoryId}` is a directory's actor id (POLICY.md, directory row): a person's token may never act as one.
    if (directoryIdOfActor(userId) !== undefined) {
      throw new AuthenticationError(`the token's "sub" claim names a directory (${directoryActorPrefix}…), not a user`);
    }
    const scopes = Object.freeze(scopesOf(payload));
    // Shared by every request that presents the token: frozen so no request can alter another's principal.
    const principal = Object.freeze({ userId, scopes, isReader: scopes.includes(readerScope) });
    // requiredClaims makes jose refuse a token without a numeric exp; remembered up to exp, not exp + tolerance.
    return { principal, expiresAtMs: payload.exp! * 1000 };
  }
}
