/**
 * Sign-in with an identity provider, in Chromium: a real OpenID provider (oidc-provider on 127.0.0.1, a public client,
 * PKCE required, JWT access tokens for the API's resource indicator) and the API configured with AUTH_OIDC_*, verifying
 * the provider's tokens with the keys its discovery names. The reviewer signs in through the provider's login page and
 * sees a team; the API acts as the provider's `sub`. A forged state, a forged code and a declined sign-in are refused in
 * words, and nothing is signed in.
 */
import { rmSync } from 'node:fs';
import type { Page, Request } from 'playwright-core';
import { seriousViolations } from './console/axe-scan';
import { buildConsole } from './console/build-console';
import { chromiumSkipReason, launchChromium, type Browser } from './console/chromium';
import { startIdentityProvider, type IdentityProvider } from './console/identity-provider';
import { startTestApi, type TestApi } from './support/test-api';

const skipReason = chromiumSkipReason();
const clientId = 'access-audit-console';
const resource = 'https://access-audit.example/';
const apiScope = 'access-audit';
const providerButton = { name: 'Sign in with your identity provider', exact: true } as const;

interface PageGlobals {
  localStorage: { length: number };
  sessionStorage: { getItem(key: string): string | null };
  document: { cookie: string };
}

const claimsOf = (jwt: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

(skipReason === undefined ? describe : describe.skip)(
  `sign-in with an identity provider in Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let provider: IdentityProvider | undefined;
    let browser: Browser | undefined;
    let consoleDir: string | undefined;
    let api: TestApi | undefined;
    const pageErrors: string[] = [];

    const newTab = async (): Promise<Page> => {
      const tab = await browser!.context.newPage();
      tab.on('pageerror', (error) => pageErrors.push(error.message));
      tab.on('console', (message) => {
        // The provider's own login pages (devInteractions) reach for web fonts this machine cannot resolve.
        if (!tab.url().startsWith(api!.baseUrl)) return;
        if (message.type() === 'error' && !/status of 40[0134]/.test(message.text()))
          pageErrors.push(`console error: ${message.text()}`);
      });
      return tab;
    };
    /** Opens the sign-in page and presses the provider's button: resolves with the authorization request it sent. */
    const toProvider = async (tab: Page, path = '/teams'): Promise<URL> => {
      // Signed out at the provider too (its session cookie), so it shows its login page again.
      await browser!.context.clearCookies();
      await tab.goto(`${api!.baseUrl}/sign-in?next=${encodeURIComponent(path)}`);
      const authorization = tab.waitForRequest((request: Request) =>
        request.url().startsWith(`${provider!.issuer}/auth`),
      );
      await tab.getByRole('button', providerButton).click();
      const url = new URL((await authorization).url());
      await tab.locator('input[name="login"]').waitFor();
      return url;
    };
    const tokenIn = (tab: Page) =>
      tab.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.getItem('access-audit.token'));

    beforeAll(async () => {
      provider = await startIdentityProvider();
      browser = await launchChromium({ timezoneId: 'UTC' });
      consoleDir = buildConsole();
      api = await startTestApi({
        consoleDir,
        env: {
          AUTH_OIDC_ISSUER: provider.issuer,
          AUTH_OIDC_CLIENT_ID: clientId,
          AUTH_OIDC_SCOPE: `openid ${apiScope}`,
          AUTH_OIDC_RESOURCE: resource,
          AUTH_AUDIENCE: resource,
        },
      });
      await provider.register({ clientId, redirectUri: `${api.baseUrl}/sign-in`, resource, scope: apiScope });
      // alice, with a token in the provider's name, makes the team carol will find once signed in.
      const asAlice = `Bearer ${await provider.accessToken('alice', resource)}`;
      const post = (path: string, body: object) =>
        api!.http().post(path).set('Authorization', asAlice).send(body).expect(201);
      await post('/v1/teams', { id: 'acme', name: 'Acme', plan: 'enterprise' });
      await post('/v1/teams/acme/members', { userId: 'carol', role: 'owner' });
    }, 90_000);

    afterAll(async () => {
      try {
        await browser?.close();
        await api?.close();
      } finally {
        await provider?.close();
        if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
      }
    });

    afterEach(() => {
      expect(pageErrors.splice(0)).toEqual([]);
    });

    it('signs in through the provider’s login page with PKCE and comes back to the deep link; the API acts as the provider’s sub', async () => {
      const tab = await newTab();
      await tab.goto(`${api!.baseUrl}/teams/acme`);
      await tab.waitForURL(/\/sign-in\?next=/);
      await tab.getByRole('button', providerButton).waitFor();
      await expect(seriousViolations(tab)).resolves.toEqual([]);

      const authorization = tab.waitForRequest((request: Request) =>
        request.url().startsWith(`${provider!.issuer}/auth`),
      );
      await tab.getByRole('button', providerButton).click();
      const asked = new URL((await authorization).url()).searchParams;
      expect(Object.fromEntries(asked)).toMatchObject({
        client_id: clientId,
        redirect_uri: `${api!.baseUrl}/sign-in`,
        response_type: 'code',
        scope: `openid ${apiScope}`,
        code_challenge_method: 'S256',
        resource,
      });
      expect(asked.get('code_challenge')).toMatch(/^[\w-]{43}$/);
      expect(asked.get('state')).toMatch(/^[\w-]{20,}$/);
      expect(asked.get('nonce')).toMatch(/^[\w-]{20,}$/);

      await tab.locator('input[name="login"]').fill('carol');
      await tab.locator('input[name="password"]').fill('any password');
      await tab.getByRole('button', { name: 'Sign-in' }).click();
      await tab.getByRole('button', { name: 'Continue' }).click();

      await tab.waitForURL(`${api!.baseUrl}/teams/acme`);
      await tab.locator('main table tbody tr').first().waitFor();
      await expect(tab.locator('header.bar strong').textContent()).resolves.toBe('carol');
      await expect(tab.locator('main').textContent()).resolves.toContain('alice');

      const token = await tokenIn(tab);
      expect(claimsOf(token!)).toMatchObject({ iss: provider!.issuer, aud: resource, sub: 'carol' });
      const storage = await tab.evaluate(() => {
        const { localStorage, document } = globalThis as unknown as PageGlobals;
        return { localStorage: localStorage.length, cookies: document.cookie };
      });
      expect(storage).toEqual({ localStorage: 0, cookies: '' });
      // The same token over HTTP: the event's actor is the provider's sub.
      await api!
        .http()
        .post('/v1/teams/acme/projects')
        .set('Authorization', `Bearer ${token!}`)
        .send({ id: 'web', name: 'Web' })
        .expect(201);
      const events = await api!.teamEvents('acme');
      expect(events.at(-1)!.metadata).toMatchObject({ actorId: 'carol' });
      await tab.close();
    }, 30_000);

    it('refuses an answer whose state is not the one this tab sent, in words, and signs nothing in', async () => {
      const tab = await newTab();
      await toProvider(tab);
      await tab.goto(`${api!.baseUrl}/sign-in?code=forged&state=forged&iss=${encodeURIComponent(provider!.issuer)}`);
      const alert = tab.getByRole('alert');
      await expect(alert.textContent()).resolves.toMatch(
        /does not match the sign-in this tab started \(its state differs\)/,
      );
      expect(tab.url()).toBe(`${api!.baseUrl}/sign-in`);
      await expect(tokenIn(tab)).resolves.toBeNull();
      await expect(seriousViolations(tab)).resolves.toEqual([]);
      await tab.close();
    }, 20_000);

    it('refuses a forged code the provider will not exchange, in words', async () => {
      const tab = await newTab();
      const authorization = await toProvider(tab);
      const state = authorization.searchParams.get('state')!;
      await tab.goto(
        `${api!.baseUrl}/sign-in?code=forged-code&state=${state}&iss=${encodeURIComponent(provider!.issuer)}`,
      );
      await expect(tab.getByRole('alert').textContent()).resolves.toMatch(
        /^The identity provider refused to exchange the sign-in code for an access token \(invalid_grant/,
      );
      await expect(tokenIn(tab)).resolves.toBeNull();
      await tab.close();
    }, 20_000);

    it('says in words that the sign-in was declined at the provider (access_denied)', async () => {
      const tab = await newTab();
      await toProvider(tab);
      await tab.getByRole('link', { name: '[ Cancel ]' }).click();
      await tab.waitForURL(`${api!.baseUrl}/sign-in`);
      await expect(tab.getByRole('alert').textContent()).resolves.toMatch(
        /^The sign-in was declined at the identity provider \(access_denied/,
      );
      await expect(tokenIn(tab)).resolves.toBeNull();
      await expect(seriousViolations(tab)).resolves.toEqual([]);
      await tab.close();
    }, 20_000);
  },
);
