/**
 * The member timeline of 10,000 changes, rendered in Chromium (issue 14's budget: 1 s). Serves dist/console and a fake
 * API answering one team and one member's history of 10,000 changes; measures from navigation to the picture and the
 * first page of changes on screen, and from the history's arrival to the same. Skipped (said so) without Chromium.
 */
'use strict';
const { createServer } = require('node:http');
const { existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { extname, join, normalize } = require('node:path');
// The flags the browser tests use (test/e2e/console/chromium.ts), so the bench measures the same browser.
const chromiumArgs = require('../test/e2e/console/chromium-args.json');

const budgetMs = 1000;
const changes = 10_000;
const runs = 5;
const chromiumPath = process.env.ACCESS_AUDIT_CHROMIUM ?? '/usr/bin/chromium';
// CONSOLE_DIR: another build of the console, to compare with.
const dir = process.env.CONSOLE_DIR ?? join(__dirname, '..', 'dist', 'console');

/** A plausible history: a contributor whose project roles on 20 projects and two groups come and go. */
function history() {
  const start = Date.parse('2024-01-01T00:00:00Z');
  const entries = [];
  const projectRoles = ['project_viewer', 'project_developer', 'project_admin'];
  const base = (i, type) => ({
    position: String(i + 1).padStart(12, '0'),
    eventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    type,
    occurredAt: new Date(start + i * 60_000).toISOString(),
    actorId: i % 3 === 0 ? 'alice' : 'scim:directory',
    reason: `change ${i} <b>literally</b>`,
    granted: [{ permission: 'project.view', projectId: 'p1' }],
    revoked: [],
  });
  entries.push({ ...base(0, 'MemberAdded'), before: null, after: { role: 'contributor' } });
  for (let i = 1; i < changes; i++) {
    if (i % 10 === 0) {
      const group = i % 20 === 0 ? 'create_project' : 'full_production_deployment';
      entries.push({
        ...base(i, i % 40 < 20 ? 'PermissionGroupGranted' : 'PermissionGroupRevoked'),
        group,
        before: null,
        after: i % 40 < 20 ? { group } : null,
      });
    } else {
      const projectId = `p${i % 20}`;
      const role = projectRoles[i % 3];
      entries.push({ ...base(i, 'ProjectRoleAssigned'), projectId, before: null, after: { role } });
    }
  }
  return JSON.stringify({ teamId: 'bench', userId: 'bob', entries });
}

const types = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html', '.svg': 'image/svg+xml' };

async function main() {
  if (!existsSync(chromiumPath)) {
    console.log(
      `member timeline of ${changes} changes: skipped, no Chromium at ${chromiumPath} (.ci/chromium.sh installs it)`,
    );
    return;
  }
  const { chromium } = require('playwright-core');
  const historyBody = history();
  const team = JSON.stringify({
    id: 'bench',
    name: 'Bench',
    plan: 'enterprise',
    members: [{ userId: 'bob', role: 'contributor', permissionGroups: [], projectRoles: {} }],
    projects: [],
  });
  const index = readFileSync(join(dir, 'index.html'));
  const server = createServer((request, response) => {
    const path = new URL(request.url, 'http://x').pathname;
    if (path === '/v1/teams/bench/members/bob/history') return response.end(historyBody);
    if (path === '/v1/teams/bench') return response.end(team);
    if (path.startsWith('/assets/')) {
      const file = normalize(join(dir, path));
      if (file.startsWith(dir) && existsSync(file)) {
        response.setHeader('Content-Type', types[extname(file)] ?? 'application/octet-stream');
        return response.end(readFileSync(file));
      }
      response.statusCode = 404;
      return response.end();
    }
    response.setHeader('Content-Type', 'text/html');
    response.end(index);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  const profile = mkdtempSync(join(tmpdir(), 'access-audit-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
  });
  // An unsigned token naming a user: the fake API does not check it, the console only reads its claims.
  const claims = Buffer.from(JSON.stringify({ sub: 'alice' })).toString('base64url');
  await context.addInitScript((token) => sessionStorage.setItem('access-audit.token', token), `x.${claims}.y`);
  const total = [];
  const afterArrival = [];
  try {
    for (let run = 0; run < runs + 1; run++) {
      const page = await context.newPage();
      let arrived = 0;
      page.on('requestfinished', (request) => {
        if (request.url().endsWith('/history')) arrived = performance.now();
      });
      const started = performance.now();
      await page.goto(`${base}/teams/bench/members/bob`);
      await page.locator('table.changes tbody tr').nth(99).waitFor();
      await page.locator('.held-span').first().waitFor();
      // Two animation frames: the layout and paint of what was rendered.
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
      const ended = performance.now();
      const count = await page.locator('.change-count').textContent();
      if (!count.startsWith(`${changes} changes`)) throw new Error(`the page says "${count}"`);
      // The first run warms the browser's cache and compiler; it is not counted.
      if (run > 0) {
        total.push(ended - started);
        afterArrival.push(ended - arrived);
      }
      await page.close();
    }
  } finally {
    await context.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const ms = (value) => `${value.toFixed(0)} ms`;
  console.log(
    `member timeline of ${changes} changes: median ${ms(median(total))} from navigation (runs ${total.map(ms).join(', ')}), ` +
      `${ms(median(afterArrival))} after the history arrived; budget ${ms(budgetMs)}`,
  );
  if (median(total) > budgetMs) {
    console.error(`over budget by ${ms(median(total) - budgetMs)}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
