/**
 * An axe-core scan of each console view, in Chromium against the API serving a build of the current sources, each view
 * opened with realistic data (the member timeline with the admin actions' impact preview open, then applied), and the
 * refusals said in words: no serious or critical violation. axe is evaluated in the page, since the console's CSP
 * (script-src 'self') keeps out a script tag.
 */
import type { Page } from 'playwright-core';
import { SignInLinks } from '../../apps/api/src/console/sign-in-links';
import { seriousViolations } from './console/axe-scan';
import { chromiumSkipReason, type Browser } from './console/chromium';
import { startConsoleUnderTest, type ConsoleUnderTest } from './console/console-under-test';
import type { TestApi, UserClient } from './support/test-api';

const skipReason = chromiumSkipReason();
const TEAM = 'acme';

(skipReason === undefined ? describe : describe.skip)(
  `an axe-core scan of each console view${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let api: TestApi;
    let underTest: ConsoleUnderTest | undefined;
    let browser: Browser;
    let page: Page;
    let alice: UserClient;
    let reviewId: string;
    const pageErrors: string[] = [];

    /** A new tab signed in with the console's own form (the token lives in the tab's sessionStorage). */
    const signedInTab = async (user: string, path: string): Promise<Page> => {
      const tab = await browser.context.newPage();
      tab.on('pageerror', (error) => pageErrors.push(error.message));
      await tab.goto(`${api.baseUrl}/sign-in?next=${encodeURIComponent(path)}`);
      await tab.getByLabel('Access token').fill(await api.token(user));
      await tab.getByRole('button', { name: 'Sign in' }).click();
      await tab.waitForURL(`${api.baseUrl}${path}`);
      return tab;
    };
    const open = async (path: string, ready: string) => {
      await page.goto(`${api.baseUrl}${path}`);
      await page.locator(ready).first().waitFor();
    };

    beforeAll(async () => {
      underTest = await startConsoleUnderTest({ timezoneId: 'UTC' });
      ({ browser, api } = underTest);
      alice = await api.as('alice');
      const oscar = await api.as('oscar');
      await alice.post('/v1/teams', { id: TEAM, name: 'Acme', plan: 'enterprise' }).expect(201);
      await alice.post(`/v1/teams/${TEAM}/projects`, { id: 'web', name: 'Web' }).expect(201);
      await alice.post(`/v1/teams/${TEAM}/members`, { userId: 'oscar', role: 'owner' }).expect(201);
      await alice.post(`/v1/teams/${TEAM}/members`, { userId: 'bob', role: 'contributor' }).expect(201);
      await alice.post(`/v1/teams/${TEAM}/members`, { userId: 'carol', role: 'member' }).expect(201);
      await alice
        .put(`/v1/teams/${TEAM}/projects/web/members/bob`, { role: 'project_developer', reason: 'ships the web app' })
        .expect(200);
      await alice.put(`/v1/teams/${TEAM}/members/bob/permission-groups/create_project`).expect(200);
      const opened = await alice
        .post(`/v1/teams/${TEAM}/access-reviews`, {
          name: 'Q1 review',
          reviewerIds: ['oscar'],
          dueAt: new Date(Date.now() + 7 * 24 * 3600_000).toISOString(),
        })
        .expect(201);
      reviewId = opened.body.reviewId as string;
      // One decided item, so the campaign shows both a decision and the forms of the undecided ones.
      await oscar
        .post(`/v1/teams/${TEAM}/access-reviews/${reviewId}/items/team_role:carol/decision`, {
          decision: 'keep',
          justification: 'still on the team',
        })
        .expect(201);
      await alice.post(`/v1/teams/${TEAM}/members`, { userId: 'dave', role: 'member' }).expect(201);
      const last = await alice.put(`/v1/teams/${TEAM}/members/carol/role`, { role: 'developer' }).expect(200);
      await alice.get(`/v1/teams/${TEAM}?minPosition=${encodeURIComponent(last.body.position as string)}`).expect(200);
      page = await signedInTab('alice', `/teams/${TEAM}`);
    }, 60_000);

    afterAll(async () => {
      await underTest?.close();
    });

    afterEach(() => {
      expect(pageErrors.splice(0)).toEqual([]);
    });

    it('sign-in, empty and refusing a token that is not one', async () => {
      const tab = await browser.context.newPage();
      tab.on('pageerror', (error) => pageErrors.push(error.message));
      await tab.goto(`${api.baseUrl}/sign-in`);
      await tab.getByLabel('Access token').waitFor();
      await expect(seriousViolations(tab)).resolves.toEqual([]);
      await tab.getByLabel('Access token').fill('not-a-token');
      await tab.getByRole('button', { name: 'Sign in' }).click();
      await tab.getByRole('alert').waitFor();
      await expect(seriousViolations(tab)).resolves.toEqual([]);
      await tab.close();
    });

    it('sign-in with a one-time link: signed in once, then the used link refused in words', async () => {
      const tab = await browser.context.newPage();
      tab.on('pageerror', (error) => pageErrors.push(error.message));
      const code = api.app.get(SignInLinks).issue('carol');
      await tab.goto(`${api.baseUrl}/sign-in#code=${code}`);
      await tab.waitForURL(`${api.baseUrl}/teams`);
      await tab.getByText('Signed in as').waitFor();
      await expect(tab.locator('header.bar strong').textContent()).resolves.toBe('carol');
      await expect(seriousViolations(tab)).resolves.toEqual([]);
      await tab.getByRole('button', { name: 'Sign out' }).click();
      await tab.goto(`${api.baseUrl}/sign-in#code=${code}`);
      await expect(tab.getByRole('alert').textContent()).resolves.toMatch(
        /^This sign-in link was refused: .*already used/,
      );
      // The code left the address bar before it was redeemed.
      expect(tab.url()).toBe(`${api.baseUrl}/sign-in`);
      await expect(seriousViolations(tab)).resolves.toEqual([]);
      await tab.close();
    }, 20_000);

    it('team', async () => {
      await open(`/teams/${TEAM}`, 'main table tbody tr');
      await expect(seriousViolations(page)).resolves.toEqual([]);
    });

    it('teams, listed from the API', async () => {
      await open('/teams', 'main ul.team-list li');
      await expect(seriousViolations(page)).resolves.toEqual([]);
    });

    it('teams, none readable (said in words)', async () => {
      const asNobody = await signedInTab('nobody', '/teams');
      await asNobody.getByTestId('no-teams').waitFor();
      await expect(seriousViolations(asNobody)).resolves.toEqual([]);
      await asNobody.close();
    });

    it('live changes, streaming, and refused to a contributor', async () => {
      await open(`/teams/${TEAM}/changes`, 'table.live-changes tbody tr');
      await page.locator('[data-testid="stream-status"][data-state="live"]').waitFor();
      await expect(seriousViolations(page)).resolves.toEqual([]);
      const asBob = await signedInTab('bob', `/teams/${TEAM}/changes`);
      await asBob.getByRole('alert').waitFor();
      await expect(seriousViolations(asBob)).resolves.toEqual([]);
      await asBob.close();
    });

    it('access, who holds a permission at an instant', async () => {
      const at = new Date().toISOString();
      await open(
        `/teams/${TEAM}/access?projectId=web&permission=project.deploy.production&at=${encodeURIComponent(at)}`,
        'table.answer tbody tr',
      );
      await expect(seriousViolations(page)).resolves.toEqual([]);
    });

    it('member timeline with the impact preview of a role change open, then applied', async () => {
      await open(`/teams/${TEAM}/members/bob`, 'table.changes tbody tr');
      await page.getByLabel('New team role').selectOption('developer');
      await page.getByRole('button', { name: 'Preview role change' }).click();
      await page.locator('section.impact-preview table.permission-changes tbody tr').first().waitFor();
      await expect(seriousViolations(page)).resolves.toEqual([]);
      await page.getByRole('button', { name: 'Confirm' }).click();
      await page.getByRole('status').waitFor();
      await expect(seriousViolations(page)).resolves.toEqual([]);
    });

    it('audit log with its chain verification', async () => {
      await open(`/teams/${TEAM}/audit`, 'table.audit-entries tbody tr');
      await page.getByTestId('verdict').waitFor();
      await expect(seriousViolations(page)).resolves.toEqual([]);
    });

    it('audit log with its signed head, the signature checked in the browser', async () => {
      // An unfiltered export signs the head first.
      await alice.get(`/v1/teams/${TEAM}/audit?format=ndjson`).buffer(true).expect(200);
      await open(`/teams/${TEAM}/audit`, '[data-testid="signature-check"][data-state="valid"]');
      await expect(seriousViolations(page)).resolves.toEqual([]);
    });

    it('access-review campaigns', async () => {
      await open(`/teams/${TEAM}/access-reviews`, 'table.campaigns tbody tr');
      await expect(seriousViolations(page)).resolves.toEqual([]);
    });

    it('access-review campaign, one item decided', async () => {
      await open(`/teams/${TEAM}/access-reviews/${reviewId}`, 'article');
      await page.getByText(/^Decided keep by oscar/).waitFor();
      await expect(seriousViolations(page)).resolves.toEqual([]);
    });

    it('no such page', async () => {
      await open(`/teams/${TEAM}/no-such-view`, 'main h1');
      await expect(seriousViolations(page)).resolves.toEqual([]);
    });

    it('refusals said in words: the audit log and an impact preview refused to a plain member', async () => {
      const asDave = await signedInTab('dave', `/teams/${TEAM}/audit`);
      await asDave.getByRole('alert').first().waitFor();
      await expect(seriousViolations(asDave)).resolves.toEqual([]);
      await asDave.goto(`${api.baseUrl}/teams/${TEAM}/members/bob`);
      await asDave.getByRole('button', { name: 'Preview removal from the team' }).click();
      await asDave.getByRole('alert').waitFor();
      await expect(seriousViolations(asDave)).resolves.toEqual([]);
      await asDave.close();
    }, 20_000);

    it('the scan reports what it finds: a button without a name and text too faint to read', async () => {
      await open(`/teams/${TEAM}`, 'main table tbody tr');
      // The CSP keeps out style attributes in markup; the faint colour is set through the CSSOM.
      await page.evaluate(() => {
        type Element = { id: string; textContent: string; style: { color: string } };
        const { document } = globalThis as unknown as {
          document: { querySelector(s: string): { append(...e: Element[]): void }; createElement(t: string): Element };
        };
        const nameless = document.createElement('button');
        nameless.id = 'nameless';
        const faint = document.createElement('p');
        faint.id = 'faint';
        faint.textContent = 'faint';
        faint.style.color = '#ddd';
        document.querySelector('main').append(nameless, faint);
      });
      const found = await seriousViolations(page);
      expect(found).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^critical button-name at #nameless: /),
          expect.stringMatching(/^serious color-contrast at #faint: /),
        ]),
      );
    });
  },
);
