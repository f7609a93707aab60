/**
 * The reviewer console in a real browser (Debian's Chromium through playwright-core), against the API serving a build
 * of the current sources: a reviewer signs in with an access token, opens a team, asks who held a permission at a past
 * instant and sees what the API answers; names with HTML in them show literally; the page runs under a
 * Content-Security-Policy without inline script; the token stays out of localStorage and cookies.
 * Screenshots go to test-artifacts/console/ (git-ignored).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumSkipReason, type Browser } from './console/chromium';
import { startConsoleUnderTest, type ConsoleUnderTest } from './console/console-under-test';
import type { TestApi, UserClient } from './support/test-api';

const skipReason = chromiumSkipReason();
const artifacts = join(__dirname, '..', '..', 'test-artifacts', 'console');
// The browser's zone is not UTC, so the date-time picker's local time is converted, not merely copied.
const timezoneId = 'Asia/Kolkata';
const kolkataOffsetMs = (5 * 60 + 30) * 60_000;
const xssName = '<img src=x onerror="window.__xss=1">Acme <script>window.__xss=2</script>';
const xssProjectName = '<b onmouseover="window.__xss=3">Web</b>';
const permission = 'project.deploy.production';

/** What the tests read of the page's globals (this project compiles without the DOM library). */
interface PageGlobals {
  __xss?: number;
  localStorage: { getItem(key: string): string | null };
  sessionStorage: { getItem(key: string): string | null };
  document: { cookie: string };
}

interface Holders {
  users: { userId: string; via: { kind: string; role?: string; projectId?: string; group?: string }[] }[];
}

(skipReason === undefined ? describe : describe.skip)(
  `the reviewer console in Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let api: TestApi;
    let underTest: ConsoleUnderTest | undefined;
    let browser: Browser;
    let alice: UserClient;
    let pastInstant: string;
    const pageProblems: string[] = [];

    const watch = (page: Page): Page => {
      page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error' && !/status of 40[134]/.test(message.text()))
          pageProblems.push(`console error: ${message.text()}`);
      });
      page.on('dialog', (dialog) => {
        pageProblems.push(`dialog opened: ${dialog.message()}`);
        void dialog.dismiss();
      });
      return page;
    };
    const screenshot = (page: Page, name: string) =>
      page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
    const signIn = async (page: Page, token: string) => {
      await page.getByLabel('Access token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
    };

    beforeAll(async () => {
      mkdirSync(artifacts, { recursive: true });
      // First: without a browser (when one is required) the suite fails at once.
      underTest = await startConsoleUnderTest({ timezoneId });
      ({ browser, api } = underTest);
      alice = await api.as('alice');
      await alice.post('/v1/teams', { id: 'acme', name: xssName, plan: 'enterprise' }).expect(201);
      await alice.post('/v1/teams/acme/projects', { id: 'web', name: xssProjectName }).expect(201);
      await alice.post('/v1/teams/acme/members', { userId: 'bob', role: 'contributor' }).expect(201);
      await alice
        .put('/v1/teams/acme/projects/web/members/bob', {
          role: 'project_developer',
          reason: '<script>alert(1)</script>',
        })
        .expect(200);
      // An instant strictly between bob's grant and its revocation, at a millisecond the picker can hold.
      await new Promise((resolve) => setTimeout(resolve, 20));
      pastInstant = new Date().toISOString();
      await new Promise((resolve) => setTimeout(resolve, 20));
      const revoked = await alice.delete('/v1/teams/acme/projects/web/members/bob').expect(200);
      // The read models include the revocation before the browser asks.
      await alice
        .get(`/v1/teams/acme/projects/web/access?permission=${permission}&minPosition=${revoked.body.position}`)
        .expect(200);
    }, 60_000);

    afterAll(async () => {
      await underTest?.close();
    });

    afterEach(() => {
      expect(pageProblems.splice(0)).toEqual([]);
    });

    it('serves the page at its deep links under a Content-Security-Policy without inline script, and leaves the API routes alone', async () => {
      for (const path of ['/', '/sign-in', '/teams/acme', '/teams/acme/access?projectId=web&permission=x']) {
        const page = await api.http().get(path).expect(200);
        expect(page.headers['content-type']).toMatch(/^text\/html/);
        const policy = String(page.headers['content-security-policy']);
        expect(policy).toMatch(/(^|; )script-src 'self'(;|$)/);
        expect(policy).not.toMatch(/unsafe-inline|unsafe-eval/);
        const scripts = [...page.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
        expect(scripts.length).toBeGreaterThan(0);
        for (const [, attributes, body] of scripts) {
          expect(attributes).toMatch(/\bsrc="\/assets\/[^"]+\.js"/);
          expect(body!.trim()).toBe('');
        }
      }
      await api
        .http()
        .get('/assets/no-such-file.js')
        .expect(404)
        .expect('Content-Type', /problem\+json/);
      await api
        .http()
        .get('/v1/no-such-route')
        .expect(404)
        .expect('Content-Type', /problem\+json/);
      await api.http().get('/healthz').expect(200).expect('Content-Type', /json/);
      await api.http().get('/docs-json').expect(200).expect('Content-Type', /json/);
    });

    it('a reviewer signs in with a token, opens the team and finds who held a permission at a past instant, as the API answers', async () => {
      const page = watch(await browser.context.newPage());
      const first = await page.goto(`${api.baseUrl}/teams/acme`);
      expect(first?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
      await page.waitForURL(/\/sign-in\?next=/);
      await screenshot(page, 'sign-in');
      await signIn(page, 'not a token');
      await expect(page.getByRole('alert').textContent()).resolves.toMatch(/not an access token/);

      await signIn(page, await api.token('alice'));
      await page.waitForURL(`${api.baseUrl}/teams/acme`);
      // The names with HTML in them show as text, and nothing they carry ran.
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain(xssName);
      await expect(page.getByRole('cell', { name: xssProjectName, exact: true }).count()).resolves.toBe(1);
      expect(await page.locator('main img, main script, main b').count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).__xss)).toBeUndefined();
      const members = await page.locator('table').first().locator('tbody tr').allTextContents();
      expect(members).toEqual(
        expect.arrayContaining([expect.stringContaining('alice'), expect.stringContaining('bob')]),
      );
      await screenshot(page, 'team');

      // The picker takes the instant in the browser's local time.
      const local = new Date(Date.parse(pastInstant) + kolkataOffsetMs).toISOString().replace('Z', '');
      await page.getByLabel('Project').selectOption('web');
      await page.getByLabel('Permission').fill(permission);
      await page.getByLabel(/^At/).fill(local);
      await page.getByRole('button', { name: 'Show who holds it' }).click();
      await page.waitForURL(/\/teams\/acme\/access\?/);
      const url = new URL(page.url());
      expect(Object.fromEntries(url.searchParams)).toEqual({ projectId: 'web', permission, at: pastInstant });

      const then = (
        await alice.get(`/v1/teams/acme/projects/web/access?permission=${permission}&at=${pastInstant}`).expect(200)
      ).body as Holders;
      expect(then.users.map((user) => user.userId).sort()).toEqual(['alice', 'bob']);
      const rows = page.locator('table.answer tbody tr');
      await rows.first().waitFor();
      const shown = await rows.evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
      );
      expect(shown.map(([userId]) => userId).sort()).toEqual(then.users.map((user) => user.userId).sort());
      const why = new Map(shown.map(([userId, via]) => [userId, via]));
      expect(why.get('bob')).toBe('project role project_developer on project web');
      expect(why.get('alice')).toMatch(/^team role owner/);
      await screenshot(page, 'access-at-instant');

      // The same view now, opened as a deep link: bob's role was revoked since.
      const now = (await alice.get(`/v1/teams/acme/projects/web/access?permission=${permission}`).expect(200))
        .body as Holders;
      await page.goto(`${api.baseUrl}/teams/acme/access?projectId=web&permission=${permission}`);
      await page.locator('table.answer tbody tr').first().waitFor();
      const nowShown = await page.locator('table.answer tbody tr td:first-child').allTextContents();
      expect(nowShown.sort()).toEqual(now.users.map((user) => user.userId).sort());
      expect(nowShown).toEqual(['alice']);

      // The token is kept in this tab's sessionStorage only.
      const token = await page.evaluate(() =>
        (globalThis as unknown as PageGlobals).sessionStorage.getItem('access-audit.token'),
      );
      expect(token).toBeTruthy();
      const stored = await page.evaluate(() => {
        const { localStorage, document } = globalThis as unknown as PageGlobals;
        return {
          local: Object.keys(localStorage).map((key) => `${key}=${localStorage.getItem(key)}`),
          cookie: document.cookie,
        };
      });
      expect(stored.local.join('\n')).not.toContain(token!);
      expect(stored).toEqual({ local: [], cookie: '' });
      expect((await browser.context.cookies()).map((cookie) => cookie.name)).toEqual([]);
      await page.close();
    }, 30_000);

    it('says in words what the API refuses', async () => {
      const page = watch(await browser.context.newPage());
      await page.goto(`${api.baseUrl}/sign-in?next=${encodeURIComponent('/teams/acme')}`);
      await signIn(page, await api.token('mallory'));
      await page.waitForURL(`${api.baseUrl}/teams/acme`);
      const refusal = page.getByRole('alert');
      await refusal.waitFor();
      const words = (await refusal.textContent()) ?? '';
      expect(words).toMatch(/^(Not found|You are not allowed)/);
      expect(words).not.toMatch(/[{}]/);
      await screenshot(page, 'refusal');
      await page.close();
    }, 20_000);
  },
);
