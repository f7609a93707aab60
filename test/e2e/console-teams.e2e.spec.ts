/**
 * The console's teams list in Chromium, against the API serving a build of the current sources: it lists exactly the
 * teams GET /v1/teams answers (every page), each a link to its team; names with HTML in them show literally; a user who
 * reads no team is told so in words; the open-by-id form still opens any team. Also the audit view's signed head: the
 * checkpoint the verify answer names, its signature checked in the browser with WebCrypto.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumSkipReason, type Browser } from './console/chromium';
import { startConsoleUnderTest, type ConsoleUnderTest } from './console/console-under-test';
import type { TestApi, UserClient } from './support/test-api';

const skipReason = chromiumSkipReason();
const artifacts = join(__dirname, '..', '..', 'test-artifacts', 'console');
const xssName = '<img src=x onerror="window.__xss=1">Initech <script>window.__xss=2</script>';

interface Listed {
  id: string;
  name: string;
  plan: string;
  role: string | null;
}

(skipReason === undefined ? describe : describe.skip)(
  `the console's teams list and signed head in Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let api: TestApi;
    let underTest: ConsoleUnderTest | undefined;
    let browser: Browser;
    let alice: UserClient;
    const pageProblems: string[] = [];

    const openSignedIn = async (user: string, path: string): Promise<Page> => {
      const page = await browser.context.newPage();
      page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
      await page.goto(`${api.baseUrl}/sign-in?next=${encodeURIComponent(path)}`);
      await page.getByLabel('Access token').fill(await api.token(user));
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${api.baseUrl}${path}`);
      return page;
    };
    /** Every team GET /v1/teams answers the user, following its cursors. */
    const apiTeams = async (client: UserClient): Promise<Listed[]> => {
      const teams: Listed[] = [];
      let cursor: string | null = null;
      do {
        const path: string = `/v1/teams?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const body = (await client.get(path).expect(200)).body as { teams: Listed[]; nextCursor: string | null };
        teams.push(...body.teams);
        cursor = body.nextCursor;
      } while (cursor !== null);
      return teams;
    };
    const shownTeams = (page: Page) =>
      page
        .locator('ul.team-list li')
        .evaluateAll((items) =>
          items.map((item) => ({ id: item.getAttribute('data-team-id'), text: item.textContent?.trim() ?? '' })),
        );

    beforeAll(async () => {
      mkdirSync(artifacts, { recursive: true });
      underTest = await startConsoleUnderTest({ timezoneId: 'UTC' });
      ({ browser, api } = underTest);
      alice = await api.as('alice');
      const bob = await api.as('bob');
      // More teams than one page of the console (50).
      for (let index = 0; index < 52; index++) {
        const id = `t${String(index).padStart(2, '0')}`;
        await alice.post('/v1/teams', { id, name: `Team ${index}`, plan: 'pro' }).expect(201);
      }
      await bob.post('/v1/teams', { id: 'initech', name: xssName, plan: 'enterprise' }).expect(201);
      await bob.post('/v1/teams/initech/members', { userId: 'alice', role: 'enterprise_viewer' }).expect(201);
      await bob.post('/v1/teams', { id: 'hidden', name: 'Hidden', plan: 'enterprise' }).expect(201);
      const last = await bob.post('/v1/teams/hidden/members', { userId: 'alice', role: 'developer' }).expect(201);
      await alice.get(`/v1/teams?minPosition=${encodeURIComponent(last.body.position as string)}`).expect(200);
    }, 60_000);

    afterAll(async () => {
      await underTest?.close();
    });

    afterEach(() => {
      expect(pageProblems.splice(0)).toEqual([]);
    });

    it('lists exactly the teams the API answers, page after page, a name with HTML shown as text', async () => {
      const expected = await apiTeams(alice);
      expect(expected.map((team) => team.id)).not.toContain('hidden');
      expect(expected).toHaveLength(53);
      const page = await openSignedIn('alice', '/teams');
      await page.locator('ul.team-list li').first().waitFor();
      expect(await page.locator('ul.team-list li').count()).toBe(50);
      await page.getByRole('button', { name: 'Load more teams' }).click();
      await page.locator('ul.team-list li').nth(52).waitFor();
      expect(await page.getByRole('button', { name: 'Load more teams' }).count()).toBe(0);
      expect(await shownTeams(page)).toEqual(
        expected.map((team) => ({
          id: team.id,
          text: `${team.name} (${team.id}, plan ${team.plan}, your role ${team.role})`,
        })),
      );
      expect(await page.getByRole('link', { name: xssName, exact: true }).count()).toBe(1);
      expect(await page.locator('main img, main script').count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
      await page.screenshot({ path: join(artifacts, 'teams.png'), fullPage: true });

      await page.getByRole('link', { name: xssName, exact: true }).click();
      await page.waitForURL(`${api.baseUrl}/teams/initech`);
      await page.getByRole('heading', { level: 1 }).filter({ hasText: 'initech' }).waitFor();
      await page.close();
    }, 30_000);

    it('tells a user who reads no team so in words, and still opens a team by its id', async () => {
      const page = await openSignedIn('carol', '/teams');
      const empty = page.getByTestId('no-teams');
      await empty.waitFor();
      await expect(empty.textContent()).resolves.toMatch(/^You can read no team yet/);
      await page.getByLabel('Team id').fill('t01');
      await page.getByRole('button', { name: 'Open team' }).click();
      await page.waitForURL(`${api.baseUrl}/teams/t01`);
      await expect(page.getByRole('alert').first().textContent()).resolves.toMatch(/needs the permission team\.view/);
      await page.close();
    }, 20_000);

    it('shows the signed head the verify answer names, its signature valid in the browser; a forged one is said invalid', async () => {
      await alice.post('/v1/teams/t00/members', { userId: 'dana', role: 'member' }).expect(201);
      // An unfiltered export signs the head first.
      await alice.get('/v1/teams/t00/audit?format=ndjson').buffer(true).expect(200);
      const verified = (await alice.get('/v1/teams/t00/audit/verify').expect(200)).body as {
        checkpoint: { sequence: number; headHash: string; keyId: string; signature: string; signedAt: string };
      };
      expect(verified.checkpoint).not.toBeNull();
      const page = await openSignedIn('alice', '/teams/t00/audit');
      const check = page.getByTestId('signature-check');
      await page.locator('[data-testid="signature-check"][data-state="valid"]').waitFor();
      await expect(check.textContent()).resolves.toMatch(/^Signature valid/);
      const field = (name: string) => page.locator(`dd[data-field="checkpoint.${name}"]`).textContent();
      await expect(field('sequence')).resolves.toBe(String(verified.checkpoint.sequence));
      await expect(field('headHash')).resolves.toBe(verified.checkpoint.headHash);
      await expect(field('keyId')).resolves.toBe(verified.checkpoint.keyId);
      await expect(field('signature')).resolves.toBe(verified.checkpoint.signature);
      await expect(field('signedAt')).resolves.toBe(verified.checkpoint.signedAt);
      await page.screenshot({ path: join(artifacts, 'audit-signed-head.png'), fullPage: true });

      // The browser's check is its own: a verify answer whose checkpoint was altered on the way is said invalid.
      await page.route('**/v1/teams/t00/audit/verify', async (route) => {
        const response = await route.fetch();
        const body = (await response.json()) as { checkpoint: { signedAt: string } };
        body.checkpoint.signedAt = '2000-01-01T00:00:00.000Z';
        await route.fulfill({ response, json: body });
      });
      await page.reload();
      await page.locator('[data-testid="signature-check"][data-state="invalid"]').waitFor();
      await expect(check.textContent()).resolves.toBe(
        'Signature invalid: the signature does not match the checkpoint.',
      );
      await page.close();
    }, 30_000);
  },
);
