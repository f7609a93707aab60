/**
 * The reviewer console's audit log view in Chromium, against the API serving a build of the current sources: filters
 * opened as a deep link show what the API answers for the same query; "Load more" reaches every entry exactly once;
 * the CSV download (fetched with the token, saved from a Blob) is byte for byte the API's CSV of the same selection;
 * the chain's verification shows what the API's verify answers; a reason with HTML in it shows literally.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditStreamId } from '@access-audit/audit';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { chromiumSkipReason, type Browser } from './console/chromium';
import { startConsoleUnderTest, type ConsoleUnderTest } from './console/console-under-test';
import type { TestApi, UserClient } from './support/test-api';

const skipReason = chromiumSkipReason();
const artifacts = join(__dirname, '..', '..', 'test-artifacts', 'console');
const xssReason = '<img src=x onerror="window.__xss=1">urgent <script>window.__xss=2</script>';

interface Entry {
  id: string;
  sequence: number;
  time: string;
  action: string;
  reason: string | null;
}

(skipReason === undefined ? describe : describe.skip)(
  `the console's audit log in Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let api: TestApi;
    let underTest: ConsoleUnderTest | undefined;
    let browser: Browser;
    let alice: UserClient;
    let page: Page;
    const pageProblems: string[] = [];

    /** Every entry the API answers for `query`, following its cursors. */
    const apiEntries = async (query: string): Promise<Entry[]> => {
      const entries: Entry[] = [];
      let cursor: string | null = null;
      do {
        const path: string = `/v1/teams/acme/audit?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const body = (await alice.get(path).expect(200)).body as { entries: Entry[]; nextCursor: string | null };
        entries.push(...body.entries);
        cursor = body.nextCursor;
      } while (cursor !== null);
      return entries;
    };
    /**
     * The entry ids the page's table shows, in order: once they are `expected`, or what it shows after 15 s (a view
     * that was just asked for another selection may still show the previous one for a moment).
     */
    const shownIds = async (expected: string[]): Promise<string[]> => {
      const rows = page.locator('table.audit-entries tbody tr');
      const deadline = Date.now() + 15_000;
      for (;;) {
        const shown = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-entry-id') ?? ''));
        if (shown.join() === expected.join() || Date.now() > deadline) return shown;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const idsOf = (entries: Entry[]) => entries.map((entry) => entry.id);

    beforeAll(async () => {
      mkdirSync(artifacts, { recursive: true });
      underTest = await startConsoleUnderTest({ timezoneId: 'Europe/Berlin' });
      ({ browser, api } = underTest);
      alice = await api.as('alice');
      await alice.post('/v1/teams', { id: 'acme', name: 'Acme', plan: 'enterprise' }).expect(201);
      await alice.post('/v1/teams/acme/projects', { id: 'web', name: 'Web' }).expect(201);
      await alice.post('/v1/teams/acme/projects', { id: 'api', name: 'API' }).expect(201);
      for (const userId of ['bob', 'carol', 'dave'])
        await alice.post('/v1/teams/acme/members', { userId, role: 'contributor' }).expect(201);
      await alice
        .put('/v1/teams/acme/projects/web/members/bob', { role: 'project_developer', reason: xssReason })
        .expect(200);
      await alice.put('/v1/teams/acme/projects/api/members/carol', { role: 'project_viewer' }).expect(200);
      await alice.put('/v1/teams/acme/members/dave/role', { role: 'member' }).expect(200);
      const last = await alice.put('/v1/teams/acme/members/carol/role', { role: 'member' }).expect(200);
      // Every entry is indexed, and an unfiltered NDJSON export signs a checkpoint: the chain has a signed head.
      await alice.get(`/v1/teams/acme/audit?minPosition=${last.body.position}`).expect(200);
      await alice.get('/v1/teams/acme/audit?format=ndjson').expect(200);
      page = await browser.context.newPage();
      page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        // Refusals the tests ask for are logged by the browser; the console has no favicon (the browser asks on its own).
        const url = message.location().url;
        const expected = /status of 40[0134]\b/.test(message.text()) || url.endsWith('/favicon.ico');
        if (message.type() === 'error' && !expected) pageProblems.push(`console error: ${message.text()} ${url}`);
      });
      await page.goto(`${api.baseUrl}/sign-in`);
      await page.getByLabel('Access token').fill(await api.token('alice'));
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${api.baseUrl}/teams`);
    }, 60_000);

    afterAll(async () => {
      await underTest?.close();
    });

    afterEach(() => {
      expect(pageProblems.splice(0)).toEqual([]);
    });

    it('is linked from the team view, and filters opened as a deep link show the entries the API answers for them', async () => {
      await page.goto(`${api.baseUrl}/teams/acme`);
      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.waitForURL(`${api.baseUrl}/teams/acme/audit`);

      const fromTime = (await apiEntries('limit=1000'))[3]!.time;
      const query = new URLSearchParams({ actor: 'alice', type: 'team.member', from: fromTime });
      const expected = await apiEntries(query.toString());
      expect(expected.length).toBeGreaterThan(1);
      await page.goto(`${api.baseUrl}/teams/acme/audit?${query.toString()}`);
      expect(await shownIds(idsOf(expected))).toEqual(idsOf(expected));
      // The form shows the filters of the URL.
      await expect(page.getByLabel('Actor').inputValue()).resolves.toBe('alice');
      await expect(page.getByLabel('Action or prefix').inputValue()).resolves.toBe('team.member');
      await expect(page.getByLabel(/^From/).inputValue()).resolves.not.toBe('');

      // Filling the form puts the filters in the URL, and the table follows.
      await page.getByLabel(/^From/).fill('');
      await page.getByLabel('Action or prefix').fill('');
      await page.getByLabel('Subject (user)').fill('carol');
      await page.getByRole('button', { name: 'Show entries' }).click();
      await page.waitForURL(/subject=carol/);
      expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ actor: 'alice', subject: 'carol' });
      const carol = await apiEntries('actor=alice&subject=carol');
      expect(carol.length).toBeGreaterThan(1);
      expect(await shownIds(idsOf(carol))).toEqual(idsOf(carol));
      await page.screenshot({ path: join(artifacts, 'audit-filtered.png'), fullPage: true });
    }, 30_000);

    it('pages with "Load more" through every entry exactly once, in the order of the chain', async () => {
      const all = await apiEntries('limit=1000');
      expect(all.length).toBeGreaterThan(6);
      await page.goto(`${api.baseUrl}/teams/acme/audit?limit=3`);
      expect(await shownIds(idsOf(all.slice(0, 3)))).toEqual(idsOf(all.slice(0, 3)));
      for (let shown = 3; shown < all.length; shown += 3) {
        await page.getByRole('button', { name: 'Load more' }).click();
        const upTo = idsOf(all.slice(0, shown + 3));
        expect(await shownIds(upTo)).toEqual(upTo);
      }
      await expect(page.getByRole('button', { name: 'Load more' }).count()).resolves.toBe(0);
      const ids = await shownIds(idsOf(all));
      expect(ids).toEqual(idsOf(all));
      expect(new Set(ids).size).toBe(ids.length);
      const sequences = await page.locator('table.audit-entries tbody tr td:first-child').allTextContents();
      expect(sequences).toEqual(all.map((entry) => String(entry.sequence)));
    }, 30_000);

    it("downloads the selection's CSV and NDJSON with the token in a header, byte for byte the API's", async () => {
      const query = 'subject=bob&type=project';
      await page.goto(`${api.baseUrl}/teams/acme/audit?${query}`);
      const selected = idsOf(await apiEntries(query));
      expect(await shownIds(selected)).toEqual(selected);
      const requested: { url: string; authorization: string | undefined }[] = [];
      page.on('request', (request) =>
        requested.push({ url: request.url(), authorization: request.headers()['authorization'] }),
      );
      for (const [format, button] of [
        ['csv', 'Download CSV'],
        ['ndjson', 'Download NDJSON'],
      ] as const) {
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.getByRole('button', { name: button }).click(),
        ]);
        const saved = readFileSync((await download.path())!);
        const expected = await alice
          .get(`/v1/teams/acme/audit?${query}&format=${format}`)
          .buffer(true)
          .parse((response, callback) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => callback(null, Buffer.concat(chunks)));
          })
          .expect(200);
        expect({ format, bytes: saved.toString('base64') }).toEqual({
          format,
          bytes: (expected.body as Buffer).toString('base64'),
        });
        expect(saved.toString('utf8')).toContain('project_developer');
        expect(download.suggestedFilename()).toBe(`audit-acme.${format}`);
        const fetched = requested.filter((request) => request.url.includes(`format=${format}`));
        expect(fetched).toEqual([
          { url: expect.not.stringMatching(/token|Bearer|eyJ/), authorization: expect.stringMatching(/^Bearer eyJ/) },
        ]);
      }
    }, 30_000);

    it('shows the verification valid, with the entry count, signed head and unsigned tail the API gives', async () => {
      const verified = (await alice.get('/v1/teams/acme/audit/verify').expect(200)).body as {
        valid: boolean;
        entries: number;
        head: string;
        signedThrough: number;
        checkpoints: number;
        unsignedTail: { entries: number };
      };
      expect(verified.valid).toBe(true);
      expect(verified.signedThrough).toBeGreaterThan(0);
      const keyId = (await api.http().get('/v1/audit/public-key').expect(200)).headers['x-key-id'];
      await page.goto(`${api.baseUrl}/teams/acme/audit`);
      const verdict = page.getByTestId('verdict');
      await verdict.waitFor();
      await expect(verdict.textContent()).resolves.toMatch(/^Valid: the chain of \d+ entries holds/);
      const field = (name: string) => page.locator(`dd[data-field="${name}"]`).textContent();
      await expect(field('entries')).resolves.toBe(String(verified.entries));
      await expect(field('head')).resolves.toBe(verified.head);
      await expect(field('signedThrough')).resolves.toBe(String(verified.signedThrough));
      await expect(field('checkpoints')).resolves.toBe(String(verified.checkpoints));
      await expect(field('unsignedTail')).resolves.toMatch(new RegExp(`^${verified.unsignedTail.entries} entr`));
      await page.waitForFunction(() => {
        const element = (
          globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }
        ).document.querySelector('dd[data-field="keyId"]');
        return element !== null && element.textContent !== 'unknown';
      });
      await expect(field('keyId')).resolves.toBe(keyId);
      await page.screenshot({ path: join(artifacts, 'audit-verification.png'), fullPage: true });
    }, 30_000);

    it('shows a reason with HTML in it literally, and runs nothing it carries', async () => {
      const query = 'subject=bob&type=project';
      await page.goto(`${api.baseUrl}/teams/acme/audit?${query}`);
      const cell = page.getByRole('cell', { name: xssReason, exact: true });
      await cell.waitFor();
      expect(await cell.count()).toBe(1);
      expect(await page.locator('main img, main script').count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
    }, 20_000);

    it('says in words what the API refuses: a malformed filter, and a member without team.audit.view', async () => {
      await page.goto(`${api.baseUrl}/teams/acme/audit?type=${encodeURIComponent('Not An Action')}`);
      const refusal = page.getByRole('alert').first();
      await refusal.waitFor();
      await expect(refusal.textContent()).resolves.toMatch(/^The request was refused: type: /);

      const bobPage = await browser.context.newPage();
      try {
        await bobPage.goto(`${api.baseUrl}/sign-in?next=${encodeURIComponent('/teams/acme/audit')}`);
        await bobPage.getByLabel('Access token').fill(await api.token('bob'));
        await bobPage.getByRole('button', { name: 'Sign in' }).click();
        await bobPage.waitForURL(`${api.baseUrl}/teams/acme/audit`);
        const refused = bobPage.getByRole('alert').first();
        await refused.waitFor();
        await expect(refused.textContent()).resolves.toMatch(/needs the permission team\.audit\.view/);
      } finally {
        await bobPage.close();
      }
    }, 20_000);

    // Last: it breaks the chain for good.
    it('shows where the chain breaks when an entry was altered in the store', async () => {
      const db = new Database(join(api.config.dataDir, 'events.db'));
      let altered: { sequence: number; id: string };
      try {
        const rows = db
          .prepare<[string], { position: number; data: string }>(
            'SELECT position, data FROM events WHERE stream_id = ? ORDER BY revision',
          )
          .all(auditStreamId('acme'));
        const row = rows.find((r) => (JSON.parse(r.data) as { sequence?: number; kind?: string }).sequence === 5)!;
        altered = JSON.parse(row.data) as { sequence: number; id: string };
        db.prepare('UPDATE events SET data = ? WHERE position = ?').run(
          row.data.replace('"actor":"alice"', '"actor":"alicd"'),
          row.position,
        );
      } finally {
        db.close();
      }
      const verified = (await alice.get('/v1/teams/acme/audit/verify').expect(200)).body as {
        valid: boolean;
        break: { sequence: number; reason: string };
      };
      expect(verified).toMatchObject({ valid: false, break: { sequence: altered.sequence } });
      await page.goto(`${api.baseUrl}/teams/acme/audit`);
      const verdict = page.getByTestId('verdict');
      await verdict.waitFor();
      await expect(verdict.textContent()).resolves.toBe(
        `Broken at entry ${altered.sequence} (entry): ${verified.break.reason}`,
      );
      await page.screenshot({ path: join(artifacts, 'audit-broken.png'), fullPage: true });
    }, 20_000);
  },
);
