import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { consoleContentSecurityPolicy, IdentityProviderOrigins, installConsole, isConsoleRoute } from './console-site';

const page = '<!doctype html><title>console</title><script type="module" src="/assets/app-1.js"></script>';
const script = `console.log(${JSON.stringify('x'.repeat(2000))});`;

describe('the console site', () => {
  let dir: string;
  let fastify: FastifyInstance;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'console-site-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), page);
    writeFileSync(join(dir, 'assets', 'app-1.js'), script);
    writeFileSync(join(dir, 'secret.txt'), 'not an asset');
    fastify = Fastify();
  });
  afterEach(async () => {
    await fastify.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers the page at / and every deep link, with its Content-Security-Policy', async () => {
    installConsole(fastify, dir);
    for (const url of ['/', '/sign-in', '/teams', '/teams/acme', '/teams/acme/access?projectId=web&permission=p']) {
      const answer = await fastify.inject({ url });
      expect([url, answer.statusCode, answer.headers['content-type'], answer.body]).toEqual([
        url,
        200,
        'text/html; charset=utf-8',
        page,
      ]);
      expect(answer.headers['content-security-policy']).toBe(consoleContentSecurityPolicy);
      expect(answer.headers['cache-control']).toBe('no-cache');
    }
    expect(consoleContentSecurityPolicy).not.toMatch(/unsafe-inline|unsafe-eval/);
  });

  const connectSrc = async (url: string): Promise<string[]> =>
    String((await fastify.inject({ url })).headers['content-security-policy'])
      .split('; ')
      .filter((directive) => directive.startsWith('connect-src'));

  it('lets the page fetch from the identity provider’s origin, and from no other, when the console signs in with one', async () => {
    const issuer = 'https://idp.example:8443/realms/acme';
    const provider = new IdentityProviderOrigins(issuer, () => Promise.reject(new Error('unreachable')));
    installConsole(fastify, dir, provider);
    for (const url of ['/sign-in', '/assets/app-1.js']) {
      const policy = String((await fastify.inject({ url })).headers['content-security-policy']);
      expect(policy.split('; ').filter((directive) => directive.startsWith('connect-src'))).toEqual([
        "connect-src 'self' https://idp.example:8443",
      ]);
      expect(policy.replace(' https://idp.example:8443', '')).toBe(consoleContentSecurityPolicy);
    }
  });

  it('adds the token endpoint’s origin once the discovery document names one on another origin (as Google does)', async () => {
    const issuer = 'https://accounts.example';
    const documents: Array<Record<string, unknown>> = [
      { issuer, token_endpoint: 'http://tokens.example/token' },
      { issuer, token_endpoint: 'https://oauth2.tokens.example/token' },
    ];
    let reads = 0;
    const provider = new IdentityProviderOrigins(issuer, () => Promise.resolve(documents[reads++]!));
    installConsole(fastify, dir, provider);
    await provider.settled();
    // A plain-http endpoint off loopback is never allowed; the discovery is read again after the retry delay only.
    expect(await connectSrc('/sign-in')).toEqual(["connect-src 'self' https://accounts.example"]);
    expect(reads).toBe(1);
    provider.current(Date.now() + 60_000);
    await provider.settled();
    expect(await connectSrc('/sign-in')).toEqual([
      "connect-src 'self' https://accounts.example https://oauth2.tokens.example",
    ]);
    expect(await connectSrc('/assets/app-1.js')).toEqual([
      "connect-src 'self' https://accounts.example https://oauth2.tokens.example",
    ]);
    expect(reads).toBe(2);
  });

  it('allows no token endpoint whose host is no host name: no wildcard, no directive of its own', async () => {
    const issuer = 'https://accounts.example';
    for (const endpoint of [
      'https://*/token',
      'https://*.tokens.example/token',
      'https://tokens.example;script-src/token',
      'https://tokens.example%3bsandbox/token',
      "https://tokens.example'/token",
    ]) {
      const provider = new IdentityProviderOrigins(issuer, () => Promise.resolve({ issuer, token_endpoint: endpoint }));
      provider.current();
      await provider.settled();
      expect([endpoint, provider.current()]).toEqual([endpoint, ['https://accounts.example']]);
    }
    const provider = new IdentityProviderOrigins(issuer, () =>
      Promise.resolve({ issuer, token_endpoint: 'https://OAuth2.Tokens.example:8443/token' }),
    );
    provider.current();
    await provider.settled();
    expect(provider.current()).toEqual(['https://accounts.example', 'https://oauth2.tokens.example:8443']);
  });

  it('answers its assets, gzipped when the client accepts it, and nothing else of the folder', async () => {
    installConsole(fastify, dir);
    const plain = await fastify.inject({ url: '/assets/app-1.js' });
    expect([plain.statusCode, plain.headers['content-type'], plain.body]).toEqual([
      200,
      'text/javascript; charset=utf-8',
      script,
    ]);
    expect(plain.headers['cache-control']).toMatch(/immutable/);
    const gzipped = await fastify.inject({ url: '/assets/app-1.js', headers: { 'accept-encoding': 'gzip, br' } });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzipped.rawPayload).toString()).toBe(script);
    for (const url of ['/assets/missing.js', '/assets/']) {
      const answer = await fastify.inject({ url });
      expect([url, answer.statusCode, answer.headers['content-type']]).toEqual([
        url,
        404,
        'application/problem+json; charset=utf-8',
      ]);
    }
    // Only the files of assets/ are served: a climb out of it finds nothing, however it is spelled.
    for (const url of [
      '/assets/../secret.txt',
      '/assets/%2e%2e/secret.txt',
      '/assets/..%2fsecret.txt',
      '/assets/..%5csecret.txt',
    ]) {
      const answer = await fastify.inject({ url });
      expect([url, answer.statusCode, answer.body.includes('not an asset')]).toEqual([url, 404, false]);
    }
  });

  it('leaves other paths unrouted', async () => {
    installConsole(fastify, dir);
    for (const url of ['/v1/teams/acme', '/docs', '/metrics', '/healthz', '/readyz', '/scim/v2/d/Users', '/teamsx'])
      expect([url, (await fastify.inject({ url })).statusCode]).toEqual([url, 404]);
  });

  it('says the console is not built when its build is missing', async () => {
    installConsole(fastify, join(dir, 'nowhere'));
    const answer = await fastify.inject({ url: '/teams/acme' });
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.json()).toMatchObject({ status: 503, detail: expect.stringMatching(/not built.*npm run build/) });
  });

  it('names its routes, so the OpenAPI conformance check can leave them out', () => {
    expect(['/', '/sign-in', '/teams', '/teams/*', '/assets/*'].every(isConsoleRoute)).toBe(true);
    expect(['/v1/teams/:teamId', '/docs-json', '/healthz'].some(isConsoleRoute)).toBe(false);
  });
});
