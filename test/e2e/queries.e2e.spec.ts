/**
 * The query side over HTTP (API.md "Queries"): read-your-writes with minPosition, at= before and after a change,
 * read rights, the change feed as JSON pages and as Server-Sent Events resumed with Last-Event-ID, and
 * `npm run replay -- --verify` on the store this suite filled.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { expectProblem, startTestApi, type TestApi, type UserClient } from './support/test-api';

const run = promisify(execFile);
const root = join(__dirname, '../..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the CLI entry point (`apps/cli/src/main.ts`, what `npm run replay` runs once built) in a child process,
 * transpiling TypeScript on load, so the suite does not depend on a build of the whole tree.
 */
function cliRunner(): {
  run: (args: string[], env: NodeJS.ProcessEnv) => Promise<{ stdout: string; stderr: string }>;
  dispose: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'cli-hook-'));
  const hook = join(dir, 'transpile-hook.js');
  writeFileSync(
    hook,
    `const ts = require(${JSON.stringify(require.resolve('typescript'))});
const fs = require('node:fs'); const path = require('node:path'); const Module = require('node:module');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const lib = /^@access-audit[/]([a-z-]+)(?:[/]([a-z-]+))?$/.exec(request);
  return resolveFilename.call(this, lib ? path.join(${JSON.stringify(root)}, 'libs', lib[1], 'src', lib[2] ?? '') : request, ...rest);
};
require.extensions['.ts'] = (module, filename) => {
  const options = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, experimentalDecorators: true, emitDecoratorMetadata: true };
  module._compile(ts.transpileModule(fs.readFileSync(filename, 'utf8'), { compilerOptions: options, fileName: filename }).outputText, filename);
};
`,
  );
  return {
    run: (args, env) =>
      run(process.execPath, ['-r', hook, join(root, 'apps/cli/src/main.ts'), ...args], { cwd: root, env }),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

interface SseFrame {
  event?: string;
  id?: string;
  data: string;
}

/** A minimal EventSource: collects frames, remembers the last `id`. */
function openEventStream(baseUrl: string, path: string, token: string, lastEventId?: string) {
  const frames: SseFrame[] = [];
  let lastId = lastEventId;
  let response: IncomingMessage | undefined;
  let buffer = '';
  const request = httpRequest(`${baseUrl}${path}`, {
    headers: {
      Accept: 'text/event-stream',
      Authorization: `Bearer ${token}`,
      ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}),
    },
  });
  const opened = new Promise<IncomingMessage>((resolve, reject) => {
    request.on('response', (res) => {
      response = res;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const frame: SseFrame = { data: '' };
          for (const line of block.split('\n')) {
            const [field, ...rest] = line.split(': ');
            const value = rest.join(': ');
            if (field === 'event') frame.event = value;
            else if (field === 'id') frame.id = lastId = value;
            else if (field === 'data') frame.data = value;
          }
          if (frame.event) frames.push(frame);
        }
      });
      resolve(res);
    });
    request.on('error', reject);
  });
  request.end();
  return {
    opened,
    frames,
    get lastId() {
      return lastId;
    },
    changes: () =>
      frames.map((f) => JSON.parse(f.data) as { userId: string; permission: string; change: string; position: string }),
    // A deadline, not a speed bound: wide enough for a loaded 2-core machine.
    async until(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`no such frames within ${timeoutMs} ms: ${JSON.stringify(frames)}`);
        await sleep(10);
      }
    },
    close: () => {
      response?.destroy();
      request.destroy();
    },
  };
}

describe('queries over HTTP', () => {
  let api: TestApi;
  let alice: UserClient;
  let closed = false;

  const check = (client: UserClient, query: Record<string, string>) =>
    client.get(`/v1/check?${new URLSearchParams({ teamId: 'acme', ...query }).toString()}`);

  beforeAll(async () => {
    api = await startTestApi();
    alice = await api.as('alice');
    await alice.post('/v1/teams', { id: 'acme', name: 'Acme', plan: 'enterprise' }).expect(201);
    await alice.post('/v1/teams/acme/projects', { id: 'web', name: 'Website' }).expect(201);
    await alice.post('/v1/teams/acme/members', { userId: 'bob', role: 'developer' }).expect(201);
    await alice.post('/v1/teams/acme/members', { userId: 'cleo', role: 'contributor' }).expect(201);
    await alice.post('/v1/teams/acme/members', { userId: 'vera', role: 'enterprise_viewer' }).expect(201);
    await alice.post('/v1/teams', { id: 'globex', name: 'Globex', plan: 'enterprise' }).expect(201);
  });
  afterAll(async () => {
    if (!closed) await api.close();
  });

  it("read-your-writes: /v1/check with the command's position as minPosition reflects the command, every time", async () => {
    for (let round = 0; round < 5; round++) {
      const grant = round % 2 === 0;
      const path = '/v1/teams/acme/members/bob/permission-groups/full_production_deployment';
      const accepted = grant ? await alice.put(path).expect(200) : await alice.delete(path).expect(200);
      const position = accepted.body.position as string;
      const answer = await check(alice, {
        userId: 'bob',
        permission: 'project.deploy.production.cli',
        projectId: 'web',
        minPosition: position,
      }).expect(200);
      expect(answer.body).toEqual(
        grant
          ? { allowed: true, via: [{ kind: 'permission_group', group: 'full_production_deployment' }] }
          : { allowed: false, via: [] },
      );
      expect(BigInt(answer.headers['x-position'] as string) >= BigInt(position)).toBe(true);
    }
  });

  it('/readyz includes the projections, caught up', async () => {
    const ready = await api.http().get('/readyz').expect(200);
    expect(ready.body.checks).toContainEqual(expect.objectContaining({ name: 'projections', ready: true }));
  });

  it('at= answers as things were before and after a change', async () => {
    const before = new Date().toISOString();
    await sleep(5);
    const assigned = await alice
      .put('/v1/teams/acme/projects/web/members/cleo', { role: 'project_viewer' })
      .expect(200);
    await sleep(5);
    const after = new Date().toISOString();
    const query = {
      userId: 'cleo',
      permission: 'project.view',
      projectId: 'web',
      minPosition: assigned.body.position as string,
    };
    expect((await check(alice, { ...query, at: before }).expect(200)).body).toEqual({ allowed: false, via: [] });
    expect((await check(alice, { ...query, at: after }).expect(200)).body).toEqual({
      allowed: true,
      via: [{ kind: 'project_role', role: 'project_viewer', projectId: 'web' }],
    });
    const then = await alice.get(`/v1/teams/acme/permissions?userId=cleo&at=${encodeURIComponent(before)}`).expect(200);
    expect(then.body).toEqual({ teamId: 'acme', at: before, permissions: [] });
    const view = await alice.get(`/v1/teams/acme?at=${encodeURIComponent(before)}`).expect(200);
    expect(view.body.members.find((m: { userId: string }) => m.userId === 'cleo').projectRoles).toEqual({});
    expectProblem(await check(alice, { ...query, at: '3 March' }), 400, {
      errors: [expect.objectContaining({ field: 'at' })],
    });
    // ISO-8601 forms with no place on the time line (a month, a week date, the basic format) are refused, never
    // answered as now.
    for (const at of ['2026-03', '2026-W10', '20260303T090000Z']) {
      expectProblem(await alice.get(`/v1/teams/acme/permissions?userId=cleo&at=${at}`), 400, {
        errors: [expect.objectContaining({ field: 'at' })],
      });
    }
  });

  it('the team view lists explicit project roles only; inherent ones show in /permissions', async () => {
    const view = await alice.get('/v1/teams/acme').expect(200);
    expect(view.headers['x-position']).toMatch(/^\d+$/);
    expect(view.body).toMatchObject({
      id: 'acme',
      name: 'Acme',
      plan: 'enterprise',
      projects: [{ id: 'web', name: 'Website', security: expect.any(Object) }],
    });
    const byUser = Object.fromEntries((view.body.members as Array<{ userId: string }>).map((m) => [m.userId, m]));
    expect(byUser.alice).toEqual({ userId: 'alice', role: 'owner', permissionGroups: [], projectRoles: {} });
    expect(byUser.cleo).toEqual({
      userId: 'cleo',
      role: 'contributor',
      permissionGroups: [],
      projectRoles: { web: 'project_viewer' },
    });
    const permissions = await alice.get('/v1/teams/acme/permissions?userId=alice&projectId=web').expect(200);
    expect(permissions.body.permissions).toContainEqual({
      userId: 'alice',
      permission: 'project.delete',
      projectId: 'web',
      via: [{ kind: 'team_role', role: 'owner', actsAs: 'project_admin' }],
    });
    const access = await alice.get('/v1/teams/acme/projects/web/access?permission=project.view').expect(200);
    expect(access.body.users.map((u: { userId: string }) => u.userId)).toEqual(['alice', 'bob', 'cleo', 'vera']);
    expectProblem(await alice.get('/v1/teams/acme/projects/nope/access?permission=project.view'), 404, {
      rule: 'project.exists',
    });
    expectProblem(await alice.get('/v1/teams/nope'), 404, { rule: 'team.exists' });
  });

  it('member history: each change with time, actor, reason, before and after', async () => {
    await alice.put('/v1/teams/acme/members/bob/role', { role: 'member', reason: 'promoted' }).expect(200);
    const removed = await alice.delete('/v1/teams/acme/members/bob', { reason: 'left the company' }).expect(200);
    const history = await alice
      .get(`/v1/teams/acme/members/bob/history?minPosition=${removed.body.position}`)
      .expect(200);
    const entries = history.body.entries as Array<Record<string, unknown>>;
    expect(entries.map((e) => e.type)).toEqual(
      expect.arrayContaining(['MemberAdded', 'TeamRoleChanged', 'MemberRemoved']),
    );
    expect(entries.find((e) => e.type === 'TeamRoleChanged')).toMatchObject({
      actorId: 'alice',
      reason: 'promoted',
      before: { role: 'developer' },
      after: { role: 'member' },
      occurredAt: expect.any(String),
    });
    expect(entries.find((e) => e.type === 'MemberRemoved')).toMatchObject({ reason: 'left the company', after: null });
  });

  it('read rights: team readers, oneself, and access:read machine readers; 403 names the permission', async () => {
    await alice.post('/v1/teams/acme/members', { userId: 'dan', role: 'developer' }).expect(201);
    const dan = await api.as('dan');
    const outsider = await api.as('mallory');
    const service = await api.as('svc', { scopes: ['access:read'] });
    const vera = await api.as('vera');
    const minPosition = (await alice.get('/v1/teams/acme').expect(200)).headers['x-position'] as string;

    for (const path of [
      '/v1/teams/acme',
      '/v1/teams/acme/permissions',
      '/v1/teams/acme/projects/web/access?permission=project.view',
    ]) {
      expectProblem(await dan.get(path), 403, { permission: 'team.view' });
      expectProblem(await outsider.get(path), 403, { permission: 'team.view' });
      await vera.get(path).expect(200);
      await service.get(path).expect(200);
    }
    // A developer reads their own permissions, checks and history, not anyone else's.
    await dan.get(`/v1/teams/acme/permissions?userId=dan&minPosition=${minPosition}`).expect(200);
    await check(dan, { userId: 'dan', permission: 'project.deploy.production', projectId: 'web' }).expect(200);
    await dan.get('/v1/teams/acme/members/dan/history').expect(200);
    expectProblem(await check(dan, { userId: 'alice', permission: 'team.view' }), 403, { permission: 'team.view' });
    expectProblem(await dan.get('/v1/teams/acme/members/alice/history'), 403, { permission: 'team.view' });
    // The machine reader reads every team and the whole change feed, and commands nothing.
    await service.get('/v1/teams/globex').expect(200);
    await service.get('/v1/changes').expect(200);
    expectProblem(await alice.get('/v1/changes'), 403, { permission: 'access:read' });
    await api.expectNothingAppended('acme', async () =>
      expectProblem(await service.post('/v1/teams/acme/members', { userId: 'eve', role: 'owner' }), 403),
    );
  });

  it('minPosition: a position not reached within 5 s is a 503 with Retry-After; a foreign one a 400', async () => {
    const head = BigInt((await alice.get('/v1/teams/acme').expect(200)).headers['x-position'] as string);
    const late = await check(alice, { userId: 'alice', permission: 'team.view', minPosition: String(head + 1000n) });
    expectProblem(late, 503);
    expect(late.headers['retry-after']).toBe('1');
    expectProblem(await check(alice, { userId: 'alice', permission: 'team.view', minPosition: 'C:1/P:1' }), 400, {
      errors: [expect.objectContaining({ field: 'minPosition' })],
    });
  }, 15_000);

  it('change feed as JSON pages: from any position, per team, never splitting an event', async () => {
    const first = await alice.get('/v1/changes?teamId=acme&limit=5').expect(200);
    expect(first.body.hasMore).toBe(true);
    const all: Array<{ position: string; teamId: string }> = [...first.body.changes];
    let next = first.body.next as string;
    for (;;) {
      const page = await alice.get(`/v1/changes?teamId=acme&limit=5&after=${next}`).expect(200);
      all.push(...page.body.changes);
      next = page.body.next;
      if (!page.body.hasMore) break;
    }
    expect(all.every((c) => c.teamId === 'acme')).toBe(true);
    const whole = await (
      await api.as('svc', { scopes: ['access:read'] })
    )
      .get('/v1/changes?teamId=acme&limit=1000')
      .expect(200);
    expect(all).toEqual(whole.body.changes);
    const removal = whole.body.changes.filter((c: { cause: { type: string } }) => c.cause.type === 'MemberRemoved');
    expect(removal.length).toBeGreaterThan(0);
    expect(removal.every((c: { change: string; userId: string }) => c.change === 'revoked' && c.userId === 'bob')).toBe(
      true,
    );
  });

  it('change feed as Server-Sent Events: stays open, and resumes after Last-Event-ID', async () => {
    const token = await api.token('alice');
    const stream = openEventStream(api.baseUrl, '/v1/changes?teamId=acme', token);
    const response = await stream.opened;
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    const backlog = (await alice.get('/v1/changes?teamId=acme&limit=1000').expect(200)).body.changes.length as number;
    await stream.until(() => stream.frames.length >= backlog);

    await alice.post('/v1/teams/acme/members', { userId: 'erin', role: 'developer' }).expect(201);
    await stream.until(() => stream.changes().some((c) => c.userId === 'erin' && c.change === 'granted'));
    const resumeFrom = stream.lastId!;
    stream.close();

    await alice.put('/v1/teams/acme/members/erin/permission-groups/environment_manager').expect(200);
    const resumed = openEventStream(api.baseUrl, '/v1/changes?teamId=acme', token, resumeFrom);
    await resumed.opened;
    await resumed.until(() => resumed.frames.length > 0);
    await sleep(100);
    resumed.close();
    expect(resumed.changes().map((c) => `${c.userId} ${c.change} ${c.permission}`)).toEqual([
      'erin granted project.environments.manage',
    ]);
  });

  it('npm run replay -- --verify passes on the store this suite filled (and on the recorded fixture), and names a model that was tampered with', async () => {
    const dataDir = api.config.dataDir;
    await api.close({ keepData: true });
    closed = true;
    const cli = cliRunner();
    const env = { ...process.env, DATA_DIR: dataDir, EVENT_STORE: '' };
    try {
      const verified = await cli.run(['replay', '--verify', '--data-dir', dataDir], env);
      expect(verified.stdout).toContain('every read model matches a rebuild from position zero');
      expect(verified.stdout).toMatch(/ok\s+member-history/);

      const live = new Database(join(dataDir, 'read-models.db'));
      live
        .prepare(
          `UPDATE member_events SET changes_json = replace(changes_json, '[[[', '[[["forged",1],[') WHERE seq = (SELECT MAX(seq) FROM member_events WHERE changes_json LIKE '[[[%')`,
        )
        .run();
      live.close();
      const failed = await cli.run(['replay', '--verify', '--data-dir', dataDir], env).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      expect({ code: failed?.code, stderr: failed?.stderr }).toEqual({
        code: 1,
        stderr: expect.stringContaining('change-feed differ'),
      });

      const fixture = await cli.run(
        ['replay', '--verify', '--fixture', join(root, 'test/fixtures/enterprise-team.ndjson')],
        env,
      );
      expect(fixture.stdout).toContain('every read model matches a rebuild from position zero');
    } finally {
      cli.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
