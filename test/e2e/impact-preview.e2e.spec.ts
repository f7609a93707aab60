/**
 * The impact preview (API.md "Impact preview"): every team command route with `?dryRun=true` answers 200 with the events
 * the command would append and the permissions each user would gain or lose, or the very refusal the command would get,
 * and appends nothing anywhere (team stream, audit stream, idempotency record, global head). Each preview is then compared
 * with what the real command does: its stored events, and the permissions read before and after it.
 */
import { auditStreamId } from '@access-audit/audit';
import { idempotencyStreamId } from '../../apps/api/src/commands/idempotency/idempotency-store';
import type { PersonalData } from '@access-audit/privacy';
import { PERSONAL_DATA } from '../../apps/api/src/privacy/privacy.module';
import { expectProblem, startTestApi, type TestApi, type UserClient } from './support/test-api';

type Method = 'post' | 'put' | 'patch' | 'delete';
interface Change {
  userId: string;
  projectId: string | null;
  permission: string;
  change: 'granted' | 'revoked';
}

const asText = (changes: readonly Change[]): string[] =>
  changes.map((c) => `${c.change} ${c.userId} ${String(c.projectId)} ${c.permission}`).sort();

/** Event data without what the clock or a fresh id gives each run. */
const comparable = (events: ReadonlyArray<{ type: string; data: unknown }>, unstable: readonly string[] = []) =>
  events.map(({ type, data }) => {
    const copy = { ...(data as Record<string, unknown>) };
    for (const key of ['occurredAt', ...unstable]) delete copy[key];
    return { type, data: copy };
  });

describe('impact preview (?dryRun=true) on every command route', () => {
  let api: TestApi;
  let alice: UserClient;
  let dev: UserClient;
  let lastPosition = '';

  /** Everything the store holds that a preview must leave alone. */
  const footprint = async (teamId: string) => ({
    teamRevision: await api.teamRevision(teamId),
    auditRevision: await api.store.streamRevision(auditStreamId(teamId)),
    head: await api.store.headPosition(),
  });

  const send = (client: UserClient, method: Method, path: string, body?: object) => client[method](path, body);

  /** Every effective permission in the team, once the read model holds everything up to the last command. */
  const permissionsOf = async (teamId: string): Promise<Set<string>> => {
    const query = lastPosition ? `?minPosition=${encodeURIComponent(lastPosition)}` : '';
    const response = await alice.get(`/v1/teams/${teamId}/permissions${query}`);
    if (response.status === 404) return new Set();
    expect(response.status).toBe(200);
    return new Set(
      (response.body.permissions as Array<Omit<Change, 'change'>>).map(
        (p) => `${p.userId} ${String(p.projectId)} ${p.permission}`,
      ),
    );
  };

  /**
   * Previews a command, checks nothing was appended, runs it pinned to the previewed revision, and checks the preview
   * told the truth: the same events, and the same permission changes as the read model shows before and after.
   */
  async function previewThenRun(
    teamId: string,
    method: Method,
    path: string,
    body?: object,
    options: { status?: number; unstable?: string[]; client?: UserClient } = {},
  ) {
    const client = options.client ?? alice;
    const before = await permissionsOf(teamId);
    const untouched = await footprint(teamId);
    const preview = await send(client, method, `${path}?dryRun=true`, body);
    expect({ status: preview.status, body: preview.body }).toMatchObject({ status: 200, body: { dryRun: true } });
    expect(preview.headers['etag']).toBe(`"${preview.body.streamRevision as number}"`);
    expect(await footprint(teamId)).toEqual(untouched);
    expect(preview.body.streamRevision).toBe(untouched.teamRevision);

    const real = await send(client, method, path, body).set('If-Match', preview.headers['etag']!);
    expect(real.status).toBe(options.status ?? 200);
    lastPosition = real.body.position as string;
    // Stored sealed; the preview shows what the command decides, in clear: compared opened.
    const appended = await api.app
      .get<PersonalData>(PERSONAL_DATA)
      .reveal((await api.teamEvents(teamId)).slice(untouched.teamRevision + 1));
    expect(comparable(preview.body.events, options.unstable)).toEqual(comparable(appended, options.unstable));

    const after = await permissionsOf(teamId);
    const observed = [
      ...[...before].filter((p) => !after.has(p)).map((p) => `revoked ${p}`),
      ...[...after].filter((p) => !before.has(p)).map((p) => `granted ${p}`),
    ].sort();
    expect(asText(preview.body.permissionChanges)).toEqual(observed);
    return { preview: preview.body as { events: unknown[]; permissionChanges: Change[] }, real };
  }

  /** The preview of a refused command gets the very problem the command gets, and leaves no trace (no denial). */
  async function refusedAlike(client: UserClient, teamId: string, method: Method, path: string, body?: object) {
    const untouched = await footprint(teamId);
    const preview = await send(client, method, `${path}?dryRun=true`, body);
    expect(await footprint(teamId)).toEqual(untouched);
    const real = await send(client, method, path, body);
    expect(preview.status).toBeGreaterThanOrEqual(400);
    expect({ status: preview.status, contentType: preview.headers['content-type'], body: preview.body }).toEqual({
      status: real.status,
      contentType: real.headers['content-type'],
      body: real.body,
    });
    expect(await api.teamRevision(teamId)).toBe(untouched.teamRevision);
    return { preview, untouched };
  }

  beforeAll(async () => {
    api = await startTestApi();
    [alice, dev] = await Promise.all(['alice', 'dev'].map((user) => api.as(user)));
  });
  afterAll(() => api.close());

  describe('teams', () => {
    it('creating a team: the preview grants the creator the owner role; the team does not exist until it runs', async () => {
      const { preview } = await previewThenRun(
        'acme',
        'post',
        '/v1/teams',
        { id: 'acme', name: 'Acme', plan: 'enterprise' },
        { status: 201 },
      );
      expect(preview.permissionChanges.length).toBeGreaterThan(0);
      expect(new Set(preview.permissionChanges.map((c) => `${c.userId} ${c.change}`))).toEqual(
        new Set(['alice granted']),
      );
    });

    it('renaming and changing the plan change no permission', async () => {
      const renamed = await previewThenRun('acme', 'patch', '/v1/teams/acme', { name: 'Acme Inc', reason: 'rebrand' });
      expect(renamed.preview).toMatchObject({ events: [{ type: 'TeamRenamed' }], permissionChanges: [] });
      await previewThenRun('acme', 'put', '/v1/teams/acme/plan', { plan: 'enterprise' });
    });
  });

  describe('members', () => {
    it('add, change role, grant and revoke a group, remove: each preview is what the command does', async () => {
      await alice.post('/v1/teams/acme/projects', { id: 'web', name: 'Web' }).expect(201);
      const added = await previewThenRun(
        'acme',
        'post',
        '/v1/teams/acme/members',
        { userId: 'dev', role: 'developer' },
        { status: 201 },
      );
      expect(added.preview.permissionChanges.some((c) => c.userId === 'dev' && c.projectId === 'web')).toBe(true);
      await previewThenRun(
        'acme',
        'post',
        '/v1/teams/acme/members',
        { userId: 'bob', role: 'member' },
        { status: 201 },
      );
      const promoted = await previewThenRun('acme', 'put', '/v1/teams/acme/members/bob/role', { role: 'owner' });
      expect(promoted.preview.permissionChanges.every((c) => c.userId === 'bob')).toBe(true);
      await previewThenRun('acme', 'put', '/v1/teams/acme/members/bob/role', { role: 'member' });
      const granted = await previewThenRun(
        'acme',
        'put',
        '/v1/teams/acme/members/dev/permission-groups/full_production_deployment',
        { reason: 'on call' },
      );
      expect(granted.preview.permissionChanges.length).toBeGreaterThan(0);
      expect(granted.preview.permissionChanges.every((c) => c.change === 'granted')).toBe(true);
      await previewThenRun('acme', 'delete', '/v1/teams/acme/members/dev/permission-groups/full_production_deployment');
      const removed = await previewThenRun('acme', 'delete', '/v1/teams/acme/members/bob');
      expect(removed.preview.permissionChanges.every((c) => c.userId === 'bob' && c.change === 'revoked')).toBe(true);
    });

    it('a refused preview is the same 403 naming the permission, and records no denial (the command does)', async () => {
      const { untouched } = await refusedAlike(dev, 'acme', 'put', '/v1/teams/acme/members/dev/role', {
        role: 'owner',
      });
      const refused = await dev.put('/v1/teams/acme/members/dev/role?dryRun=true', { role: 'owner' });
      expectProblem(refused, 403, { permission: 'team.members.roles.manage' });
      // The real attempt in refusedAlike left its denial record: the footprint check can see one.
      expect(await api.store.streamRevision(auditStreamId('acme'))).toBeGreaterThan(untouched.auditRevision);
    });

    it('the same 422 naming the policy rule (the last owner cannot step down)', async () => {
      await refusedAlike(alice, 'acme', 'put', '/v1/teams/acme/members/alice/role', { role: 'member' });
      expectProblem(await alice.put('/v1/teams/acme/members/alice/role?dryRun=true', { role: 'member' }), 422, {
        rule: 'team.at-least-one-owner',
      });
    });

    it('the same 409 for a stale If-Match, and for a taken id', async () => {
      const revision = await api.teamRevision('acme');
      const stale = await alice
        .post('/v1/teams/acme/members?dryRun=true', { userId: 'zed', role: 'member' })
        .set('If-Match', `"${revision - 1}"`);
      const real = await alice
        .post('/v1/teams/acme/members', { userId: 'zed', role: 'member' })
        .set('If-Match', `"${revision - 1}"`);
      expectProblem(stale, 409, { currentRevision: revision });
      expect(stale.body).toEqual(real.body);
      await refusedAlike(alice, 'acme', 'post', '/v1/teams/acme/projects', { id: 'web', name: 'Again' });
      expectProblem(await alice.post('/v1/teams/acme/projects?dryRun=true', { id: 'web', name: 'Again' }), 409, {
        rule: 'project.id-free',
      });
    });
  });

  describe('projects', () => {
    it('create, assign and revoke a contributor role, delete (with its cascade)', async () => {
      await previewThenRun('acme', 'post', '/v1/teams/acme/projects', { id: 'api', name: 'API' }, { status: 201 });
      await alice.post('/v1/teams/acme/members', { userId: 'cole', role: 'contributor' }).expect(201);
      const assigned = await previewThenRun('acme', 'put', '/v1/teams/acme/projects/api/members/cole', {
        role: 'project_developer',
      });
      expect(assigned.preview.permissionChanges.every((c) => c.userId === 'cole' && c.projectId === 'api')).toBe(true);
      await previewThenRun('acme', 'delete', '/v1/teams/acme/projects/api/members/cole');
      await alice.put('/v1/teams/acme/projects/api/members/cole', { role: 'project_viewer' }).expect(200);
      const deleted = await previewThenRun('acme', 'delete', '/v1/teams/acme/projects/api', { reason: 'sunset' });
      expect(deleted.preview.events.length).toBeGreaterThan(1);
      expect(deleted.preview.permissionChanges.some((c) => c.userId === 'cole')).toBe(true);
    });

    it('one who may run a command but not read the team (a contributor project admin) gets 403 team.view for its preview', async () => {
      await alice.post('/v1/teams/acme/members', { userId: 'pat', role: 'contributor' }).expect(201);
      await alice.put('/v1/teams/acme/projects/web/members/pat', { role: 'project_admin' }).expect(200);
      await alice.post('/v1/teams/acme/members', { userId: 'quinn', role: 'contributor' }).expect(201);
      const pat = await api.as('pat');
      expectProblem(await pat.get('/v1/teams/acme/permissions'), 403, { permission: 'team.view' });
      const untouched = await footprint('acme');
      const preview = await pat.put('/v1/teams/acme/projects/web/members/quinn?dryRun=true', {
        role: 'project_viewer',
      });
      expectProblem(preview, 403, { permission: 'team.view' });
      expect(preview.body).not.toHaveProperty('events');
      expect(preview.body).not.toHaveProperty('permissionChanges');
      expect(await footprint('acme')).toEqual(untouched);
      await pat.put('/v1/teams/acme/projects/web/members/quinn', { role: 'project_viewer' }).expect(200);
    });
  });

  describe('project security', () => {
    it('settings and bypass tokens: events with before and after, no permission change', async () => {
      const changed = await previewThenRun('acme', 'patch', '/v1/teams/acme/projects/web/security', {
        firewall: { enabled: true },
        ipBlocks: { add: ['10.0.0.0/8'] },
      });
      expect(changed.preview).toMatchObject({ permissionChanges: [] });
      expect(changed.preview.events).toHaveLength(2);
      await previewThenRun(
        'acme',
        'post',
        '/v1/teams/acme/projects/web/security/bypass-tokens',
        { tokenId: 'tok1', fingerprint: 'sha256:abc' },
        { status: 201 },
      );
      await previewThenRun('acme', 'delete', '/v1/teams/acme/projects/web/security/bypass-tokens/tok1');
    });
  });

  describe('directory sync', () => {
    it('connecting previews no token: none in the answer, no hash of one in its events', async () => {
      const untouched = await footprint('acme');
      const preview = await alice.put('/v1/teams/acme/directory-sync?dryRun=true', { name: 'Okta' }).expect(200);
      expect(await footprint('acme')).toEqual(untouched);
      expect(preview.body).not.toHaveProperty('token');
      expect(JSON.stringify(preview.body)).not.toMatch(/scim_|[0-9a-f]{64}/);
      expect(preview.body.events).toEqual([
        {
          type: 'DirectoryConnected',
          data: expect.objectContaining({
            tokenHash: 'not-minted-in-a-preview',
            after: expect.objectContaining({ name: 'Okta' }),
          }),
        },
      ]);
      // Idempotency-Key is refused on the connect route (its answer holds a secret), but a preview stores nothing.
      await alice
        .put('/v1/teams/acme/directory-sync?dryRun=true', { name: 'Okta' })
        .set('Idempotency-Key', 'connect-1')
        .expect(200);
      const connected = await alice.put('/v1/teams/acme/directory-sync', { name: 'Okta' }).expect(200);
      const stored = (await api.teamEvents('acme')).slice(untouched.teamRevision + 1);
      // The directory id is drawn when the command runs; everything else is what the preview said.
      const withoutIds = (events: ReadonlyArray<{ type: string; data: unknown }>) =>
        JSON.parse(JSON.stringify(comparable(events, ['tokenHash'])).replace(/dir_[0-9a-f-]{36}/g, 'dir_…')) as unknown;
      expect(withoutIds(preview.body.events)).toEqual(withoutIds(stored));
      expect(connected.body.token).toMatch(/^scim_/);
      lastPosition = connected.body.position as string;
    });

    it('a rotation previews the directory it keeps; disconnecting previews its event', async () => {
      const rotation = await alice.put('/v1/teams/acme/directory-sync?dryRun=true', { name: 'Okta 2' }).expect(200);
      const directoryId = (await api.teamEvents('acme')).at(-1)!.data as { directoryId: string };
      expect(rotation.body.events).toEqual([
        {
          type: 'DirectoryTokenRotated',
          data: expect.objectContaining({ directoryId: directoryId.directoryId, tokenHash: 'not-minted-in-a-preview' }),
        },
      ]);
      await previewThenRun('acme', 'delete', '/v1/teams/acme/directory-sync');
      await refusedAlike(alice, 'acme', 'delete', '/v1/teams/acme/directory-sync');
    });
  });

  describe('Idempotency-Key and the query', () => {
    it('a preview with a key records nothing: the real command with that key runs, and only then is replayed', async () => {
      const key = 'add-erin-1';
      const body = { userId: 'erin', role: 'member' };
      await alice.post('/v1/teams/acme/members?dryRun=true', body).set('Idempotency-Key', key).expect(200);
      expect(await api.store.streamRevision(idempotencyStreamId('alice', key))).toBe(-1);
      const first = await alice.post('/v1/teams/acme/members', body).set('Idempotency-Key', key).expect(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const again = await alice.post('/v1/teams/acme/members', body).set('Idempotency-Key', key).expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      // A preview after the command decides on today's state (erin is a member), never replays the stored answer.
      expectProblem(await alice.post('/v1/teams/acme/members?dryRun=true', body).set('Idempotency-Key', key), 422, {
        rule: 'member.not-already-in-team',
      });
    });

    it('dryRun=false is the command itself', async () => {
      const revision = await api.teamRevision('acme');
      const done = await alice.put('/v1/teams/acme/members/erin/role?dryRun=false', { role: 'developer' }).expect(200);
      expect(done.body.streamRevision).toBe(revision + 1);
    });

    it.each([
      ['dryRun=1', 'dryRun', 'isBooleanString'],
      ['dryRun=', 'dryRun', 'isBooleanString'],
      ['dryRun=true&dryRun=true', 'dryRun', 'isBooleanString'],
      ['foo=1', 'foo', 'whitelistValidation'],
      ['dryRun=true&__proto__=1', '__proto__', 'whitelistValidation'],
    ])('?%s is 400 naming %s (%s), and nothing is decided or appended', async (query, field, rule) => {
      const untouched = await footprint('acme');
      const refused = await alice.delete(`/v1/teams/acme/members/erin?${query}`);
      expectProblem(refused, 400, { errors: [expect.objectContaining({ field, rule })] });
      expect(await footprint('acme')).toEqual(untouched);
    });
  });

  describe('access-review campaigns (their own aggregate)', () => {
    it('dryRun=true is 400 naming dryRun (previewNotAvailable); nothing is opened', async () => {
      const untouched = await footprint('acme');
      const refused = await alice.post('/v1/teams/acme/access-reviews?dryRun=true', {
        name: 'Q1',
        reviewerIds: ['alice'],
        dueAt: '2099-01-01T00:00:00Z',
      });
      expectProblem(refused, 400, {
        errors: [expect.objectContaining({ field: 'dryRun', rule: 'previewNotAvailable' })],
      });
      expect(await footprint('acme')).toEqual(untouched);
      await alice
        .post('/v1/teams/acme/access-reviews?dryRun=false', {
          name: 'Q1',
          reviewerIds: ['alice'],
          dueAt: '2099-01-01T00:00:00Z',
        })
        .expect(201);
    });
  });
});
