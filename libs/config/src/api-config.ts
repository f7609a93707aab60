import { resolve } from 'node:path';

/** How bearer JWTs are verified: a shared HS256 secret, or an identity provider's JWKS. */
export type AuthConfig = (
  | {
      kind: 'hs256';
      /** AUTH_JWT_SECRET; when absent, the secret file in DATA_DIR (created on first start). */ secret?: string;
    }
  | {
      kind: 'jwks';
      /** AUTH_JWKS_URL; when absent, the `jwks_uri` of the identity provider's discovery document (AUTH_OIDC_ISSUER). */
      jwksUrl?: string;
    }
) & {
  /** AUTH_ISSUER: the `iss` every token must carry, when set. */
  issuer?: string;
  /** AUTH_AUDIENCE: the `aud` every token must carry, when set. */
  audience?: string;
  /** AUTH_OIDC_*: the identity provider the console signs users in with (authorization code + PKCE, a public client). */
  oidc?: OidcConfig;
};

/** The console's sign-in with an identity provider: public values, served to the browser as they are. */
export interface OidcConfig {
  /** AUTH_OIDC_ISSUER: the provider's issuer URL (its discovery document is `<issuer>/.well-known/openid-configuration`). */
  issuer: string;
  /** AUTH_OIDC_CLIENT_ID: the console's client, registered as public (no secret), redirect URI `<console>/sign-in`. */
  clientId: string;
  /** AUTH_OIDC_SCOPE: the scopes the console asks for; default `openid`. */
  scope: string;
  /** AUTH_OIDC_RESOURCE: the RFC 8707 resource indicator naming this API, when the provider needs one to issue it a JWT. */
  resource?: string;
}

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

/** http is accepted for a provider on this machine only (tests, a local provider); anywhere else it must be https. */
const isLoopbackHttp = (url: URL): boolean =>
  url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);

function oidcFrom(env: NodeJS.ProcessEnv): OidcConfig | undefined {
  const issuer = nonEmpty(env.AUTH_OIDC_ISSUER);
  const clientId = nonEmpty(env.AUTH_OIDC_CLIENT_ID);
  if (issuer === undefined && clientId === undefined) return undefined;
  if (issuer === undefined || clientId === undefined)
    throw new ConfigError(
      'AUTH_OIDC_ISSUER and AUTH_OIDC_CLIENT_ID are set together (the provider and the console client)',
    );
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new ConfigError('AUTH_OIDC_ISSUER must be a URL');
  }
  if (url.protocol !== 'https:' && !isLoopbackHttp(url))
    throw new ConfigError('AUTH_OIDC_ISSUER must be an https URL (http only on 127.0.0.1 or localhost)');
  const resource = nonEmpty(env.AUTH_OIDC_RESOURCE);
  return {
    issuer,
    clientId,
    scope: nonEmpty(env.AUTH_OIDC_SCOPE) ?? 'openid',
    ...(resource !== undefined ? { resource } : {}),
  };
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value;

/** Reads the configuration of API.md "Running and configuration" from the environment. */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): ApiConfig {
  const dataDir = resolve(cwd, nonEmpty(env.DATA_DIR) ?? './data');
  const eventStore = nonEmpty(env.EVENT_STORE) ?? `sqlite:${resolve(dataDir, 'events.db')}`;
  const jwksUrl = nonEmpty(env.AUTH_JWKS_URL);
  const secret = nonEmpty(env.AUTH_JWT_SECRET);
  const oidc = oidcFrom(env);
  // The provider the console signs in with is the issuer of the tokens, unless AUTH_ISSUER says otherwise.
  const issuer = nonEmpty(env.AUTH_ISSUER) ?? oidc?.issuer;
  const audience = nonEmpty(env.AUTH_AUDIENCE);
  const claims = { ...(issuer !== undefined ? { issuer } : {}), ...(audience !== undefined ? { audience } : {}) };
  let auth: AuthConfig;
  if (jwksUrl || oidc) {
    if (jwksUrl && !/^https?:\/\//.test(jwksUrl)) throw new ConfigError('AUTH_JWKS_URL must be an http(s) URL');
    // An identity provider signs tokens for every application it serves: only ours, from it, may act here.
    if (issuer === undefined || audience === undefined)
      throw new ConfigError(
        jwksUrl
          ? 'AUTH_JWKS_URL needs AUTH_ISSUER and AUTH_AUDIENCE (the iss and aud every token must carry)'
          : 'AUTH_OIDC_ISSUER needs AUTH_AUDIENCE (the aud of the access tokens the provider issues for this API)',
      );
    auth = { kind: 'jwks', ...(jwksUrl ? { jwksUrl } : {}), ...claims, ...(oidc ? { oidc } : {}) };
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
