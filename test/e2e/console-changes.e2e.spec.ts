/**
 * The console's live changes view in Chromium, against the API serving a build of the current sources: it streams the
 * team's change feed (Server-Sent Events over fetch, with the token in the Authorization header), shows every change
 * the API's feed holds newest first, a change made through the API while it is open appears live, a dropped stream
 * resumes after the last position seen with no change lost or shown twice, a cause with HTML in it shows literally,
 * a member without team.view is told so in words, and leaving the view ends the stream.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { OpenStreams } from '../../apps/api/src/queries/read-models.provider';
import { chromiumSkipReason, type Browser } from './console/chromium';
import { startConsoleUnderTest, type ConsoleUnderTest } from './console/console-under-test';
import type { TestApi, UserClient } from './support/test-api';

const skipReason = chromiumSkipReason();
const artifacts = join(__dirname, '..', '..', 'test-artifacts', 'console');
const xssReason = '<img src=x onerror="window.__xss=1">on call <script>window.__xss=2</script>';

interface Change {
  position: string;
  userId: string;
  projectId: string | null;
  permission: string;
  change: string;
}

const asShown = (c: Change) => `${c.position} ${c.userId} ${c.projectId ?? '-'} ${c.permission} ${c.change}`;

(skipReason === undefined ? describe : describe.skip)(
  `the console's live changes in Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let api: TestApi;
    let underTest: ConsoleUnderTest | undefined;
    let browser: Browser;
    let alice: UserClient;
    let page: Page;
    const pageProblems: string[] = [];
    const streamRequests: string[] = [];
    const abortedStreams: string[] = [];

    const openSignedIn = async (user: string, path: string): Promise<Page> => {
      const tab = await browser.context.newPage();
      tab.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
      tab.on('request', (request) => {
        if (request.url().includes('/v1/changes')) streamRequests.push(request.url());
      });
      tab.on('requestfailed', (request) => {
        if (request.url().includes('/v1/changes')) abortedStreams.push(request.failure()?.errorText ?? 'failed');
      });
      await tab.goto(`${api.baseUrl}/sign-in?next=${encodeURIComponent(path)}`);
      await tab.getByLabel('Access token').fill(await api.token(user));
      await tab.getByRole('button', { name: 'Sign in' }).click();
      await tab.waitForURL(`${api.baseUrl}${path}`);
      return tab;
    };
    /** The API's whole feed of the team, newest first (as the view shows it). */
    const apiFeed = async (): Promise<string[]> =>
      ((await alice.get('/v1/changes?teamId=acme&limit=1000').expect(200)).body.changes as Change[])
        .map(asShown)
        .reverse();
    /** The rows the view shows: once they are `expected`, or what it shows after 15 s. */
    const shown = async (expected: string[]): Promise<string[]> => {
      const rows = page.locator('table.live-changes tbody tr');
      const deadline = Date.now() + 15_000;
      for (;;) {
        const now = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-change') ?? ''));
        if (now.join('\n') === expected.join('\n') || Date.now() > deadline) return now;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const status = (state: string) => page.locator(`[data-testid="stream-status"][data-state="${state}"]`);

    beforeAll(async () => {
      mkdirSync(artifacts, { recursive: true });
      underTest = await startConsoleUnderTest({ timezoneId: 'UTC' });
      ({ browser, api } = underTest);
      alice = await api.as('alice');
      await alice.post('/v1/teams', { id: 'acme', name: 'Acme', plan: 'enterprise' }).expect(201);
      await alice.post('/v1/teams/acme/projects', { id: 'web', name: 'Web' }).expect(201);
      await alice.post('/v1/teams/acme/members', { userId: 'bob', role: 'developer' }).expect(201);
      await alice.post('/v1/teams/acme/members', { userId: 'cleo', role: 'contributor' }).expect(201);
      const last = await alice
        .put('/v1/teams/acme/projects/web/members/cleo', { role: 'project_developer', reason: xssReason })
        .expect(200);
      await alice.get(`/v1/changes?teamId=acme&minPosition=${encodeURIComponent(last.body.position as string)}`);
    }, 60_000);

    afterAll(async () => {
      await underTest?.close();
    });

    afterEach(() => {
      expect(pageProblems.splice(0)).toEqual([]);
    });

    it("opens from the team view's link and shows the team's whole feed, newest first, its status live", async () => {
      page = await openSignedIn('alice', '/teams/acme');
      await page.getByRole('link', { name: 'Live changes', exact: true }).click();
      await page.waitForURL(`${api.baseUrl}/teams/acme/changes`);
      await status('live').waitFor();
      await expect(status('live').textContent()).resolves.toMatch(/^Live: /);
      const expected = await apiFeed();
      expect(expected.length).toBeGreaterThan(10);
      expect(await shown(expected)).toEqual(expected);
    }, 20_000);

    it('shows a cause with HTML in it as text, and runs nothing it carries', async () => {
      const cell = page.getByRole('cell', { name: `project role assigned by alice: “${xssReason}”`, exact: true });
      expect(await cell.count()).toBeGreaterThan(0);
      expect(await page.locator('main img, main script').count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
      const member = page.getByRole('link', { name: 'cleo', exact: true }).first();
      expect(await member.getAttribute('href')).toBe('/teams/acme/members/cleo');
    });

    it('shows a change made through the API while the view is open, at the top', async () => {
      const made = await alice.put('/v1/teams/acme/members/bob/permission-groups/environment_manager').expect(200);
      const expected = await apiFeed();
      expect(expected[0]).toMatch(new RegExp(`^${made.body.position} bob `));
      expect(await shown(expected)).toEqual(expected);
      await page.screenshot({ path: join(artifacts, 'live-changes.png'), fullPage: true });
    }, 20_000);

    it('reconnects after a dropped stream, resuming after the last position: no change lost, none twice', async () => {
      const lastSeen = (await apiFeed())[0]!.split(' ')[0]!;
      const requestsBefore = streamRequests.length;
      api.app.get(OpenStreams).closeAll();
      await status('reconnecting').waitFor();
      await expect(status('reconnecting').textContent()).resolves.toContain(`resuming after position ${lastSeen}`);
      // Made while no stream is open: the resumed stream must bring it.
      await alice.put('/v1/teams/acme/members/bob/role', { role: 'member' }).expect(200);
      await alice.delete('/v1/teams/acme/projects/web/members/cleo').expect(200);
      await status('live').waitFor({ timeout: 10_000 });
      const expected = await apiFeed();
      expect(await shown(expected)).toEqual(expected);
      expect(new Set(expected).size).toBe(expected.length);
      expect(streamRequests.slice(requestsBefore)).toEqual([
        `${api.baseUrl}/v1/changes?teamId=acme&after=${encodeURIComponent(lastSeen)}`,
      ]);
    }, 20_000);

    it('drops the changes of an event it got only in part, and takes them whole from the resumed stream', async () => {
      const tab = await browser.context.newPage();
      tab.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
      const requested: string[] = [];
      tab.on('request', (request) => {
        if (request.url().includes('/v1/changes')) requested.push(request.url());
      });
      // The first stream is cut right after the first change of the first event (TeamCreated: many changes, the id
      // only on its last): the view must show none of that event until a stream brings it whole.
      await tab.addInitScript(() => {
        const scope = globalThis as unknown as { fetch: typeof fetch };
        const original = scope.fetch.bind(globalThis);
        let cut = false;
        scope.fetch = async (input, init) => {
          const response = await original(input, init);
          if (cut || !String(input).includes('/v1/changes') || !response.body) return response;
          cut = true;
          const reader = response.body.getReader();
          const decoder = new TextDecoder();
          let text = '';
          const body = new ReadableStream<Uint8Array>({
            async pull(controller) {
              const { done, value } = await reader.read();
              if (done) return controller.close();
              text += decoder.decode(value, { stream: true });
              const first = text.indexOf('event: change');
              const end = first < 0 ? -1 : text.indexOf('\n\n', first);
              if (end < 0) return;
              const frame = text.slice(0, end + 2);
              if (/\nid: /.test(frame.slice(first))) throw new Error('the first change carries an id');
              controller.enqueue(new TextEncoder().encode(frame));
              void reader.cancel();
              controller.error(new TypeError('network error (cut by the test)'));
            },
          });
          return new Response(body, { status: response.status, headers: response.headers });
        };
      });
      await tab.goto(`${api.baseUrl}/sign-in?next=${encodeURIComponent('/teams/acme/changes')}`);
      await tab.getByLabel('Access token').fill(await api.token('alice'));
      await tab.getByRole('button', { name: 'Sign in' }).click();
      await tab.locator('[data-testid="stream-status"][data-state="reconnecting"]').waitFor();
      expect(await tab.locator('table.live-changes tbody tr').count()).toBe(0);
      await tab.locator('[data-testid="stream-status"][data-state="live"]').waitFor({ timeout: 10_000 });
      const previous = page;
      page = tab;
      const expected = await apiFeed();
      expect(await shown(expected)).toEqual(expected);
      page = previous;
      // No whole event was seen before the cut: every stream, the resumed one too, starts from the beginning.
      expect(requested.length).toBeGreaterThanOrEqual(2);
      expect(new Set(requested)).toEqual(new Set([`${api.baseUrl}/v1/changes?teamId=acme`]));
      await tab.close();
    }, 20_000);

    it('ends the stream when the view is left', async () => {
      const aborted = abortedStreams.length;
      await page.getByRole('link', { name: 'Back to the team' }).click();
      await page.waitForURL(`${api.baseUrl}/teams/acme`);
      const deadline = Date.now() + 15_000;
      while (abortedStreams.length === aborted && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(abortedStreams.slice(aborted)).toEqual(['net::ERR_ABORTED']);
      await page.close();
    }, 20_000);

    it('says in words that a member without team.view may not read the feed, and opens a deep link with after', async () => {
      await alice.post('/v1/teams/acme/members', { userId: 'dev', role: 'developer' }).expect(201);
      const refused = await openSignedIn('dev', '/teams/acme/changes');
      await refused.locator('[data-testid="stream-status"][data-state="refused"]').waitFor();
      await expect(refused.getByRole('alert').textContent()).resolves.toMatch(/needs the permission team\.view/);
      await refused.close();

      const feed = await apiFeed();
      // The third newest causing event: the view shows only the changes of the two after it.
      const after = [...new Set(feed.map((row) => row.split(' ')[0]!))][2]!;
      page = await openSignedIn('alice', `/teams/acme/changes?after=${encodeURIComponent(after)}`);
      await status('live').waitFor();
      const later = feed.filter((row) => BigInt(row.split(' ')[0]!) > BigInt(after));
      expect(later.length).toBeGreaterThan(0);
      expect(await shown(later)).toEqual(later);
      await page.close();
    }, 20_000);
  },
);
