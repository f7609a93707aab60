// A real OpenID provider for the console's browser tests (oidc-provider, ESM only, hence a process of its own): it
// listens on 127.0.0.1 at once and prints its issuer; given the console's redirect URI on stdin, it registers the
// console as a public client (PKCE, no secret) and issues JWT access tokens for the API's resource indicator, signed
// with a key it prints (the tests sign with it too, as the provider would). Its devInteractions login accepts any name.
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors } from 'oidc-provider';

let handle = (_request, response) => response.writeHead(503).end();
const server = createServer((request, response) => handle(request, response));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
process.stdout.write(`${JSON.stringify({ issuer })}\n`);

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const { clientId, redirectUri, resource, scope } = JSON.parse((await lines.next()).value);

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'provider-key', alg: 'RS256', use: 'sig' };
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      token_endpoint_auth_method: 'none',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  jwks: { keys: [signingKey] },
  pkce: { required: () => true },
  clientBasedCORS: (_ctx, origin) => origin === new URL(redirectUri).origin,
  cookies: { keys: ['console-browser-test-cookie-key'] },
  features: {
    devInteractions: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) => {
        if (indicator !== resource) throw new errors.InvalidTarget();
        return {
          scope,
          audience: resource,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 600,
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});
handle = provider.callback();
process.stdout.write(`${JSON.stringify({ ready: true, signingKey })}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
