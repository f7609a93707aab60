/** GET /v1/teams: the teams the caller can read, from the memberships-by-user read model, paged, rebuilt on replay. */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { teamStreamId } from '@access-audit/domain';
import { expectProblem, startTestApi, type TestApi, type UserClient } from './support/test-api';

interface Listed {
  id: string;
  name: string;
  plan: string;
  role: string | null;
  quarantined?: boolean;
}

async function everyPage(client: UserClient, limit: number, query = ''): Promise<{ teams: Listed[]; pages: number }> {
  const teams: Listed[] = [];
  let cursor: string | null | undefined;
  let pages = 0;
  do {
    const path = `/v1/teams?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}${query}`;
    const page = await client.get(path).expect(200);
    expect(page.body.teams.length).toBeLessThanOrEqual(limit);
    teams.push(...(page.body.teams as Listed[]));
    cursor = page.body.nextCursor as string | null;
    pages++;
  } while (cursor);
  return { teams, pages };
}

// Ids named after built-in properties (`__proto__` is no id: ids start with a letter or digit).
const builtInTeamIds = ['constructor', 'hasOwnProperty', 'toString', 'valueOf'];

describe('GET /v1/teams (e2e)', () => {
  let api: TestApi;
  let alice: UserClient;
  let bob: UserClient;
  let last: string;
  let closed = false;

  beforeAll(async () => {
    api = await startTestApi();
    alice = await api.as('alice');
    bob = await api.as('bob');
    for (const id of ['acme', ...builtInTeamIds]) {
      await alice.post('/v1/teams', { id, name: `Team <b>${id}</b>`, plan: 'enterprise' }).expect(201);
    }
    await bob.post('/v1/teams', { id: 'bobco', name: 'Bob Co', plan: 'pro' }).expect(201);
    await alice.post('/v1/teams/acme/members', { userId: 'bob', role: 'enterprise_viewer' }).expect(201);
    // A developer holds neither team.view nor team.audit.view: constructor is not bob's to read.
    await alice.post('/v1/teams/constructor/members', { userId: 'bob', role: 'developer' }).expect(201);
    last = (await alice.post('/v1/teams/valueOf/members', { userId: 'bob', role: 'security' }).expect(201)).body
      .position as string;
  });
  afterAll(async () => {
    if (!closed) await api.close();
  });

  it('lists the caller’s readable teams in id order with name, plan and their role, X-Position set', async () => {
    const answer = await bob.get(`/v1/teams?minPosition=${encodeURIComponent(last)}`).expect(200);
    expect(answer.headers['x-position']).toBe(last);
    expect(answer.body).toEqual({
      teams: [
        { id: 'acme', name: 'Team <b>acme</b>', plan: 'enterprise', role: 'enterprise_viewer' },
        { id: 'bobco', name: 'Bob Co', plan: 'pro', role: 'owner' },
        { id: 'valueOf', name: 'Team <b>valueOf</b>', plan: 'enterprise', role: 'security' },
      ],
      nextCursor: null,
    });
    const stranger = await (await api.as('carol')).get('/v1/teams').expect(200);
    expect(stranger.body).toEqual({ teams: [], nextCursor: null });
  });

  it('pages with cursor and limit: every team once, none repeated, the last page says so', async () => {
    const { teams, pages } = await everyPage(alice, 2);
    expect(teams.map((t) => t.id)).toEqual(['acme', ...builtInTeamIds].sort());
    expect(pages).toBe(3);
    expect(teams.every((t) => t.role === 'owner')).toBe(true);
    // Bob's unreadable team in the middle is read past: a full page, then the rest.
    const bobs = await everyPage(bob, 1);
    expect(bobs.teams.map((t) => t.id)).toEqual(['acme', 'bobco', 'valueOf']);
  });

  it('follows a role change and a removal at once (minPosition)', async () => {
    const changed = await alice.put('/v1/teams/constructor/members/bob/role', { role: 'member' }).expect(200);
    const now = await bob.get(`/v1/teams?minPosition=${encodeURIComponent(changed.body.position)}`).expect(200);
    expect(now.body.teams.map((t: Listed) => `${t.id}:${t.role}`)).toEqual([
      'acme:enterprise_viewer',
      'bobco:owner',
      'constructor:member',
      'valueOf:security',
    ]);
    const removed = await alice.delete('/v1/teams/constructor/members/bob').expect(200);
    const after = await bob.get(`/v1/teams?minPosition=${encodeURIComponent(removed.body.position)}`).expect(200);
    expect(after.body.teams.map((t: Listed) => t.id)).toEqual(['acme', 'bobco', 'valueOf']);
  });

  it('a machine reader (access:read) sees every team, its role null where it is no member', async () => {
    const reader = await api.as('auditor-bot', { scopes: ['access:read'] });
    const { teams } = await everyPage(reader, 3);
    expect(teams.map((t) => t.id)).toEqual(['acme', 'bobco', ...builtInTeamIds].sort());
    expect(teams.every((t) => t.role === null)).toBe(true);
  });

  it('refuses a cursor it did not hand out and a limit out of range (400, naming the field)', async () => {
    expectProblem(await alice.get('/v1/teams?cursor=not-a-cursor'), 400, {
      errors: [expect.objectContaining({ field: 'cursor', rule: 'isCursor' })],
    });
    expectProblem(await alice.get('/v1/teams?limit=0'), 400, {
      errors: [expect.objectContaining({ field: 'limit' })],
    });
    expectProblem(await api.http().get('/v1/teams'), 401);
  });

  it('lists a quarantined team as it last was, marked quarantined, where its own queries answer 503', async () => {
    await bob.post('/v1/teams', { id: 'evil', name: 'Evil', plan: 'enterprise' }).expect(201);
    // A MemberAdded the domain cannot fold (no `after`, no `occurredAt`), put straight into the store.
    await api.store.append(
      teamStreamId('evil'),
      [{ id: randomUUID(), type: 'MemberAdded', data: { teamId: 'evil', userId: 'mallory' } }],
      'any',
    );
    const head = (await api.store.headPosition())!;
    const listed = await bob.get(`/v1/teams?minPosition=${encodeURIComponent(head)}`).expect(200);
    expect(listed.body.teams).toContainEqual({
      id: 'evil',
      name: 'Evil',
      plan: 'enterprise',
      role: 'owner',
      quarantined: true,
    });
    expectProblem(await bob.get('/v1/teams/evil'), 503, { teamId: 'evil' });
    expect((await (await api.as('mallory')).get('/v1/teams').expect(200)).body.teams).toEqual([]);
  });

  it('is the same after the read models are rebuilt from the log', async () => {
    const before = (await everyPage(bob, 100)).teams;
    const everyTeam = (await everyPage(await api.as('auditor-bot', { scopes: ['access:read'] }), 100)).teams;
    const dataDir = api.config.dataDir;
    await api.close({ keepData: true });
    closed = true;
    rmSync(join(dataDir, 'read-models.db'), { force: true });
    for (const suffix of ['-wal', '-shm']) rmSync(join(dataDir, `read-models.db${suffix}`), { force: true });
    api = await startTestApi({ dataDir });
    closed = false;
    const head = (await api.store.headPosition())!;
    const rebuilt = await (await api.as('bob')).get(`/v1/teams?minPosition=${encodeURIComponent(head)}`).expect(200);
    expect(rebuilt.body.teams).toEqual(before);
    const reader = await api.as('auditor-bot', { scopes: ['access:read'] });
    expect((await everyPage(reader, 100)).teams).toEqual(everyTeam);
    await api.close();
    closed = true;
    rmSync(dataDir, { recursive: true, force: true });
  });
});
