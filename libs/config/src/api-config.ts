import { resolve } from 'node:path';

/** How bearer JWTs are verified: a shared HS256 secret, or an identity provider's JWKS. */
export type AuthConfig = (
  | {
      kind: 'hs256';
      /** AUTH_JWT_SECRET; when absent, the secret file in DATA_DIR (created on first start). */ secret?: string;
    }
  | { kind: 'jwks'; jwksUrl: string }
) & {
  /** AUTH_ISSUER: the `iss` every token must carry, when set. */
  issuer?: string;
  /** AUTH_AUDIENCE: the `aud` every token must carry, when set. */
  audience?: string;
};

export interface ApiConfig {
  port: number;
  host: string;
  /** Absolute path; created with mode 0700 on start. */
  dataDir: string;
  /** `sqlite:<path>`, `memory:`, or a KurrentDB/EventStoreDB connection string. */
  eventStore: string;
  auth: AuthConfig;
  /** Trust X-Forwarded-For for the client IP (only behind a proxy you control). */
  trustProxy: boolean;
  /** Largest accepted request body, in bytes. */
  bodyLimitBytes: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** HS256 secrets shorter than this are refused: they can be brute-forced from a single token. */
export const minJwtSecretLength = 32;

const portFrom = (value: string | undefined): number => {
  if (value === undefined || value === '') return 3000;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new ConfigError(`PORT must be an integer from 0 to 65535`);
  return port;
};

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value;

/** Reads the configuration of API.md "Running and configuration" from the environment. */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): ApiConfig {
  const dataDir = resolve(cwd, nonEmpty(env.DATA_DIR) ?? './data');
  const eventStore = nonEmpty(env.EVENT_STORE) ?? `sqlite:${resolve(dataDir, 'events.db')}`;
  const jwksUrl = nonEmpty(env.AUTH_JWKS_URL);
  const secret = nonEmpty(env.AUTH_JWT_SECRET);
  const issuer = nonEmpty(env.AUTH_ISSUER);
  const audience = nonEmpty(env.AUTH_AUDIENCE);
  const claims = { ...(issuer !== undefined ? { issuer } : {}), ...(audience !== undefined ? { audience } : {}) };
  let auth: AuthConfig;
  if (jwksUrl) {
    if (!/^https?:\/\//.test(jwksUrl)) throw new ConfigError('AUTH_JWKS_URL must be an http(s) URL');
    // An identity provider signs tokens for every application it serves: only ours, from it, may act here.
    if (issuer === undefined || audience === undefined)
      throw new ConfigError(
        'AUTH_JWKS_URL needs AUTH_ISSUER and AUTH_AUDIENCE (the iss and aud every token must carry)',
      );
    auth = { kind: 'jwks', jwksUrl, ...claims };
  } else {
    if (secret !== undefined && secret.length < minJwtSecretLength) {
      throw new ConfigError(`AUTH_JWT_SECRET must be at least ${minJwtSecretLength} characters`);
    }
    auth = { kind: 'hs256', ...(secret !== undefined ? { secret } : {}), ...claims };
  }
  return {
    port: portFrom(env.PORT),
    host: nonEmpty(env.HOST) ?? '127.0.0.1',
    dataDir,
    eventStore,
    auth,
    trustProxy: env.TRUST_PROXY === 'true' || env.TRUST_PROXY === '1',
    bodyLimitBytes: 64 * 1024,
  };
}
