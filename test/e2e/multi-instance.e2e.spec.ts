/**
 * Three API processes on one event store behave as one: each started as `npm start` runs it, with its own DATA_DIR (its
 * read models and audit index) and the same JWT secret and audit signing key. 64 clients spread over the three send
 * conflicting commands on three teams; one instance is killed with SIGKILL mid-load and restarted. Afterwards: every
 * acknowledged command is in the store exactly once (and no command ran twice), every invariant holds, each instance's
 * read models equal a fresh replay, each team's audit chain verifies on every instance, an idempotency key used on one
 * instance replays the same answer on the others, the change feed has no gap or duplicate, and the denial rate limit
 * holds across instances.
 *
 * Runs on one SQLite file, and on PostgreSQL when ACCESS_AUDIT_TEST_POSTGRES names a server where it may CREATE DATABASE
 * (reported skipped with the reason when unset; ACCESS_AUDIT_REQUIRE_POSTGRES=1 makes a missing server a failure).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { evolve, initialTeamState, teamStreamId, teamStreamPrefix, type ActiveTeam } from '@access-audit/domain';
import type { EventStore, RecordedEvent } from '@access-audit/event-store';
import { openEventStore } from '@access-audit/event-store/open';
import { auditEventTypes, auditStreamId, type AuditEntry } from '@access-audit/audit';
import { openReadModelDatabase, verifyReadModels } from '@access-audit/projections';
import { decodeTeamEvent } from '@access-audit/team-stream';
import { mintToken } from '../../apps/cli/src/commands/token';
import { removeTranspiledSources } from '../../libs/audit/src/testing/transpiled-child';
import { assertInvariants } from '../../libs/domain/src/testing/random-team-history';
import { createThrowawayDatabase, postgresTestServer } from '../contract/fixtures/postgres-database';
import { startApiProcess, type ApiProcess } from './support/api-process';
import { driveLoad, send, type LoadTeam, type SentCommand } from './support/multi-instance-load';

interface StoreUnderTest {
  name: string;
  /** Why this store cannot be tested here; the suite is then reported skipped with it. */
  skipReason?: string;
  /** The EVENT_STORE every instance is given, and how to drop it afterwards. */
  create(dir: string): Promise<{ eventStore: string; drop(): Promise<void> }>;
}

const sqlite: StoreUnderTest = {
  name: 'one SQLite file',
  create: async (dir) => ({ eventStore: `sqlite:${join(dir, 'shared', 'events.db')}`, drop: async () => undefined }),
};

const postgresServer = postgresTestServer();
const postgres: StoreUnderTest = {
  name: 'PostgreSQL',
  ...(postgresServer.skipReason !== undefined ? { skipReason: postgresServer.skipReason } : {}),
  async create() {
    const database = await createThrowawayDatabase(postgresServer.url ?? '', 'multi_instance');
    return { eventStore: database.url, drop: () => database.drop() };
  },
};

const teams: LoadTeam[] = [
  { id: 'team-0', plan: 'pro' },
  { id: 'team-1', plan: 'enterprise' },
  { id: 'team-2', plan: 'enterprise' },
];
const owner = 'root';
const clients = 64;
const instanceCount = 3;
/** The default denial rate limit (libs/audit DenialRateLimiter): a burst of 10, then 10 a minute. */
const denialBurst = 10;
const denialsPerMinute = 10;

for (const storeUnderTest of [sqlite, postgres])
  (storeUnderTest.skipReason === undefined ? describe : describe.skip)(
    `three API instances on ${storeUnderTest.name}${storeUnderTest.skipReason ? ` (skipped: ${storeUnderTest.skipReason})` : ''}`,
    () => multiInstanceSuite(storeUnderTest),
  );

afterAll(() => removeTranspiledSources());

function multiInstanceSuite(storeUnderTest: StoreUnderTest): void {
  let dir: string;
  let store: EventStore | undefined;
  let dropStore: (() => Promise<void>) | undefined;
  let env: NodeJS.ProcessEnv;
  const instances: Array<ApiProcess | undefined> = [];
  let authorization: string;
  let secret: string;

  const baseUrls = () => instances.map((instance) => instance?.baseUrl);
  const start = (index: number) =>
    // Generous: a restarted instance catches its read models up while the other two carry the load on 2 cores.
    startApiProcess({
      name: `instance ${index}`,
      dataDir: join(dir, `instance-${index}`),
      env,
      readyTimeoutMs: 60_000,
    });
  const call = async (index: number, method: string, path: string, body?: object, as = authorization) => {
    const response = await fetch(`${instances[index]!.baseUrl}${path}`, {
      method,
      headers: { authorization: as, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'access-audit-multi-'));
    const created = await storeUnderTest.create(dir);
    dropStore = created.drop;
    secret = randomBytes(32).toString('base64url');
    const signingKey = join(dir, 'audit-signing-key.pem');
    writeFileSync(signingKey, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
    });
    env = { EVENT_STORE: created.eventStore, AUTH_JWT_SECRET: secret, AUDIT_SIGNING_KEY: signingKey };
    authorization = `Bearer ${await mintToken({ secret, userId: owner, ttl: '1h' })}`;
    // Started together: they open (and create) the store at the same time, as a rolling deployment may.
    instances.push(...(await Promise.all([0, 1, 2].map((index) => start(index)))));
    store = await openEventStore(created.eventStore, { dataDir: join(dir, 'reader') });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance?.stop()));
    instances.length = 0;
    await store?.close();
    await dropStore?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('acts as one under conflicting load with an instance killed and restarted', async () => {
    for (const [index, team] of teams.entries()) {
      const created = await call(index % instanceCount, 'POST', '/v1/teams', {
        id: team.id,
        name: team.id,
        plan: team.plan,
      });
      expect(created.status).toBe(201);
      for (const userId of ['u0', 'u1', 'u2', 'u3'])
        expect(
          (await call(index % instanceCount, 'POST', `/v1/teams/${team.id}/members`, { userId, role: 'member' }))
            .status,
        ).toBe(201);
    }

    // The load: 64 clients; instance 2 is killed with SIGKILL after a while and restarted on its DATA_DIR.
    let running = true;
    const progress: SentCommand[] = [];
    const load = driveLoad({
      clients,
      teams,
      instances: baseUrls,
      authorization,
      running: () => running,
      seed: 13,
      sent: progress,
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      const victim = instances[2]!;
      victim.kill('SIGKILL');
      expect(await victim.exited).toBe('SIGKILL');
      instances[2] = undefined;
      instances[2] = await start(2);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      // The load goes on until the restarted instance has acknowledged its share (a loaded machine may take longer).
      const restartedUrl = instances[2].baseUrl;
      for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
        const served = progress.some(
          (command) => command.answeredAt === restartedUrl && command.status! >= 200 && command.status! < 300,
        );
        if (served) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      // A failed restart must not leave 64 clients sending for ever behind the failed test.
      running = false;
    }
    const sent = await load;

    const answered = sent.filter((command) => command.status !== undefined);
    const acknowledged = answered.filter((command) => command.status! >= 200 && command.status! < 300);
    // Refusals are 4xx by the policy (403, 404, 409, 422); no instance may fail a command (5xx), not even the restarted one.
    expect(answered.filter((command) => command.status! >= 500).map(described)).toEqual([]);
    expect(sent.filter((command) => command.status === undefined).map(described)).toEqual([]);
    expect(acknowledged.length).toBeGreaterThan(100);
    // Some commands were sent on to another instance while instance 2 was down, and the restarted one took its share.
    expect(sent.some((command) => command.attempts.length > 1)).toBe(true);
    expect(acknowledged.filter((command) => command.answeredAt === instances[2]!.baseUrl).length).toBeGreaterThan(0);

    const head = (await store!.headPosition())!;
    // Every instance's read models and audit index have caught up with the store.
    for (let index = 0; index < instanceCount; index++)
      for (const team of teams) {
        // Each answer waits up to 5 s for the position; a busy machine may need a few of those.
        let caughtUp = await call(index, 'GET', `/v1/teams/${team.id}/audit/verify?minPosition=${head}`);
        for (let retry = 0; caughtUp.status === 503 && retry < 4; retry++)
          caughtUp = await call(index, 'GET', `/v1/teams/${team.id}/audit/verify?minPosition=${head}`);
        if (caughtUp.status !== 200) {
          const ready = await call(index, 'GET', '/readyz');
          throw new Error(
            `instance ${index} has not caught up with ${head}: ${JSON.stringify(ready.body)}\n${instances[index]!.output().slice(-5000)}`,
          );
        }
      }

    // Every acknowledged command is in the store exactly once; no command's events come from two attempts.
    const eventsByKey = new Map<string, RecordedEvent[]>();
    const eventCount = new Map<string, number>();
    for await (const event of store!.readAll({ streamPrefixes: [teamStreamPrefix] })) {
      eventCount.set(event.id, (eventCount.get(event.id) ?? 0) + 1);
      const correlation = event.metadata.correlationId;
      const key = typeof correlation === 'string' ? correlation.replace(/\.\d+$/, '') : undefined;
      if (key === undefined) continue;
      const events = eventsByKey.get(key) ?? [];
      events.push(event);
      eventsByKey.set(key, events);
    }
    expect([...eventCount].filter(([, count]) => count !== 1)).toEqual([]);
    const problems: string[] = [];
    for (const command of sent) {
      const events = eventsByKey.get(command.key) ?? [];
      const attempts = new Set(events.map((event) => event.metadata.correlationId));
      if (attempts.size > 1) problems.push(`${described(command)} ran ${attempts.size} times`);
      if (command.status! >= 200 && command.status! < 300) {
        const answer = command.answer as { events: Array<{ id: string }> };
        const stored = events.map((event) => event.id).sort();
        const listed = answer.events.map((event) => event.id).sort();
        if (JSON.stringify(stored) !== JSON.stringify(listed))
          problems.push(
            `${described(command)} answered events ${listed.join(',')}, the store holds ${stored.join(',')}`,
          );
      }
    }
    expect(problems).toEqual([]);

    // Every invariant holds in each team as folded from its stream.
    for (const team of teams) {
      let state = initialTeamState();
      for (const event of await store!.readStream(teamStreamId(team.id))) {
        const decoded = decodeTeamEvent(event);
        if (decoded) state = evolve(state, decoded);
      }
      expect(state.status).toBe('active');
      assertInvariants(state as ActiveTeam);
    }

    // Each team's audit chain verifies end to end, and every instance sees the same chain.
    for (const team of teams) {
      const answers = await Promise.all(
        [0, 1, 2].map((index) => call(index, 'GET', `/v1/teams/${team.id}/audit/verify?minPosition=${head}`)),
      );
      for (const answer of answers)
        expect(answer.body).toMatchObject({
          valid: true,
          teamId: team.id,
          sources: { different: 0, missing: 0, extra: 0, unrecorded: 0 },
        });
      expect(new Set(answers.map((answer) => `${answer.body.entries}/${answer.body.head}`)).size).toBe(1);
    }

    // An idempotency key used on one instance replays the same answer on every other, appending nothing.
    const replayed = acknowledged.filter((_, index) => index % 25 === 0);
    const revisions = await Promise.all(teams.map((team) => store!.streamRevision(teamStreamId(team.id))));
    for (const command of replayed) {
      for (let other = 0; other < instanceCount; other++) {
        if (other === command.answeredBy) continue;
        const again: SentCommand = { ...command, attempts: [] };
        await send(again, other, { instances: baseUrls, authorization });
        expect({ key: command.key, status: again.status, answer: again.answer }).toEqual({
          key: command.key,
          status: command.status,
          answer: command.answer,
        });
      }
    }
    expect(await Promise.all(teams.map((team) => store!.streamRevision(teamStreamId(team.id))))).toEqual(revisions);

    // The change feed: the same on every instance, no entry twice, and each permission alternates granted/revoked
    // (a missing entry would show as two grants or two revocations in a row), ending where /permissions stands.
    for (const team of teams) {
      const feeds = await Promise.all([0, 1, 2].map((index) => changeFeed(index, team.id)));
      expect(feeds[1]).toEqual(feeds[0]);
      expect(feeds[2]).toEqual(feeds[0]);
      const held = new Map<string, boolean>();
      const gaps: string[] = [];
      const seen = new Set<string>();
      for (const change of feeds[0]) {
        const entry = `${change.position} ${change.userId} ${change.projectId} ${change.permission}`;
        if (seen.has(entry)) gaps.push(`duplicate: ${entry}`);
        seen.add(entry);
        const permission = `${change.userId} ${change.projectId} ${change.permission}`;
        const granted = change.change === 'granted';
        if ((held.get(permission) ?? false) === granted) gaps.push(`${change.change} twice in a row: ${entry}`);
        held.set(permission, granted);
      }
      expect(gaps).toEqual([]);
      const permissions = (await call(0, 'GET', `/v1/teams/${team.id}/permissions?minPosition=${head}`)).body
        .permissions as Array<{ userId: string; projectId: string | null; permission: string }>;
      const now = permissions.map((p) => `${p.userId} ${p.projectId} ${p.permission}`).sort();
      expect(now).toEqual(
        [...held]
          .filter(([, granted]) => granted)
          .map(([permission]) => permission)
          .sort(),
      );
    }

    // The denial rate limit holds across instances: a member refused 36 times, 12 on each instance, in quick succession.
    const dev = `Bearer ${await mintToken({ secret, userId: 'u0', ttl: '1h' })}`;
    // u0 may have been removed or promoted by the load: a developer again, who may not change roles.
    await call(0, 'POST', `/v1/teams/team-1/members`, { userId: 'u0', role: 'developer' });
    await call(0, 'PUT', `/v1/teams/team-1/members/u0/role`, { role: 'developer' });
    const denialsStarted = Date.now();
    const refusals = await Promise.all(
      Array.from({ length: 36 }, (_, index) =>
        call(index % instanceCount, 'PUT', `/v1/teams/team-1/members/${owner}/role`, { role: 'member' }, dev),
      ),
    );
    const denialsTookMs = Date.now() - denialsStarted;
    expect(new Set(refusals.map((refusal) => refusal.status))).toEqual(new Set([403]));
    const stored = (await store!.readStream(auditStreamId('team-1'))).filter(
      (event) => event.type === auditEventTypes.accessDenied && (event.data as AuditEntry).actor === 'u0',
    ).length;
    // Per-instance buckets would record up to 3 × 10 here.
    expect(stored).toBeGreaterThanOrEqual(denialBurst);
    expect(stored).toBeLessThanOrEqual(denialBurst + Math.floor((denialsTookMs / 60_000) * denialsPerMinute) + 1);
    // Every instance's audit log lists them, once its index has followed the others' appends.
    for (let index = 0; index < instanceCount; index++) {
      const listed = async () =>
        (
          (await call(index, 'GET', '/v1/teams/team-1/audit?type=access.denied&actor=u0&limit=100')).body
            .entries as unknown[]
        ).length;
      for (const deadline = Date.now() + 10_000; (await listed()) !== stored && Date.now() < deadline;)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect({ instance: index, listed: await listed() }).toEqual({ instance: index, listed: stored });
    }

    // Nothing went wrong behind the answers either (a denial that could not be recorded, a projection retrying…); the
    // 503 of a minPosition wait is logged as a problem and is not one of these.
    for (const instance of instances) {
      const errors = instance!
        .output()
        .split('\n')
        .filter((line) => /\b(ERROR|WARN)\b/.test(line) && !/Problem Exception/.test(line));
      expect({ instance: instance!.name, errors }).toEqual({ instance: instance!.name, errors: [] });
    }
    // Each instance's read models equal a fresh replay of the shared store (checked once the instances have stopped).
    // Nest re-raises the signal once its shutdown hooks have run; SIGKILL would mean they hung.
    const stopped = await Promise.all(instances.map((instance) => instance!.stop()));
    for (const outcome of stopped) expect([0, 'SIGTERM']).toContain(outcome);
    for (let index = 0; index < instanceCount; index++) {
      const live = new Database(join(dir, `instance-${index}`, 'read-models.db'), { readonly: true });
      const scratch = openReadModelDatabase(':memory:', { scratch: true });
      try {
        const verified = await verifyReadModels(store!, live, scratch);
        expect({ instance: index, mismatched: verified.mismatched }).toEqual({ instance: index, mismatched: [] });
      } finally {
        live.close();
        scratch.close();
      }
    }
    // A deadline, not a speed bound: on one SQLite file this took 18 to 52 s in CI on a loaded 2-core machine.
  }, 300_000);

  async function changeFeed(index: number, teamId: string) {
    const changes: Array<{
      position: string;
      userId: string;
      projectId: string | null;
      permission: string;
      change: string;
    }> = [];
    let after: string | undefined;
    for (;;) {
      const query = `/v1/changes?teamId=${teamId}&limit=500${after ? `&after=${after}` : ''}`;
      const page = (await call(index, 'GET', query)).body as {
        changes: typeof changes;
        next?: string;
        hasMore: boolean;
      };
      changes.push(
        ...page.changes.map(({ position, userId, projectId, permission, change }) => ({
          position,
          userId,
          projectId,
          permission,
          change,
        })),
      );
      if (!page.hasMore || page.next === undefined) return changes;
      after = page.next;
    }
  }
}

function described(command: SentCommand): string {
  return `${command.method} ${command.path} ${JSON.stringify(command.body ?? null)} (key ${command.key}, instances ${command.attempts.join('→')}: ${command.status ?? 'no answer'} ${JSON.stringify(command.answer ?? null).slice(0, 300)})`;
}
