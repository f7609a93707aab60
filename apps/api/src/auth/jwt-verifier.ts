import {
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';
import type { AuthConfig } from '../config/api-config';
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

/** Verifies bearer JWTs: HS256 with the local secret, or RS/ES/EdDSA with an identity provider's JWKS. */
export class JwtVerifier {
  readonly #key: Uint8Array | JWTVerifyGetKey;
  readonly #options: JWTVerifyOptions;

  constructor(auth: AuthConfig, secret?: string) {
    const algorithms = auth.kind === 'jwks' ? jwksAlgorithms : [localAlgorithm];
    if (auth.kind === 'jwks') {
      this.#key = createRemoteJWKSet(new URL(auth.jwksUrl));
    } else {
      if (!secret) throw new Error('HS256 verification needs a secret');
      this.#key = new TextEncoder().encode(secret);
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
    let payload: JWTPayload;
    try {
      // Two overloads (static key, key getter); the options are the same for both.
      payload =
        this.#key instanceof Uint8Array
          ? (await jwtVerify(token, this.#key, this.#options)).payload
          : (await jwtVerify(token, this.#key, this.#options)).payload;
    } catch (error) {
      throw reasonFor(error, this.#options.algorithms ?? []);
    }
    const userId = payload.sub;
    if (typeof userId !== 'string' || !idPattern.test(userId)) {
      throw new AuthenticationError(`the token's "sub" claim is not a user id (1-128 letters, digits and . _ : @ | -)`);
    }
    const scopes = scopesOf(payload);
    return { userId, scopes, isReader: scopes.includes(readerScope) };
  }
}
