import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fetchDiscoveryDocument } from '../auth/jwt-verifier';
import { problem, problemContentType, problemTypes } from '../http/problem';

/**
 * The reviewer console (apps/console, built by `npm run build` into dist/console), served by the API itself: the page at
 * `/` and at each of its deep links, its files under `/assets/`. Not API routes: they are left out of the OpenAPI
 * document. The build is read into memory once at start (a fixed set of files, so no request names a path on disk).
 */

/** Console pages: `/`, the sign-in form and every view under `/teams` (the API itself lives under `/v1`). */
const pageRoutes = ['/', '/sign-in', '/teams', '/teams/*'] as const;
const assetRoute = '/assets/*';

/** Whether a Fastify route template is one of the console's (for the OpenAPI conformance check, which skips them). */
export function isConsoleRoute(route: string): boolean {
  return route === assetRoute || (pageRoutes as readonly string[]).includes(route);
}

/**
 * Scripts and styles from this origin only: no inline script, no eval, nothing framed, forms post here only. The console
 * fetches from this origin, and from the identity provider's origins (discovery, token endpoint) when it signs in with one.
 */
export const contentSecurityPolicyFor = (...identityProviderOrigins: readonly string[]): string =>
  [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    ["connect-src 'self'", ...new Set(identityProviderOrigins)].join(' '),
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');

export const consoleContentSecurityPolicy = contentSecurityPolicyFor();

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

interface ConsoleFile {
  contentType: string;
  body: Buffer;
  /** Present when gzip makes it smaller. */
  gzipped?: Buffer;
}

/** Where `npm run build` puts the console, from this file in dist/apps/api/src/console or in apps/api/src/console. */
export function defaultConsoleDir(): string {
  const up = join(__dirname, '..', '..', '..', '..');
  return (
    [join(up, 'console'), join(up, 'dist', 'console')].find((dir) => existsSync(join(dir, 'index.html'))) ??
    join(up, 'console')
  );
}

function loadFile(path: string): ConsoleFile {
  const body = readFileSync(path);
  const contentType = contentTypes[extname(path)] ?? 'application/octet-stream';
  const compressible = /^(text\/|application\/json|image\/svg)/.test(contentType);
  const gzipped = compressible ? gzipSync(body, { level: 9 }) : undefined;
  return { contentType, body, ...(gzipped && gzipped.length < body.length ? { gzipped } : {}) };
}

function loadAssets(dir: string): Map<string, ConsoleFile> {
  const assets = new Map<string, ConsoleFile>();
  const visit = (folder: string, prefix: string): void => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) visit(path, `${prefix}${name}/`);
      else assets.set(`${prefix}${name}`, loadFile(path));
    }
  };
  if (existsSync(dir)) visit(dir, '');
  return assets;
}

function send(
  request: FastifyRequest,
  reply: FastifyReply,
  file: ConsoleFile,
  cacheControl: string,
  contentSecurityPolicy: string,
): FastifyReply {
  void reply
    .header('Content-Type', file.contentType)
    .header('Cache-Control', cacheControl)
    .header('Content-Security-Policy', contentSecurityPolicy)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'no-referrer')
    .header('Vary', 'Accept-Encoding');
  const acceptsGzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
  if (file.gzipped && acceptsGzip) return reply.header('Content-Encoding', 'gzip').send(file.gzipped);
  return reply.send(file.body);
}

function sendProblem(reply: FastifyReply, status: 404 | 503, detail: string): FastifyReply {
  const type = status === 404 ? problemTypes.notFound : problemTypes.unavailable;
  return reply
    .code(status)
    .type(problemContentType)
    .send(JSON.stringify(problem(status, type, detail)));
}

/** A DNS name or IPv4 address (dot-separated labels of letters, digits and inner hyphens), or a bracketed IPv6 one. */
const cspHost = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$|^\[[0-9a-f:.]+\]$/;

/** How long a failed discovery waits before a page answer tries again (the provider may be starting). */
const discoveryRetryMs = 10_000;

/**
 * The origins the console's sign-in fetches from: the issuer's (its discovery document) and, once the API has read
 * that document, the token endpoint's, which some providers serve from another origin.
 */
export class IdentityProviderOrigins {
  readonly #issuer: string;
  #tokenEndpoint: string | undefined;
  #retryAt = 0;
  #discovering: Promise<void> | undefined;

  constructor(
    issuer: string,
    private readonly discover: (issuer: string) => Promise<Record<string, unknown>> = fetchDiscoveryDocument,
  ) {
    this.#issuer = issuer;
  }

  /** The origins known now; starts (or retries) reading the discovery document while the token endpoint is unknown. */
  current(now = Date.now()): string[] {
    if (this.#tokenEndpoint === undefined && !this.#discovering && now >= this.#retryAt) {
      this.#discovering = this.#read(now).finally(() => (this.#discovering = undefined));
    }
    const issuer = new URL(this.#issuer).origin;
    return this.#tokenEndpoint === undefined ? [issuer] : [issuer, this.#tokenEndpoint];
  }

  /** Resolves once the discovery now under way has ended (for tests and for the start). */
  async settled(): Promise<void> {
    await this.#discovering;
  }

  async #read(now: number): Promise<void> {
    try {
      const { token_endpoint: endpoint } = await this.discover(this.#issuer);
      const url = typeof endpoint === 'string' && URL.canParse(endpoint) ? new URL(endpoint) : undefined;
      // The same rule as for the issuer: https, or http on loopback only.
      const loopback = url?.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
      // A host name or address as CSP's host-source has it: the URL parser lets `*`, `;` and quotes through, which in
      // the header would widen connect-src to every host or start a directive of the document's choosing.
      if (url && (url.protocol === 'https:' || loopback) && cspHost.test(url.hostname))
        this.#tokenEndpoint = url.origin;
      else this.#retryAt = now + discoveryRetryMs;
    } catch {
      this.#retryAt = now + discoveryRetryMs;
    }
  }
}

/**
 * Registers the console's routes on the API's Fastify instance; `dir` holds the build (index.html and assets/), and
 * `identityProvider` (AUTH_OIDC_ISSUER) the provider the console signs in with, if any.
 */
export function installConsole(
  fastify: FastifyInstance,
  dir: string = defaultConsoleDir(),
  identityProvider?: string | IdentityProviderOrigins,
): void {
  const origins =
    typeof identityProvider === 'string' ? new IdentityProviderOrigins(identityProvider) : identityProvider;
  let known: string[] = [];
  let policy = contentSecurityPolicyFor();
  // Recomputed only when the known origins change: once, when the token endpoint is learnt.
  const policyNow = (): string => {
    const current = origins?.current() ?? [];
    if (current.join(' ') !== known.join(' ')) {
      known = current;
      policy = contentSecurityPolicyFor(...current);
    }
    return policy;
  };
  policyNow();
  const indexPath = join(dir, 'index.html');
  const page = existsSync(indexPath) ? loadFile(indexPath) : undefined;
  const assets = loadAssets(join(dir, 'assets'));
  const notBuilt = `the console is not built (no ${indexPath}): run npm run build`;

  // Every deep link answers the same page; the console routes it in the browser (history API).
  const answerPage = (request: FastifyRequest, reply: FastifyReply): FastifyReply =>
    page ? send(request, reply, page, 'no-cache', policyNow()) : sendProblem(reply, 503, notBuilt);
  for (const url of pageRoutes) fastify.get(url, answerPage);

  fastify.get<{ Params: { '*': string } }>(assetRoute, (request, reply) => {
    const asset = assets.get(request.params['*']);
    if (asset) return send(request, reply, asset, 'public, max-age=31536000, immutable', policyNow());
    return sendProblem(reply, 404, page ? 'no such console asset' : notBuilt);
  });
}
