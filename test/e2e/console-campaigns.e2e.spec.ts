/**
 * Access-review campaigns in the reviewer console, in Chromium against the API serving a build of the current sources:
 * a reviewer opens the team's campaign from the team view, decides its items (one revoke, by keyboard only), is told in
 * words that separation of duties keeps them off their own access, completes the campaign, and downloads the evidence
 * as JSON and CSV byte for byte as the API answers; the revoked access is then gone in the API.
 * Screenshots go to test-artifacts/console/ (git-ignored).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type request from 'supertest';
import { chromiumSkipReason, type Browser } from './console/chromium';
import { startConsoleUnderTest, type ConsoleUnderTest } from './console/console-under-test';
import type { TestApi, UserClient } from './support/test-api';

const skipReason = chromiumSkipReason();
const artifacts = join(__dirname, '..', '..', 'test-artifacts', 'console');
const TEAM = 'camp';
const permission = 'project.deploy.production';

/** The answer's exact bytes, whatever its content type. */
const rawBody = (test: request.Test) =>
  test.buffer(true).parse((response, done) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => done(null, Buffer.concat(chunks)));
  });

interface ActiveElement {
  document: { activeElement: { getAttribute(name: string): string | null } | null };
}

(skipReason === undefined ? describe : describe.skip)(
  `access-review campaigns in the reviewer console${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let api: TestApi;
    let underTest: ConsoleUnderTest | undefined;
    let browser: Browser;
    let alice: UserClient; // owner, opens the campaign
    let oscar: UserClient; // owner and reviewer: runs the campaign in the browser
    let rita: UserClient; // enterprise_viewer and reviewer: decides on oscar's own access
    let reviewId: string;
    const pageProblems: string[] = [];

    const watch = (page: Page): Page => {
      page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        // The refusals the test provokes (403, 422) and the browser's own favicon request are logged as failed loads.
        const expected = /status of 4(03|22)/.test(message.text()) || message.location().url.endsWith('/favicon.ico');
        if (message.type() === 'error' && !expected)
          pageProblems.push(`console error: ${message.text()} ${message.location().url}`);
      });
      return page;
    };
    const screenshot = (page: Page, name: string) =>
      page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
    const allowed = async (userId: string) => {
      const query = new URLSearchParams({ teamId: TEAM, userId, permission, projectId: 'web' });
      return ((await alice.get(`/v1/check?${query}`).expect(200)).body as { allowed: boolean }).allowed;
    };

    beforeAll(async () => {
      mkdirSync(artifacts, { recursive: true });
      underTest = await startConsoleUnderTest({ timezoneId: 'Europe/Berlin' });
      ({ browser, api } = underTest);
      [alice, oscar, rita] = await Promise.all(['alice', 'oscar', 'rita'].map((user) => api.as(user)));
      await alice.post('/v1/teams', { id: TEAM, name: 'Campaign Co', plan: 'enterprise' }).expect(201);
      await alice.post(`/v1/teams/${TEAM}/projects`, { id: 'web', name: 'Web' }).expect(201);
      await alice.post(`/v1/teams/${TEAM}/members`, { userId: 'oscar', role: 'owner' }).expect(201);
      await alice.post(`/v1/teams/${TEAM}/members`, { userId: 'rita', role: 'enterprise_viewer' }).expect(201);
      await alice.post(`/v1/teams/${TEAM}/members`, { userId: 'bob', role: 'contributor' }).expect(201);
      await alice.put(`/v1/teams/${TEAM}/projects/web/members/bob`, { role: 'project_developer' }).expect(200);
      const opened = await alice
        .post(`/v1/teams/${TEAM}/access-reviews`, {
          name: 'Q1 <b>review</b>',
          reviewerIds: ['oscar', 'rita'],
          dueAt: new Date(Date.now() + 7 * 24 * 3600_000).toISOString(),
        })
        .expect(201);
      reviewId = opened.body.reviewId as string;
      // bob can deploy before the campaign revokes his project role.
      const deadline = Date.now() + 15_000;
      while (!(await allowed('bob'))) {
        if (Date.now() > deadline) throw new Error('bob never held the permission');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }, 60_000);

    afterAll(async () => {
      await underTest?.close();
    });

    afterEach(() => {
      expect(pageProblems.splice(0)).toEqual([]);
    });

    it('a reviewer runs a campaign to completion, told separation-of-duties refusals in words, and downloads its evidence as the API answers it', async () => {
      const page = watch(await browser.context.newPage());
      await page.goto(`${api.baseUrl}/sign-in?next=${encodeURIComponent(`/teams/${TEAM}`)}`);
      await page.getByLabel('Access token').fill(await api.token('oscar'));
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${api.baseUrl}/teams/${TEAM}`);
      await page.getByRole('link', { name: 'Access reviews' }).click();
      await page.waitForURL(`${api.baseUrl}/teams/${TEAM}/access-reviews`);
      // The campaign's name is text, not markup.
      await page.getByRole('link', { name: 'Q1 <b>review</b>', exact: true }).click();
      await page.waitForURL(`${api.baseUrl}/teams/${TEAM}/access-reviews/${reviewId}`);
      const item = (itemId: string) => page.getByRole('article', { name: `Item ${itemId}`, exact: true });
      await item('team_role:alice').waitFor();
      expect(await page.getByRole('article').count()).toBe(5);

      // Keyboard only: Tab to bob's project role's keep/revoke, choose revoke, type the justification, Enter.
      const target = 'decision-project_role:bob:web';
      let reached = false;
      for (let presses = 0; presses < 60 && !reached; presses++) {
        await page.keyboard.press('Tab');
        reached = await page.evaluate(
          (name) => (globalThis as unknown as ActiveElement).document.activeElement?.getAttribute('name') === name,
          target,
        );
      }
      expect(reached).toBe(true);
      await page.keyboard.press('ArrowRight');
      await expect(item('project_role:bob:web').getByLabel('Revoke').isChecked()).resolves.toBe(true);
      await page.keyboard.press('Tab');
      await page.keyboard.type('left the web team');
      await page.keyboard.press('Enter');
      await item('project_role:bob:web')
        .getByText(/^Decided revoke by oscar at .*: left the web team$/)
        .waitFor();

      for (const itemId of ['team_role:alice', 'team_role:bob', 'team_role:rita']) {
        await item(itemId).getByLabel('Keep').check();
        await item(itemId).getByLabel('Justification').fill(`still needed: ${itemId}`);
        await item(itemId).getByRole('button', { name: 'Record decision' }).click();
        await item(itemId)
          .getByText(/^Decided keep by oscar/)
          .waitFor();
      }

      // oscar's own access: refused by the API, and said so in words naming the rule.
      const before = await api.teamRevision(TEAM);
      await item('team_role:oscar').getByLabel('Keep').check();
      await item('team_role:oscar').getByLabel('Justification').fill('I need it');
      await item('team_role:oscar').getByRole('button', { name: 'Record decision' }).click();
      const refusal = item('team_role:oscar').getByRole('alert');
      await refusal.waitFor();
      const words = (await refusal.textContent()) ?? '';
      expect(words).toMatch(/^Separation of duties: a reviewer may not decide on their own access\./);
      expect(words).toContain('access-review.sod.own-access');
      expect(words).not.toMatch(/[{}]/);
      await expect(item('team_role:oscar').getByText('Undecided').count()).resolves.toBe(1);
      expect(await api.teamRevision(TEAM)).toBe(before);
      await screenshot(page, 'campaign-refusal');

      // The other reviewer decides on oscar's access; the page shows it once it reloads.
      await rita
        .post(`/v1/teams/${TEAM}/access-reviews/${reviewId}/items/${encodeURIComponent('team_role:oscar')}/decision`, {
          decision: 'keep',
          justification: 'second owner',
        })
        .expect(201);

      await page.getByRole('button', { name: 'Complete campaign' }).click();
      await page.getByRole('status').getByText('The campaign is completed.').waitFor();
      await item('project_role:bob:web')
        .getByText(/outcome: revoked/)
        .waitFor();
      await item('team_role:oscar')
        .getByText(/^Decided keep by rita/)
        .waitFor();
      await expect(page.getByRole('button', { name: 'Record decision' }).count()).resolves.toBe(0);
      await screenshot(page, 'campaign-completed');

      const campaign = (await oscar.get(`/v1/teams/${TEAM}/access-reviews/${reviewId}`).expect(200)).body as {
        status: string;
        summary: { decided: number; revoke: number };
      };
      expect(campaign).toMatchObject({ status: 'completed', summary: { decided: 5, revoke: 1 } });

      for (const format of ['json', 'csv'] as const) {
        const [saved] = await Promise.all([
          page.waitForEvent('download'),
          page.getByRole('button', { name: `Download evidence (${format.toUpperCase()})` }).click(),
        ]);
        expect(saved.suggestedFilename()).toBe(`access-review-${TEAM}-${reviewId}.${format}`);
        expect(saved.url()).toMatch(/^blob:/);
        const bytes = readFileSync(await saved.path());
        const fromApi = await rawBody(
          oscar.get(`/v1/teams/${TEAM}/access-reviews/${reviewId}/evidence?format=${format}`),
        ).expect(200);
        expect(bytes.length).toBeGreaterThan(100);
        expect(bytes.equals(fromApi.body as Buffer)).toBe(true);
      }

      // The revoke was applied: bob can no longer deploy to web.
      const deadline = Date.now() + 15_000;
      while (await allowed('bob')) {
        if (Date.now() > deadline) throw new Error('bob still holds the permission after completion');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const team = (await alice.get(`/v1/teams/${TEAM}`).expect(200)).body as {
        members: { userId: string; projectRoles: Record<string, string> }[];
      };
      expect(team.members.find((member) => member.userId === 'bob')?.projectRoles).toEqual({});
      await page.close();
    }, 30_000);

    it('an owner starts a campaign from the form, told in words when the API refuses it, and opens one by id', async () => {
      const page = watch(await browser.context.newPage());
      await page.goto(`${api.baseUrl}/sign-in?next=${encodeURIComponent(`/teams/${TEAM}/access-reviews`)}`);
      await page.getByLabel('Access token').fill(await api.token('alice'));
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${api.baseUrl}/teams/${TEAM}/access-reviews`);
      await page.getByRole('link', { name: 'Q1 <b>review</b>', exact: true }).waitFor();

      const start = page.getByRole('form', { name: 'Start a campaign' });
      await start.getByLabel('Name').fill('Q2 review');
      await start.getByLabel(/^Reviewers/).fill('rita, zed');
      // Berlin is UTC+1 in December: the local time picked is an hour ahead of the instant sent.
      await start.getByLabel(/^Due/).fill('2031-12-01T10:30');
      const before = await api.teamRevision(TEAM);
      await start.getByRole('button', { name: 'Start campaign' }).click();
      const refusal = start.getByRole('alert');
      await refusal.waitFor();
      await expect(refusal.textContent()).resolves.toMatch(
        /^Every reviewer must be a member of the team\. \(.*rule access-review\.reviewers-are-members\)$/,
      );
      expect(await api.teamRevision(TEAM)).toBe(before);

      await start.getByLabel(/^Reviewers/).fill('rita');
      await start.getByRole('button', { name: 'Start campaign' }).click();
      await page.waitForURL(new RegExp(`/teams/${TEAM}/access-reviews/(?!${reviewId})[^/]+$`));
      const started = decodeURIComponent(page.url().split('/').pop()!);
      await page.getByRole('heading', { level: 1, name: /^Q2 review/ }).waitFor();
      const campaign = (await alice.get(`/v1/teams/${TEAM}/access-reviews/${started}`).expect(200)).body as object;
      expect(campaign).toMatchObject({
        name: 'Q2 review',
        reviewerIds: ['rita'],
        dueAt: '2031-12-01T09:30:00.000Z',
        status: 'open',
      });

      // Opening a campaign by its id, from the list page.
      await page.goto(`${api.baseUrl}/teams/${TEAM}/access-reviews`);
      await page.getByLabel('Campaign id').fill(reviewId);
      await page.getByRole('button', { name: 'Open campaign' }).click();
      await page.waitForURL(`${api.baseUrl}/teams/${TEAM}/access-reviews/${reviewId}`);
      await page.getByRole('heading', { level: 1, name: /^Q1 <b>review<\/b>/ }).waitFor();
      await screenshot(page, 'campaigns');
      await page.close();
    }, 20_000);
  },
);
