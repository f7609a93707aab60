import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadApiConfig } from './api-config';
import { loadOrCreateJwtSecret } from './data-dir';

describe('loadApiConfig (API.md "Running and configuration")', () => {
  it('defaults: 127.0.0.1:3000, ./data, the SQLite store in it, a generated HS256 secret', () => {
    expect(loadApiConfig({}, '/srv/app')).toEqual({
      port: 3000,
      host: '127.0.0.1',
      dataDir: '/srv/app/data',
      eventStore: 'sqlite:/srv/app/data/events.db',
      auth: { kind: 'hs256' },
      trustProxy: false,
      bodyLimitBytes: 65536,
    });
  });

  it('reads every variable', () => {
    const config = loadApiConfig(
      {
        PORT: '8080',
        HOST: '0.0.0.0',
        DATA_DIR: 'var',
        EVENT_STORE: 'memory:',
        AUTH_JWT_SECRET: 's'.repeat(32),
        TRUST_PROXY: 'true',
      },
      '/srv',
    );
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      dataDir: '/srv/var',
      eventStore: 'memory:',
      trustProxy: true,
    });
    expect(config.auth).toEqual({ kind: 'hs256', secret: 's'.repeat(32) });
  });

  it('JWKS verification with issuer and audience', () => {
    expect(
      loadApiConfig({
        AUTH_JWKS_URL: 'https://idp.example/.well-known/jwks.json',
        AUTH_ISSUER: 'https://idp.example/',
        AUTH_AUDIENCE: 'access-audit',
      }).auth,
    ).toEqual({
      kind: 'jwks',
      jwksUrl: 'https://idp.example/.well-known/jwks.json',
      issuer: 'https://idp.example/',
      audience: 'access-audit',
    });
  });

  it.each([
    [{ PORT: 'http' }, /PORT/],
    [{ AUTH_JWT_SECRET: 'short' }, /at least 32/],
    [{ AUTH_JWKS_URL: 'file:///etc/keys' }, /http/],
    [{ AUTH_JWKS_URL: 'https://idp.example/jwks.json' }, /AUTH_ISSUER and AUTH_AUDIENCE/],
    [{ AUTH_JWKS_URL: 'https://idp.example/jwks.json', AUTH_ISSUER: 'https://idp.example/' }, /AUTH_AUDIENCE/],
    [{ AUTH_JWKS_URL: 'https://idp.example/jwks.json', AUTH_AUDIENCE: 'access-audit' }, /AUTH_ISSUER/],
  ])('refuses %j', (env, message) => {
    expect(() => loadApiConfig(env)).toThrow(ConfigError);
    expect(() => loadApiConfig(env)).toThrow(message);
  });

  it('a short secret is refused without being repeated', () => {
    expect(() => loadApiConfig({ AUTH_JWT_SECRET: 'hunter2' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });
});

describe('the generated JWT secret', () => {
  let dir: string;
  beforeEach(() => (dir = join(mkdtempSync(join(tmpdir(), 'access-audit-config-')), 'data')));
  afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  it('is created once, mode 0600, in a 0700 DATA_DIR, and read back unchanged', () => {
    const first = loadOrCreateJwtSecret(dir);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(statSync(join(dir, 'jwt-secret')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(loadOrCreateJwtSecret(dir)).toBe(first);
    expect(readFileSync(join(dir, 'jwt-secret'), 'utf8').trim()).toBe(first);
  });
});

describe('loadApiConfig: the console signs in with an identity provider (AUTH_OIDC_*)', () => {
  const provider = { AUTH_OIDC_ISSUER: 'https://idp.example', AUTH_OIDC_CLIENT_ID: 'console', AUTH_AUDIENCE: 'urn:aa' };

  it('verifies the provider’s tokens: issuer from AUTH_OIDC_ISSUER, keys from its discovery, scope openid by default', () => {
    expect(loadApiConfig(provider).auth).toEqual({
      kind: 'jwks',
      issuer: 'https://idp.example',
      audience: 'urn:aa',
      oidc: { issuer: 'https://idp.example', clientId: 'console', scope: 'openid' },
    });
  });

  it('keeps AUTH_JWKS_URL and AUTH_ISSUER when given, and reads the scope and resource', () => {
    const auth = loadApiConfig({
      ...provider,
      AUTH_JWKS_URL: 'https://idp.example/keys',
      AUTH_ISSUER: 'https://idp.example/tenant',
      AUTH_OIDC_SCOPE: 'openid profile',
      AUTH_OIDC_RESOURCE: 'https://api.example/',
    }).auth;
    expect(auth).toEqual({
      kind: 'jwks',
      jwksUrl: 'https://idp.example/keys',
      issuer: 'https://idp.example/tenant',
      audience: 'urn:aa',
      oidc: {
        issuer: 'https://idp.example',
        clientId: 'console',
        scope: 'openid profile',
        resource: 'https://api.example/',
      },
    });
  });

  it('accepts http for a provider on this machine', () => {
    expect(loadApiConfig({ ...provider, AUTH_OIDC_ISSUER: 'http://127.0.0.1:4000' }).auth.oidc?.issuer).toBe(
      'http://127.0.0.1:4000',
    );
  });

  it.each([
    [{ AUTH_OIDC_ISSUER: 'https://idp.example', AUTH_AUDIENCE: 'urn:aa' }, /AUTH_OIDC_CLIENT_ID/],
    [{ AUTH_OIDC_CLIENT_ID: 'console', AUTH_AUDIENCE: 'urn:aa' }, /AUTH_OIDC_ISSUER/],
    [{ ...provider, AUTH_AUDIENCE: '' }, /AUTH_AUDIENCE/],
    [{ ...provider, AUTH_OIDC_ISSUER: 'http://idp.example' }, /https/],
    [{ ...provider, AUTH_OIDC_ISSUER: 'idp.example' }, /URL/],
  ])('refuses %j', (env, message) => {
    expect(() => loadApiConfig(env)).toThrow(message);
  });
});
