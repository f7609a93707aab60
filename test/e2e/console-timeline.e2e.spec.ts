/**
 * The console's member timeline and admin actions in Chromium, against the API serving a build of the current sources:
 * the timeline lists exactly the changes the API's history answers (a reason with HTML in it shown literally); a role
 * change previewed shows the API's own dryRun answer, appends nothing until confirmed, and confirming applies it, all by
 * keyboard; a team changed between preview and confirm, and refused previews, are said in words.
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
const xssReason = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> needs deploys';

interface PageGlobals {
  __xss?: number;
  document: {
    activeElement: { tagName: string; textContent: string | null; getAttribute(name: string): string | null } | null;
  };
}

interface PermissionChange {
  userId: string;
  projectId: string | null;
  permission: string;
  change: 'granted' | 'revoked';
}

/** A permission change as the preview table shows it: user, gains/loses, permission, where. */
const asRow = (c: PermissionChange) =>
  [
    c.userId,
    c.change === 'granted' ? 'gains' : 'loses',
    c.permission,
    c.projectId === null ? 'the team' : `project ${c.projectId}`,
  ].join(' | ');

(skipReason === undefined ? describe : describe.skip)(
  `the console's member timeline and impact preview in Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let api: TestApi;
    let underTest: ConsoleUnderTest | undefined;
    let browser: Browser;
    let alice: UserClient;
    const pageProblems: string[] = [];

    const watch = (page: Page): Page => {
      page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error' && !/status of 4(0[1349]|22)/.test(message.text()))
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
    const openSignedIn = async (user: string, path: string): Promise<Page> => {
      const page = watch(await browser.context.newPage());
      await page.goto(`${api.baseUrl}/sign-in?next=${encodeURIComponent(path)}`);
      await page.getByLabel('Access token').fill(await api.token(user));
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${api.baseUrl}${path}`);
      return page;
    };
    /** Presses Tab until the focused element matches, as a keyboard-only user would. */
    const tabTo = async (page: Page, matches: (tag: string, text: string, label: string | null) => boolean) => {
      for (let presses = 0; presses < 60; presses++) {
        await page.keyboard.press('Tab');
        const focused = await page.evaluate(() => {
          const active = (globalThis as unknown as PageGlobals).document.activeElement;
          return active
            ? { tag: active.tagName, text: (active.textContent ?? '').trim(), label: active.getAttribute('aria-label') }
            : null;
        });
        if (focused && matches(focused.tag, focused.text, focused.label)) return;
      }
      throw new Error('the element was never reached with Tab');
    };
    const memberRole = async (teamId: string, userId: string) =>
      (
        (await alice.get(`/v1/teams/${teamId}`).expect(200)).body as { members: { userId: string; role: string }[] }
      ).members.find((member) => member.userId === userId)?.role;

    beforeAll(async () => {
      mkdirSync(artifacts, { recursive: true });
      underTest = await startConsoleUnderTest({ timezoneId: 'UTC' });
      ({ browser, api } = underTest);
      alice = await api.as('alice');
      await alice.post('/v1/teams', { id: 'globex', name: 'Globex', plan: 'enterprise' }).expect(201);
      await alice.post('/v1/teams/globex/projects', { id: 'web', name: 'Web' }).expect(201);
      await alice.post('/v1/teams/globex/members', { userId: 'bob', role: 'contributor' }).expect(201);
      await alice.post('/v1/teams/globex/members', { userId: 'carol', role: 'member' }).expect(201);
      await alice
        .put('/v1/teams/globex/projects/web/members/bob', { role: 'project_developer', reason: xssReason })
        .expect(200);
      const last = await alice
        .put('/v1/teams/globex/members/bob/permission-groups/full_production_deployment')
        .expect(200);
      await alice.get(`/v1/teams/globex?minPosition=${encodeURIComponent(last.body.position as string)}`).expect(200);
    }, 60_000);

    afterAll(async () => {
      await underTest?.close();
    });

    afterEach(() => {
      expect(pageProblems.splice(0)).toEqual([]);
    });

    it("opens from the team's members and lists every change the API's history answers, a reason with HTML shown as text", async () => {
      const page = await openSignedIn('alice', '/teams/globex');
      await page.getByRole('link', { name: 'bob', exact: true }).click();
      await page.waitForURL(`${api.baseUrl}/teams/globex/members/bob`);
      const { entries } = (await alice.get('/v1/teams/globex/members/bob/history').expect(200)).body as {
        entries: { eventId: string; type: string; actorId: string; reason?: string }[];
      };
      expect(entries.length).toBeGreaterThanOrEqual(3);
      const rows = page.locator('table.changes tbody tr');
      await rows.first().waitFor();
      await expect(rows.count()).resolves.toBe(entries.length);
      await expect(page.locator('.change-count').textContent()).resolves.toMatch(
        new RegExp(`^${entries.length} changes`),
      );
      const shown = await rows.evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
      );
      expect(shown.map((cells) => [cells[1]!.split(' (')[0], cells[3]])).toEqual(
        entries.map((e) => [e.type, e.actorId]),
      );
      expect(shown.map((cells) => cells[4])).toEqual(entries.map((e) => e.reason ?? ''));
      expect(shown.map((cells) => cells[4])).toContain(xssReason);
      expect(await page.locator('main img, main script').count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).__xss)).toBeUndefined();
      // The picture: a lane for the team and one for the project bob held a role on.
      await expect(page.locator('.lane-scope').allTextContents()).resolves.toEqual(['team', 'project web']);
      await expect(page.locator('.lane').nth(1).locator('.held-span').textContent()).resolves.toContain(
        'project_developer',
      );
      await screenshot(page, 'member-timeline');
      await page.close();
    }, 30_000);

    it('previews a role change as the API does, appends nothing until confirmed, and applies it on Confirm, by keyboard only', async () => {
      const page = await openSignedIn('alice', '/teams/globex/members/bob');
      await page.locator('table.changes').waitFor();
      const expected = (
        await alice.put('/v1/teams/globex/members/bob/role?dryRun=true', { role: 'developer' }).expect(200)
      ).body as { streamRevision: number; permissionChanges: PermissionChange[] };
      expect(expected.permissionChanges.length).toBeGreaterThan(0);
      const revisionBefore = await api.teamRevision('globex');

      await tabTo(page, (tag) => tag === 'SELECT');
      await page.keyboard.type('developer');
      await tabTo(page, (tag, text) => tag === 'BUTTON' && text === 'Preview role change');
      await page.keyboard.press('Enter');
      const preview = page.locator('section.impact-preview');
      await preview.locator('table.permission-changes tbody tr').first().waitFor();
      const shown = await preview
        .locator('table.permission-changes tbody tr')
        .evaluateAll((trs) =>
          trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '').join(' | ')),
        );
      expect(shown.sort()).toEqual(expected.permissionChanges.map(asRow).sort());
      await expect(preview.locator('.preview-revision').textContent()).resolves.toBe(String(revisionBefore));
      // The preview appended nothing.
      expect(await api.teamRevision('globex')).toBe(revisionBefore);
      expect(await memberRole('globex', 'bob')).toBe('contributor');
      await screenshot(page, 'impact-preview');

      await tabTo(page, (tag, text) => tag === 'BUTTON' && text === 'Confirm');
      await page.keyboard.press('Enter');
      await page.getByRole('status').waitFor();
      expect(await api.teamRevision('globex')).toBeGreaterThan(revisionBefore);
      expect(await memberRole('globex', 'bob')).toBe('developer');
      // The timeline reads again and shows the change.
      await page.locator('table.changes tbody tr', { hasText: 'TeamRoleChanged' }).first().waitFor();
      await page.close();
    }, 30_000);

    it('says in words that the team changed between preview and confirm, and offers a new preview', async () => {
      const page = await openSignedIn('alice', '/teams/globex/members/carol');
      await page.getByLabel('New team role').selectOption('developer');
      await page.getByRole('button', { name: 'Preview role change' }).click();
      await page.getByRole('button', { name: 'Confirm' }).waitFor();
      // Someone else changes the team meanwhile.
      await alice.put('/v1/teams/globex/plan', { plan: 'enterprise', reason: 'meanwhile' });
      await alice.put('/v1/teams/globex/projects/web/members/bob', { role: 'project_viewer' });
      await alice.put('/v1/teams/globex/members/bob/role', { role: 'contributor' }).expect(200);
      const revision = await api.teamRevision('globex');
      await page.getByRole('button', { name: 'Confirm' }).click();
      const refusal = page.getByRole('alert');
      await refusal.waitFor();
      await expect(refusal.textContent()).resolves.toMatch(/^The team changed since the preview/);
      expect(await api.teamRevision('globex')).toBe(revision);
      expect(await memberRole('globex', 'carol')).toBe('member');
      await page.getByRole('button', { name: 'Preview again' }).click();
      await page.getByRole('button', { name: 'Confirm' }).waitFor();
      await page.close();
    }, 30_000);

    it('previews revoking a group as the API does, and Cancel leaves the team as it was', async () => {
      // A contributor gains project creation from the group and nothing else holds it.
      const granted = await alice.put('/v1/teams/globex/members/bob/permission-groups/create_project').expect(200);
      await alice
        .get(`/v1/teams/globex?minPosition=${encodeURIComponent(granted.body.position as string)}`)
        .expect(200);
      const page = await openSignedIn('alice', '/teams/globex/members/bob');
      const path = '/v1/teams/globex/members/bob/permission-groups/create_project';
      const expected = (await alice.delete(`${path}?dryRun=true`).expect(200)).body as {
        permissionChanges: PermissionChange[];
      };
      expect(expected.permissionChanges.length).toBeGreaterThan(0);
      const revision = await api.teamRevision('globex');
      await page.getByRole('button', { name: 'Preview revoking group create_project' }).click();
      const rows = page.locator('section.impact-preview table.permission-changes tbody tr');
      await rows.first().waitFor();
      const shown = await rows.evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '').join(' | ')),
      );
      expect(shown.sort()).toEqual(expected.permissionChanges.map(asRow).sort());
      await page.getByRole('button', { name: 'Cancel' }).click();
      await expect(page.locator('section.impact-preview').count()).resolves.toBe(0);
      expect(await api.teamRevision('globex')).toBe(revision);
      await page.close();
    }, 30_000);

    it('says in words which permission or policy rule refuses a preview', async () => {
      const asCarol = await openSignedIn('carol', '/teams/globex/members/bob');
      await asCarol.getByRole('button', { name: 'Preview removal from the team' }).click();
      const refusal = asCarol.getByRole('alert');
      await refusal.waitFor();
      await expect(refusal.textContent()).resolves.toMatch(
        /^You are not allowed to do this: it needs the permission team\.\S+/,
      );
      await asCarol.close();

      const asAlice = await openSignedIn('alice', '/teams/globex/members/alice');
      const revision = await api.teamRevision('globex');
      await asAlice.getByRole('button', { name: 'Preview removal from the team' }).click();
      await asAlice.getByRole('alert').waitFor();
      await expect(asAlice.getByRole('alert').textContent()).resolves.toMatch(
        /^The policy refuses this \(rule [^)]+\): .*only owner/,
      );
      expect(await api.teamRevision('globex')).toBe(revision);
      await screenshot(asAlice, 'impact-preview-refused');
      await asAlice.close();
    }, 30_000);
  },
);
