/**
 * Projection benchmark (`npm run bench`). Every figure is printed beside a limit measured in the same run on the same
 * machine, and as a ratio to it, since absolute numbers drift on shared machines:
 *
 *   in-process check/s            vs a plain Map lookup of the same answers
 *   HTTP /v1/check req/s, p50/p99 vs a bare Fastify route returning the same JSON (autocannon, fixed connections)
 *   replay events/s (1M events)   vs a raw better-sqlite3 read + JSON.parse of the same log
 *   point-in-time lookup latency  vs a primary-key SELECT on the same table
 *   RSS per live grant            vs a Map holding every live grant (key → via JSON)
 *   RSS per team at 100k teams    vs a Map holding each team's folded state as its JSON text (small generated teams)
 *   command p50/p99 at 100, 10k and 100k events of team history vs the same at 100 events (durable SQLite appends)
 *
 * BENCH_EVENTS scales the generated history (default 1,000,000); BENCH_HTTP_SECONDS the autocannon runs (default 10),
 * BENCH_HTTP_ROUNDS how many interleaved rounds of them (default 3). BENCH_ONLY=check runs the HTTP read rows alone.
 * BENCH_ONLY=durable runs only the 64-client durable commands; BENCH_API_NODE_ARGS adds node flags to the API child
 * to profile it under load: `--prof`, or `--cpu-prof --cpu-prof-dir=DIR -r PRELOAD` where the preload calls
 * `process.exit()` on SIGTERM (the API re-raises the signal after closing, and a CPU profile is written only on exit).
 * BENCH_ONLY=replay stops after the replay row. BENCH_ONLY=drain runs the audit drain rows alone (scripts/bench-drain.ts).
 * BENCH_ONLY=privacy runs only the rows of bench-privacy.ts (sealing's cost).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { SignJWT } from 'jose';
import { TeamCommands, TeamSnapshots } from '@access-audit/application';
import {
  decide,
  evolve,
  initialTeamState,
  permissions,
  teamStreamId,
  type ActiveTeam,
  type Permission,
  type TeamCommand,
  type TeamEvent,
  type TeamState,
} from '@access-audit/domain';
import { StreamLocks } from '@access-audit/event-store';
import { SqliteEventStore } from '@access-audit/event-store/sqlite';
import { AccessProjection, AccessQueries, openReadModelDatabase, rebuildReadModels } from '@access-audit/projections';
import { benchDrain } from './bench-drain';
import { generateHistory, generateSmallTeams, seededRandom, toAppend } from './bench-history';
import { benchPrivacy } from './bench-privacy';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const HTTP_SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
const HTTP_CONNECTIONS = 10;
const CHECK_SECONDS = 2;
const OPEN_END = 8_640_000_000_000_000;
const SMALL_TEAMS = Number(process.env.BENCH_TEAMS ?? 100_000);
/** `replay`: only the history, the replay row and its notes. */
const ONLY = process.env.BENCH_ONLY;

interface AutocannonResult {
  requests: { average: number };
  non2xx: number;
  errors: number;
}
interface AutocannonRun extends Promise<AutocannonResult> {
  on(
    event: 'response',
    listener: (client: unknown, statusCode: number, bytes: number, responseTimeMs: number) => void,
  ): void;
}
// autocannon ships no type declarations; this is the part used here.
const autocannon: (options: {
  url: string;
  connections: number;
  duration: number;
  headers?: Record<string, string>;
  requests?: Array<{
    method?: string;
    setupRequest?: (request: { path: string; body?: string }, context: Record<string, unknown>) => object;
  }>;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
}) => AutocannonRun = require('autocannon');

/** A fixed-connection autocannon run; latencies from every response at full precision (its histogram keeps whole ms). */
async function load(
  url: string,
  seconds: number,
  headers: Record<string, string>,
): Promise<{ rps: number; p50: number; p99: number }> {
  const times: number[] = [];
  const running = autocannon({ url, connections: HTTP_CONNECTIONS, duration: seconds, headers });
  running.on('response', (_client, _status, _bytes, ms) => times.push(ms));
  const result = await running;
  if (result.non2xx || result.errors)
    throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  times.sort((a, b) => a - b);
  return { rps: result.requests.average, p50: percentile(times, 50), p99: percentile(times, 99) };
}

interface Row {
  figure: string;
  value: number;
  unit: string;
  limitName: string;
  limit: number;
}
const rows: Row[] = [];
const notes: string[] = [];
const log = (message: string): void => void process.stderr.write(`${message}\n`);
const fmt = (n: number): string =>
  n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n.toFixed(2);
const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** Runs `operation` over the samples, round after round, for about `seconds`; operations per second. */
function rate<T>(samples: readonly T[], seconds: number, operation: (sample: T) => unknown): number {
  let sink = 0;
  let done = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  while (performance.now() < deadline) {
    for (const sample of samples) if (operation(sample)) sink++;
    done += samples.length;
  }
  if (sink < 0) log('unreachable');
  return (done / (performance.now() - started)) * 1000;
}

function latencies<T>(samples: readonly T[], operation: (sample: T) => unknown): { p50: number; p99: number } {
  const micros: number[] = [];
  for (const sample of samples) {
    const started = process.hrtime.bigint();
    operation(sample);
    micros.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  micros.sort((a, b) => a - b);
  return { p50: percentile(micros, 50), p99: percentile(micros, 99) };
}

/** In a fresh process: the RSS growth from loading the read models' in-memory state (or, as the limit, a Map of every live grant). */
async function reportRss(path: string, kind: string): Promise<void> {
  const db = new Database(path, { readonly: true });
  const gcNow = (): void => (globalThis as { gc?: () => void }).gc?.();
  let held: unknown;
  gcNow();
  const before = process.memoryUsage().rss;
  if (kind === 'projection') {
    held = new AccessProjection(db, (a, b) => Number(BigInt(a) - BigInt(b)));
  } else if (kind === 'team-json') {
    const states = new Map<string, string>();
    for (const row of db
      .prepare<[], { team_id: string; state_json: string }>('SELECT team_id, state_json FROM team_states')
      .iterate())
      states.set(row.team_id, row.state_json);
    held = states;
  } else {
    const grants = new Map<string, string>();
    const open = db.prepare<[], { key: string; grants_json: string }>(
      `SELECT team_id || '|' || user_id || '|' || project_id AS key, (SELECT grants_json FROM grant_sets WHERE id = grants_id) AS grants_json ` +
        `FROM grant_intervals WHERE to_ms = ${OPEN_END}`,
    );
    for (const row of open.iterate()) {
      for (const [permission, via] of JSON.parse(row.grants_json) as Array<[string, unknown]>)
        grants.set(`${row.key}|${permission}`, JSON.stringify(via));
    }
    held = grants;
  }
  gcNow();
  const after = process.memoryUsage().rss;
  process.stdout.write(`${JSON.stringify({ bytes: after - before, held: held !== undefined })}\n`);
  db.close();
}

function measureRss(path: string, kind: 'projection' | 'map' | 'team-json'): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', __filename, '--measure-rss', path, kind], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) =>
      code === 0
        ? resolve((JSON.parse(output) as { bytes: number }).bytes)
        : reject(new Error(`RSS probe exited ${code}`)),
    );
  });
}

/** RSS per team with many small teams: the projection's in-memory state vs each team's folded state as JSON text. */
async function benchRssPerTeam(dir: string): Promise<void> {
  const store = new SqliteEventStore(join(dir, 'small-teams.db'));
  let shown = 0;
  const generated = await generateSmallTeams(store, {
    teams: SMALL_TEAMS,
    onProgress: (teams) => {
      if (teams - shown >= SMALL_TEAMS / 5) log(`generating small teams: ${fmt((shown = teams))}`);
    },
  });
  const path = join(dir, 'small-teams-read-models.db');
  const db = openReadModelDatabase(path, { scratch: true });
  const replay = await rebuildReadModels(store, db, {});
  log(`small teams: ${fmt(generated.teams)} teams, ${fmt(replay.events)} events replayed`);
  db.close();
  await store.close();
  const projectionRss = await measureRss(path, 'projection');
  const jsonRss = await measureRss(path, 'team-json');
  rows.push({
    figure: `RSS per team (${fmt(generated.teams)} teams, ${generated.events / generated.teams} events each)`,
    value: projectionRss / generated.teams,
    unit: 'bytes',
    limitName: "Map of each team's state as JSON text",
    limit: jsonRss / generated.teams,
  });
}

async function serveBare(): Promise<void> {
  const body = process.env.BENCH_JSON ?? '{}';
  const app = Fastify({ logger: false });
  app.get('/v1/check', async (_request, reply) =>
    reply.header('Content-Type', 'application/json; charset=utf-8').send(body),
  );
  const permissionsBody = process.env.BENCH_PERMISSIONS_JSON ?? '{}';
  app.get('/v1/teams/:teamId/permissions', async (_request, reply) =>
    reply.header('Content-Type', 'application/json; charset=utf-8').send(permissionsBody),
  );
  // The limit of a command route: parses the same JSON body, answers a JSON body of the same size, writes nothing.
  app.put('/v1/teams/:teamId/members/:userId/role', async (request, reply) =>
    reply
      .header('Content-Type', 'application/json; charset=utf-8')
      .send(JSON.stringify({ echoed: request.body }).length >= 0 ? (process.env.BENCH_COMMAND_JSON ?? '{}') : ''),
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  process.stdout.write(`listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}\n`);
}

/** Starts a child process and resolves the URL it prints once listening. */
function startServer(args: string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[\d.:]+)/i.exec(output);
      if (match) resolve({ child, url: match[1]! });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited (${code}) before listening:\n${output}`)));
  });
}

/** CPU time (user + system) a child process has used so far, in ms; -1 where /proc is not there to tell. */
function cpuMs(child: ChildProcess): number {
  try {
    // Fields 14 and 15 of /proc/<pid>/stat, after the parenthesised command name; clock ticks of 10 ms on Linux.
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return -1;
  }
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function benchHttp(dir: string): Promise<void> {
  // autocannon starts its connections after an await that holds no handle; keep the process alive meanwhile.
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    await benchHttpRuns(dir);
  } finally {
    clearInterval(keepAlive);
  }
}

/** The API in a child process on its own DATA_DIR, and the headers of a token for `userId`. */
async function startApi(dataDir: string, userId: string, main = join(__dirname, '../apps/api/src/main.js')) {
  const secret = randomBytes(32).toString('base64url');
  const nodeArgs = (process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const api = await startServer([...nodeArgs, main], {
    DATA_DIR: dataDir,
    EVENT_STORE: '',
    PORT: '0',
    HOST: '127.0.0.1',
    AUTH_JWT_SECRET: secret,
  });
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
  return { ...api, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } };
}

/** The median of a few figures (the interleaved rounds). */
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const spread = (ratios: number[]): string => ratios.map((ratio) => ratio.toFixed(2)).join(', ');

/** One team with a project and a developer, through the API; the check and permissions paths, and their answers. */
async function seedReadTeam(url: string, headers: Record<string, string>) {
  const post = async (path: string, body: object): Promise<{ position: string }> => {
    const response = await fetch(`${url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { position: string };
  };
  await post('/v1/teams', { id: 'bench', name: 'Bench', plan: 'enterprise' });
  await post('/v1/teams/bench/projects', { id: 'web', name: 'Web' });
  const last = await post('/v1/teams/bench/members', { userId: 'bob', role: 'developer' });
  const answer = async (path: string): Promise<string> => {
    const response = await fetch(`${url}${path}${path.includes('?') ? '&' : '?'}minPosition=${last.position}`, {
      headers,
    });
    const json = await response.text();
    if (!response.ok) throw new Error(`${path}: ${response.status} ${json}`);
    return json;
  };
  const checkPath = '/v1/check?teamId=bench&userId=bob&permission=project.deploy.production&projectId=web';
  const permissionsPath = '/v1/teams/bench/permissions?userId=bob&projectId=web';
  return {
    checkPath,
    checkJson: await answer(checkPath),
    permissionsPath,
    permissionsJson: await answer(permissionsPath),
  };
}

/**
 * The read routes against a bare Fastify route answering the same JSON, in interleaved rounds (API, bare, API, …) so
 * that drift on a shared machine falls on both; medians, with each round's ratio in a note. BENCH_BASELINE_API (the
 * main.js of another build) adds that build to every round, for an old-vs-new comparison in the same run.
 */
async function benchHttpRuns(dir: string): Promise<void> {
  const rounds = Math.max(1, Number(process.env.BENCH_HTTP_ROUNDS ?? 3));
  const baselineMain = process.env.BENCH_BASELINE_API;
  const api = await startApi(join(dir, 'api'), 'alice');
  const baseline = baselineMain ? await startApi(join(dir, 'baseline-api'), 'alice', baselineMain) : undefined;
  const servers = [api.child, ...(baseline ? [baseline.child] : [])];
  try {
    const seeded = await seedReadTeam(api.url, api.headers);
    if (baseline) await seedReadTeam(baseline.url, baseline.headers);
    log(`HTTP: /v1/check answers ${seeded.checkJson}`);
    const bare = await startServer([__filename, '--serve-bare'], {
      BENCH_JSON: seeded.checkJson,
      BENCH_PERMISSIONS_JSON: seeded.permissionsJson,
    });
    servers.push(bare.child);
    const routes = [
      { name: '/v1/check', path: seeded.checkPath, barePath: '/v1/check' },
      { name: '/permissions', path: seeded.permissionsPath, barePath: '/v1/teams/bench/permissions' },
    ];
    for (const route of routes) {
      const targets = [
        { name: 'api', url: `${api.url}${route.path}`, headers: api.headers },
        ...(baseline ? [{ name: 'baseline', url: `${baseline.url}${route.path}`, headers: baseline.headers }] : []),
        { name: 'bare', url: `${bare.url}${route.barePath}`, headers: api.headers },
      ];
      for (const target of targets) await load(target.url, 1, target.headers);
      const runs = new Map(
        targets.map((target) => [target.name, [] as Array<{ rps: number; p50: number; p99: number }>]),
      );
      for (let round = 0; round < rounds; round++)
        for (const target of targets) runs.get(target.name)!.push(await load(target.url, HTTP_SECONDS, target.headers));
      const of = (name: string, figure: 'rps' | 'p50' | 'p99'): number[] => runs.get(name)!.map((run) => run[figure]);
      const figures = [
        {
          figure: 'rps',
          label: `HTTP ${route.name} (${HTTP_CONNECTIONS} conn, ${HTTP_SECONDS} s × ${rounds})`,
          unit: 'req/s',
          limitName: 'bare Fastify route, same JSON',
        },
        { figure: 'p50', label: `HTTP ${route.name} latency p50`, unit: 'ms', limitName: 'bare Fastify p50' },
        { figure: 'p99', label: `HTTP ${route.name} latency p99`, unit: 'ms', limitName: 'bare Fastify p99' },
      ] as const;
      for (const { figure, label, unit, limitName } of figures) {
        const bareRuns = of('bare', figure);
        if (baseline) {
          const against = of('baseline', figure);
          const ratios = of('api', figure).map((value, round) => value / against[round]!);
          notes.push(
            `${label}, this build / baseline build per round (median ${median(ratios).toFixed(2)}): ${spread(ratios)}`,
          );
        }
        for (const name of baseline ? ['baseline', 'api'] : ['api']) {
          const values = of(name, figure);
          rows.push({
            figure: name === 'baseline' ? `${label} [baseline build]` : label,
            value: median(values),
            unit,
            limitName,
            limit: median(bareRuns),
          });
          notes.push(
            `${label}${name === 'baseline' ? ' [baseline build]' : ''}, ratio per round: ${spread(values.map((value, round) => value / bareRuns[round]!))}`,
          );
        }
      }
    }
  } finally {
    for (const child of servers) await stopServer(child);
  }
}

/** One team's history of `events` events, written through the decider straight into the store in batches. */
async function writeTeamHistory(store: SqliteEventStore, teamId: string, events: number): Promise<void> {
  let state: TeamState = initialTeamState();
  let revision = -1;
  let batch: TeamCommand[] = [];
  const base = Date.parse('2025-01-01T00:00:00Z');
  const flush = async (): Promise<void> => {
    const decided: TeamEvent[] = [];
    for (const command of batch) {
      const decision = decide(command, state);
      if (!decision.ok) throw new Error(`history command refused: ${decision.rejection.message}`);
      state = decision.events.reduce(evolve, state);
      decided.push(...decision.events);
    }
    const result = await store.append(teamStreamId(teamId), toAppend(decided), revision < 0 ? 'no_stream' : revision);
    revision = result.streamRevision;
    batch = [];
  };
  const meta = (i: number) => ({ actorId: 'olga', now: new Date(base + i * 1000).toISOString() });
  batch.push({ type: 'CreateTeam', teamId, data: { name: 'Bench', plan: 'enterprise' }, metadata: meta(0) });
  batch.push({ type: 'AddMember', teamId, data: { userId: 'bob', role: 'member' }, metadata: meta(1) });
  for (let i = 2; i < events; i++) {
    const role = i % 2 === 0 ? 'developer' : 'member';
    batch.push({ type: 'ChangeTeamRole', teamId, data: { userId: 'bob', role }, metadata: meta(i) });
    if (batch.length === 1000) await flush();
  }
  if (batch.length) await flush();
}

/** Command latency on a team's long history: write side only (load, fold, decide, fsynced append), as every entry point pays it. */
async function benchCommandCost(dir: string): Promise<void> {
  const sizes = [100, 10_000, 100_000];
  const measured = new Map<number, { p50: number; p99: number; coldMs: number }>();
  // A first pass at the smallest size warms the JIT, so the first measured size is not the only one paying for it.
  for (const [pass, size] of [sizes[0]!, ...sizes].entries()) {
    const path = join(dir, `commands-${pass}-${size}.db`);
    const writer = new SqliteEventStore(path);
    await writeTeamHistory(writer, 'bench', size);
    // Reopened, so every size starts from a checkpointed WAL rather than the bulk write's pending pages.
    await writer.close();
    const store = new SqliteEventStore(path);
    const commands = new TeamCommands({
      store,
      locks: new StreamLocks(),
      now: () => new Date(),
      snapshots: new TeamSnapshots(store),
    });
    let flip = 0;
    const one = async (): Promise<number> => {
      const role = flip++ % 2 === 0 ? 'security' : 'member';
      const started = performance.now();
      const outcome = await commands.issue(
        { type: 'ChangeTeamRole', teamId: 'bench', data: { userId: 'bob', role } },
        { actorId: 'olga', correlationId: 'bench' },
      );
      if (!outcome.ok) throw new Error(`command refused: ${JSON.stringify(outcome)}`);
      return performance.now() - started;
    };
    const coldMs = await one();
    for (let i = 0; i < 200; i++) await one();
    const times: number[] = [];
    for (let i = 0; i < 1_000; i++) times.push(await one());
    times.sort((a, b) => a - b);
    measured.set(size, { p50: percentile(times, 50), p99: percentile(times, 99), coldMs });
    await store.close();
    log(`commands at ${fmt(size)} events: p50 ${fmt(percentile(times, 50))} ms (first, cold: ${fmt(coldMs)} ms)`);
  }
  const base = measured.get(100)!;
  for (const size of sizes.slice(1)) {
    const m = measured.get(size)!;
    rows.push({
      figure: `command p50 at ${fmt(size)} events`,
      value: m.p50,
      unit: 'ms',
      limitName: 'command p50 at 100 events',
      limit: base.p50,
    });
    rows.push({
      figure: `command p99 at ${fmt(size)} events`,
      value: m.p99,
      unit: 'ms',
      limitName: 'command p99 at 100 events',
      limit: base.p99,
    });
  }
  notes.push(
    `commands: ${sizes.map((n) => `${fmt(n)} events p50 ${fmt(measured.get(n)!.p50)} ms, first (cold, whole fold) ${fmt(measured.get(n)!.coldMs)} ms`).join('; ')}`,
  );
}

const COMMAND_CLIENTS = 64;

/** Durable commands/s over HTTP with 64 clients on 64 teams, beside raw fsynced single-row transactions and a bare route. */
async function benchDurableCommands(dir: string): Promise<void> {
  const keepAlive = setInterval(() => undefined, 1000);
  const api = await startApi(join(dir, 'commands-api'), 'olga');
  const headers = api.headers;
  try {
    const send = async (method: string, path: string, body: object): Promise<string> => {
      const response = await fetch(`${api.url}${path}`, { method, headers, body: JSON.stringify(body) });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return text;
    };
    for (let i = 0; i < COMMAND_CLIENTS; i++) {
      await send('POST', '/v1/teams', { id: `load-${i}`, name: `Load ${i}`, plan: 'enterprise' });
      await send('POST', `/v1/teams/load-${i}/members`, { userId: 'bob', role: 'member' });
    }
    const sample = await send('PUT', '/v1/teams/load-0/members/bob/role', { role: 'developer' });
    let next = 0;
    // Teams in turn, each flipping bob's role, so every command appends (a same-role one would not). Kept here, not in
    // autocannon's context: that is reset before every request of a one-request sequence.
    const flipped = Array.from({ length: COMMAND_CLIENTS }, () => true);
    const requests = [
      {
        method: 'PUT',
        setupRequest: (request: { path: string; body?: string }) => {
          const team = next++ % COMMAND_CLIENTS;
          flipped[team] = !flipped[team];
          return {
            ...request,
            path: `/v1/teams/load-${team}/members/bob/role`,
            body: JSON.stringify({ role: flipped[team] ? 'security' : 'member' }),
          };
        },
      },
    ];
    const run = async (url: string, seconds: number) => {
      const running = autocannon({ url, connections: COMMAND_CLIENTS, duration: seconds, headers, requests });
      const result = await running;
      if (result.non2xx || result.errors) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      return result.requests.average;
    };
    await run(api.url, 1);
    const apiCpuBefore = cpuMs(api.child);
    const commands = await run(api.url, HTTP_SECONDS);
    const apiCpu = cpuMs(api.child) - apiCpuBefore;
    await stopServer(api.child);

    const bare = await startServer([__filename, '--serve-bare'], { BENCH_COMMAND_JSON: sample });
    let bareRate: number;
    let bareCpu: number;
    try {
      await run(bare.url, 1);
      const bareCpuBefore = cpuMs(bare.child);
      bareRate = await run(bare.url, HTTP_SECONDS);
      bareCpu = cpuMs(bare.child) - bareCpuBefore;
    } finally {
      await stopServer(bare.child);
    }
    if (apiCpu >= 0 && bareCpu >= 0) {
      // CPU per request is steadier than req/s on a shared machine: waiting for a core does not count.
      notes.push(
        `durable commands: API process CPU ${fmt(apiCpu / (commands * HTTP_SECONDS))} ms per command, bare route ${fmt(bareCpu / (bareRate * HTTP_SECONDS))} ms per request`,
      );
    }

    // Raw durable transactions: one row per fsynced transaction, same pragmas as the embedded store.
    const raw = new Database(join(dir, 'raw-durable.db'));
    for (const pragma of ['journal_mode = WAL', 'synchronous = FULL']) raw.pragma(pragma);
    raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, data TEXT NOT NULL)');
    const insert = raw.prepare('INSERT INTO t (data) VALUES (?)');
    const payload = JSON.stringify({ role: 'member', padding: 'x'.repeat(400) });
    const rawRate = rate([payload], 3, (data) => insert.run(data));
    raw.close();

    rows.push({
      figure: `durable commands, ${COMMAND_CLIENTS} clients on ${COMMAND_CLIENTS} teams`,
      value: commands,
      unit: 'cmd/s',
      limitName: 'bare route, same JSON in and out',
      limit: bareRate,
    });
    rows.push({
      figure: `durable commands, ${COMMAND_CLIENTS} clients on ${COMMAND_CLIENTS} teams`,
      value: commands,
      unit: 'cmd/s',
      limitName: 'raw single-row fsynced transactions',
      limit: rawRate,
    });
    notes.push('a durable command is two fsynced appends: its team event and its audit entry');
  } finally {
    clearInterval(keepAlive);
    await stopServer(api.child);
  }
}

interface CheckSample {
  teamId: string;
  userId: string;
  permission: Permission;
  projectId: string;
}

async function main(): Promise<void> {
  if (process.argv.includes('--serve-bare')) return serveBare();
  const rssProbe = process.argv.indexOf('--measure-rss');
  if (rssProbe >= 0) return reportRss(process.argv[rssProbe + 1]!, process.argv[rssProbe + 2]!);
  const dir = mkdtempSync(join(tmpdir(), 'access-audit-bench-'));
  const started = performance.now();
  try {
    if (process.env.BENCH_ONLY === 'check') await benchHttp(dir);
    else if (process.env.BENCH_ONLY === 'durable') await benchDurableCommands(dir);
    else if (process.env.BENCH_ONLY === 'drain') await benchDrain(dir, rows, notes, log);
    else if (process.env.BENCH_ONLY === 'privacy') await benchPrivacy(dir, rows, notes, log);
    else await benchAll(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(started);
}

async function benchAll(dir: string): Promise<void> {
  const started = performance.now();
  {
    // 1. A generated history, through the domain, into the SQLite store.
    const store = new SqliteEventStore(join(dir, 'events.db'));
    let shown = 0;
    const generated = await generateHistory(store, {
      totalEvents: EVENTS,
      eventsPerTeam: 5000,
      onProgress: (events) => {
        if (events - shown >= EVENTS / 10) log(`generating history: ${fmt((shown = events))} events`);
      },
    });
    log(
      `history: ${fmt(generated.events)} events in ${generated.teams} teams (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );

    // 2. Replay into a scratch read-model database vs a raw read + JSON.parse of the same log.
    const raw = new Database(join(dir, 'events.db'), { readonly: true });
    const rawStarted = performance.now();
    let rawEvents = 0;
    for (const row of raw
      .prepare<[], { data: string; metadata: string }>('SELECT data, metadata FROM events ORDER BY position')
      .iterate()) {
      JSON.parse(row.data);
      JSON.parse(row.metadata);
      rawEvents++;
    }
    const rawRate = (rawEvents / (performance.now() - rawStarted)) * 1000;
    raw.close();
    const db = openReadModelDatabase(join(dir, 'read-models.db'), { scratch: true });
    let lastShown = 0;
    const replay = await rebuildReadModels(store, db, {
      progressIntervalMs: 5000,
      onProgress: (p) => {
        if (p.events !== lastShown)
          log(`replaying: ${fmt((lastShown = p.events))} events, ${fmt((p.events / p.elapsedMs) * 1000)} events/s`);
      },
    });
    rows.push({
      figure: `replay (${fmt(replay.events)} events)`,
      value: replay.eventsPerSecond,
      unit: 'events/s',
      limitName: 'raw SQLite read + JSON.parse',
      limit: rawRate,
    });
    const intervals = db.prepare<[], number>('SELECT COUNT(*) FROM grant_intervals').pluck().get()!;
    const grantSets = db.prepare<[], number>('SELECT COUNT(*) FROM grant_sets').pluck().get()!;
    const memberEvents = db.prepare<[], number>('SELECT COUNT(*) FROM member_events').pluck().get()!;
    notes.push(
      `the replay wrote ${fmt(intervals)} validity intervals of members' grants per scope (${(intervals / replay.events).toFixed(2)} per event; ${fmt(grantSets)} distinct grant sets) and ${fmt(memberEvents)} member-event rows`,
    );
    if (ONLY === 'replay') {
      db.close();
      await store.close();
      return;
    }

    // 3. RSS per live grant: the projection's in-memory team states vs a Map of every live grant, each loaded from the
    // read-model database into a fresh process (RSS never shrinks back, so in-process deltas would mean little).
    const liveGrants = db
      .prepare<[], number>(
        'SELECT SUM(json_array_length(grants_json)) FROM grant_intervals JOIN grant_sets ON grant_sets.id = grants_id ' +
          `WHERE to_ms = ${OPEN_END}`,
      )
      .pluck()
      .get()!;
    const projectionRss = await measureRss(join(dir, 'read-models.db'), 'projection');
    const mapRss = await measureRss(join(dir, 'read-models.db'), 'map');
    rows.push({
      figure: `RSS per live grant (${fmt(liveGrants)} grants)`,
      value: projectionRss / liveGrants,
      unit: 'bytes',
      limitName: 'Map of live grants (key → via)',
      limit: mapRss / liveGrants,
    });
    const projection = new AccessProjection(db, (a, b) => store.comparePositions(a, b));
    await benchRssPerTeam(dir);

    // 4. In-process check vs a Map lookup of the same answers.
    const queries = new AccessQueries(projection);
    const random = seededRandom(7);
    const teamIds = projection.teamIds();
    const samples: CheckSample[] = [];
    for (let i = 0; i < 100_000; i++) {
      const teamId = teamIds[Math.floor(random() * teamIds.length)]!;
      const team = projection.team(teamId)!.state as ActiveTeam;
      const users = [...team.members.keys()];
      const projects = [...team.projects.keys()];
      const userId = users[Math.floor(random() * users.length)]!;
      const projectId = projects[Math.floor(random() * projects.length)]!;
      const permission = permissions[Math.floor(random() * permissions.length)]!;
      samples.push({ teamId, userId, permission, projectId });
    }
    const answers = new Map<string, { allowed: boolean }>();
    for (const s of samples)
      answers.set(
        `${s.teamId}|${s.userId}|${s.projectId}|${s.permission}`,
        queries.check(s.teamId, s.userId, s.permission, s.projectId),
      );
    const checkRate = rate(
      samples,
      CHECK_SECONDS,
      (s) => queries.check(s.teamId, s.userId, s.permission, s.projectId).allowed,
    );
    const mapRate = rate(
      samples,
      CHECK_SECONDS,
      (s) => answers.get(`${s.teamId}|${s.userId}|${s.projectId}|${s.permission}`)?.allowed,
    );
    rows.push({
      figure: 'in-process check',
      value: checkRate,
      unit: 'checks/s',
      limitName: 'plain Map lookup',
      limit: mapRate,
    });

    // 5. Point-in-time lookups at this size vs a primary-key SELECT on the same table.
    const firstMs = Date.parse('2024-01-01T00:00:00.000Z');
    const lastMs = db.prepare<[], number>('SELECT MAX(from_ms) FROM grant_intervals').pluck().get()!;
    type IntervalKey = { team_id: string; user_id: string; project_id: string; from_ms: number };
    const keys = db
      .prepare<[number], IntervalKey>(
        'SELECT team_id, user_id, project_id, from_ms FROM grant_intervals WHERE from_ms % 97 = ? LIMIT 20000',
      )
      .all(3);
    const atSamples = samples
      .slice(0, 20_000)
      .map((s) => ({ ...s, at: firstMs + Math.floor(random() * (lastMs - firstMs)) }));
    const byKey = db.prepare<[string, string, string, number], { grants_json: string }>(
      'SELECT (SELECT grants_json FROM grant_sets WHERE id = grants_id) AS grants_json FROM grant_intervals ' +
        'WHERE team_id = ? AND user_id = ? AND project_id = ? AND from_ms = ?',
    );
    latencies(atSamples.slice(0, 2000), (s) => queries.check(s.teamId, s.userId, s.permission, s.projectId, s.at));
    const pointInTime = latencies(atSamples, (s) => queries.check(s.teamId, s.userId, s.permission, s.projectId, s.at));
    const primaryKey = latencies(keys, (k) => byKey.get(k.team_id, k.user_id, k.project_id, k.from_ms));
    rows.push({
      figure: 'point-in-time check (at=) p50',
      value: pointInTime.p50,
      unit: 'µs',
      limitName: 'SELECT by primary key p50',
      limit: primaryKey.p50,
    });
    rows.push({
      figure: 'point-in-time check (at=) p99',
      value: pointInTime.p99,
      unit: 'µs',
      limitName: 'SELECT by primary key p99',
      limit: primaryKey.p99,
    });
    db.close();
    await store.close();

    // 6. HTTP, the API in a child process.
    await benchHttp(dir);

    // 7. Command cost against history length, and durable commands under 64 clients.
    await benchCommandCost(dir);
    await benchDurableCommands(dir);
    await benchDrain(dir, rows, notes, log);
  }
}

/** The table of every figure beside its limit, then the notes. */
function printTable(started: number): void {
  const table = [['figure', 'value', 'limit', 'limit value', 'ratio (value / limit)']];
  for (const row of rows) {
    table.push([
      row.figure,
      `${fmt(row.value)} ${row.unit}`,
      row.limitName,
      `${fmt(row.limit)} ${row.unit}`,
      (row.value / row.limit).toFixed(3),
    ]);
  }
  const widths = table[0]!.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
  const out = table.map((line) =>
    line
      .map((cell, column) =>
        column === 1 || column === 3 || column === 4 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  '),
  );
  process.stdout.write(`\n${out[0]}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${out.slice(1).join('\n')}\n`);
  for (const note of notes) process.stdout.write(`\n${note}`);
  process.stdout.write(
    `\n(${((performance.now() - started) / 1000).toFixed(0)} s; node ${process.version}; throughput ratios below 1 and latency/size ratios above 1 are the cost over the limit)\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
