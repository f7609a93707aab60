/**
 * The two sign-in paths besides the access-token form: an identity provider (authorization code + PKCE, a public client,
 * in this tab) and a one-time sign-in link printed by `npm start -- --sign-in <userId>`. oauth4webapi is loaded only when
 * a provider sign-in starts or comes back, so the first load does not carry it.
 */
import { readToken, signIn } from './session';

export interface IdentityProvider {
  issuer: string;
  clientId: string;
  scope: string;
  resource?: string;
}

/** GET /v1/console/config: how one signs in here. */
export interface ConsoleConfig {
  identityProvider?: IdentityProvider;
  signInLinks: boolean;
}

/** Why a sign-in did not happen, in words for the reviewer. */
export class SignInRefusal extends Error {}

let config: Promise<ConsoleConfig> | undefined;

/** The console's public configuration, fetched once per page load (a failure is retried on the next call). */
export function consoleConfig(): Promise<ConsoleConfig> {
  config ??= fetch('/v1/console/config', { headers: { Accept: 'application/json' } })
    .then(async (response) => {
      if (!response.ok) throw new Error(String(response.status));
      return (await response.json()) as ConsoleConfig;
    })
    .catch(() => {
      config = undefined;
      return { signInLinks: false };
    });
  return config;
}

/** The code of a one-time sign-in link (`/sign-in#code=…`), if the page was opened with one. */
export function signInLinkCode(hash: string): string | undefined {
  return new URLSearchParams(hash.replace(/^#/, '')).get('code') ?? undefined;
}

/** Redeems a one-time sign-in link: the tab is signed in, or the refusal is said in words. */
export async function redeemSignInLink(code: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch('/v1/console/sign-in-link', {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: JSON.stringify({ code }),
    });
  } catch {
    throw new SignInRefusal(
      'The API could not be reached to redeem the sign-in link. Check that the service is running.',
    );
  }
  const body = (await response.json().catch(() => ({}))) as { accessToken?: unknown; detail?: unknown };
  if (!response.ok || typeof body.accessToken !== 'string') {
    const detail = typeof body.detail === 'string' ? body.detail : `the API answered ${response.status}`;
    throw new SignInRefusal(`This sign-in link was refused: ${detail}.`);
  }
  signIn(body.accessToken);
}

/** What this tab keeps while the user is at the provider: the PKCE verifier, state, nonce and where to go back to. */
interface PendingSignIn {
  state: string;
  nonce?: string;
  codeVerifier: string;
  next: string;
}

const pendingKey = 'access-audit.provider-sign-in';
const redirectUri = (): string => `${location.origin}/sign-in`;
const wantsIdToken = (provider: IdentityProvider): boolean => provider.scope.split(' ').includes('openid');

/** Whether the page is the provider's redirect back here (`/sign-in?code=…&state=…` or `?error=…`). */
export function isProviderCallback(search: string): boolean {
  const params = new URLSearchParams(search);
  return params.has('state') || params.has('code') || params.has('error');
}

async function discover(provider: IdentityProvider) {
  const oauth = await import('oauth4webapi');
  const issuer = new URL(provider.issuer);
  // The API accepts http for a provider on this machine only (AUTH_OIDC_ISSUER); anywhere else it is https.
  const options = issuer.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {};
  try {
    const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...options });
    return { oauth, options, as: await oauth.processDiscoveryResponse(issuer, response) };
  } catch {
    throw new SignInRefusal(
      `The identity provider at ${issuer.origin} could not be reached or did not describe itself (its discovery document). Try again later.`,
    );
  }
}

/** Sends the browser to the provider's sign-in page; `next` is where the console goes once signed in. */
export async function startProviderSignIn(provider: IdentityProvider, next: string): Promise<void> {
  const { oauth, as } = await discover(provider);
  if (!as.authorization_endpoint) throw new SignInRefusal('The identity provider has no authorization endpoint.');
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const pending: PendingSignIn = {
    state: oauth.generateRandomState(),
    codeVerifier,
    next,
    ...(wantsIdToken(provider) ? { nonce: oauth.generateRandomNonce() } : {}),
  };
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('client_id', provider.clientId);
  url.searchParams.set('redirect_uri', redirectUri());
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', provider.scope);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', pending.state);
  if (pending.nonce) url.searchParams.set('nonce', pending.nonce);
  if (provider.resource) url.searchParams.set('resource', provider.resource);
  sessionStorage.setItem(pendingKey, JSON.stringify(pending));
  location.assign(url.href);
}

/** The pending sign-in of this tab, taken: an answer from the provider is used once. */
function takePending(): PendingSignIn | undefined {
  const stored = sessionStorage.getItem(pendingKey);
  sessionStorage.removeItem(pendingKey);
  try {
    const pending = JSON.parse(stored ?? 'null') as PendingSignIn | null;
    return pending && typeof pending.state === 'string' && typeof pending.codeVerifier === 'string'
      ? pending
      : undefined;
  } catch {
    return undefined;
  }
}

function providerError(error: string, description: string | undefined): string {
  const why = description ? ` (${error}: ${description})` : ` (${error})`;
  if (error === 'access_denied')
    return `The sign-in was declined at the identity provider${why}. Nothing was signed in.`;
  return `The identity provider refused the sign-in${why}.`;
}

/**
 * Completes the provider's redirect back here: checks state (and the issuer), exchanges the code with the PKCE
 * verifier at the token endpoint, checks the ID token's nonce, and keeps the access token in this tab.
 * Returns where to go next.
 */
export async function finishProviderSignIn(provider: IdentityProvider, callback: URL): Promise<string> {
  const pending = takePending();
  const returned = callback.searchParams;
  if (!pending) {
    if (returned.has('error'))
      throw new SignInRefusal(providerError(returned.get('error')!, returned.get('error_description') ?? undefined));
    throw new SignInRefusal(
      'This answer from the identity provider belongs to no sign-in started in this tab (it was used already, or started in another tab). Nothing was signed in; start again.',
    );
  }
  const { oauth, options, as } = await discover(provider);
  const client = { client_id: provider.clientId };
  let parameters: URLSearchParams;
  try {
    parameters = oauth.validateAuthResponse(as, client, callback, pending.state);
  } catch (error) {
    if (error instanceof oauth.AuthorizationResponseError)
      throw new SignInRefusal(providerError(error.error, error.error_description));
    const message = error instanceof Error ? error.message : '';
    throw new SignInRefusal(
      /state/.test(message)
        ? 'The answer from the identity provider does not match the sign-in this tab started (its state differs): it may be forged or stale. Nothing was signed in; start again.'
        : `The answer from the identity provider was refused (${message}). Nothing was signed in; start again.`,
    );
  }
  let token: string;
  try {
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.None(),
      parameters,
      redirectUri(),
      pending.codeVerifier,
      { ...options, ...(provider.resource ? { additionalParameters: { resource: provider.resource } } : {}) },
    );
    const result = await oauth.processAuthorizationCodeResponse(as, client, response, {
      expectedNonce: pending.nonce ?? oauth.expectNoNonce,
      requireIdToken: wantsIdToken(provider),
    });
    token = result.access_token;
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError) {
      const why = error.error_description ? `${error.error}: ${error.error_description}` : error.error;
      throw new SignInRefusal(
        `The identity provider refused to exchange the sign-in code for an access token (${why}). Start again.`,
      );
    }
    if (error instanceof TypeError)
      throw new SignInRefusal(
        `The identity provider at ${new URL(provider.issuer).origin} could not be reached. Try again later.`,
      );
    throw new SignInRefusal(
      `The identity provider's token answer was refused (${error instanceof Error ? error.message : 'unreadable'}). Start again.`,
    );
  }
  const claims = readToken(token);
  if (typeof claims === 'string')
    throw new SignInRefusal(
      `The identity provider gave an access token the API cannot read (${claims}) The provider must issue JWT access tokens for this API (AUTH_OIDC_RESOURCE, AUTH_AUDIENCE).`,
    );
  signIn(token);
  return pending.next;
}
