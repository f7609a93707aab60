/**
 * The HTTP surface of commands (API.md "Commands", "Errors", "Operations"): authentication, validation, problem+json,
 * request context in event metadata, security settings, every command route, health, metrics and OpenAPI.
 */
import { SignJWT } from 'jose';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Response } from 'supertest';
import type { PersonalData } from '@access-audit/privacy';
import { PERSONAL_DATA } from '../../apps/api/src/privacy/privacy.module';
import { expectProblem, startTestApi, type TestApi, type UserClient } from './support/test-api';

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('command API over HTTP', () => {
  let api: TestApi;
  let alice: UserClient;
  let secret: string;

  beforeAll(async () => {
    api = await startTestApi();
    alice = await api.as('alice');
    secret = readFileSync(join(api.config.dataDir, 'jwt-secret'), 'utf8').trim();
    await alice.post('/v1/teams', { id: 'acme', name: 'Acme', plan: 'enterprise' }).expect(201);
    await alice.post('/v1/teams/acme/projects', { id: 'web', name: 'Website' }).expect(201);
  });
  afterAll(() => api.close());

  describe('authentication (401, problem+json, nothing appended)', () => {
    const addMemberWith = (authorization: string | undefined) => {
      const test = api.http().post('/v1/teams/acme/members').send({ userId: 'intruder', role: 'owner' });
      return authorization === undefined ? test : test.set('Authorization', authorization);
    };

    const cases: Array<[string, () => Promise<string | undefined>, RegExp]> = [
      ['no Authorization header', async () => undefined, /Authorization: Bearer/],
      ['another scheme', async () => `Basic ${Buffer.from('alice:pw').toString('base64')}`, /Bearer <JWT>/],
      ['a malformed token', async () => 'Bearer not-a-jwt', /malformed/],
      [
        'an unsigned token (alg: none)',
        async () =>
          `Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 3600 })}.`,
        /algorithm is not accepted/,
      ],
      [
        'an expired token',
        async () =>
          `Bearer ${await new SignJWT({})
            .setProtectedHeader({ alg: 'HS256' })
            .setSubject('alice')
            .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
            .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
            .sign(new TextEncoder().encode(secret))}`,
        /expired/,
      ],
      [
        'a token signed with another secret',
        async () =>
          `Bearer ${await new SignJWT({})
            .setProtectedHeader({ alg: 'HS256' })
            .setSubject('alice')
            .setExpirationTime('1h')
            .sign(new TextEncoder().encode('x'.repeat(48)))}`,
        /signature/,
      ],
      [
        'a token signed with another algorithm (HS512)',
        async () =>
          `Bearer ${await new SignJWT({})
            .setProtectedHeader({ alg: 'HS512' })
            .setSubject('alice')
            .setExpirationTime('1h')
            .sign(new TextEncoder().encode(secret))}`,
        /algorithm is not accepted/,
      ],
      [
        'a token without exp',
        async () =>
          `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').sign(new TextEncoder().encode(secret))}`,
        /"exp"/,
      ],
      [
        'a token whose sub is not a user id',
        async () =>
          `Bearer ${await new SignJWT({})
            .setProtectedHeader({ alg: 'HS256' })
            .setSubject('alice smith/../admin')
            .setExpirationTime('1h')
            .sign(new TextEncoder().encode(secret))}`,
        /"sub"/,
      ],
    ];

    it.each(cases)('refuses %s', async (_name, authorization, detail) => {
      const header = await authorization();
      const response = await api.expectNothingAppended('acme', () => addMemberWith(header));
      const problem = expectProblem(response, 401, { detail: expect.stringMatching(detail) });
      expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="access-audit"/);
      const token = header?.split(' ')[1];
      if (token) expect(JSON.stringify(problem)).not.toContain(token);
    });

    it('an access:read token is a machine reader: every command is 403 command.issue', async () => {
      const reader = await api.as('alice', { scopes: ['access:read'] });
      const member = await api.expectNothingAppended('acme', () =>
        reader.post('/v1/teams/acme/members', { userId: 'r2', role: 'member' }),
      );
      expectProblem(member, 403, { permission: 'command.issue' });
      const create = await reader.post('/v1/teams', { id: 'reader-team', name: 'R', plan: 'pro' });
      expectProblem(create, 403, { permission: 'command.issue' });
      expect(await api.teamRevision('reader-team')).toBe(-1);
    });

    it("the actor is the token's sub, never a body field", async () => {
      const response = await api.expectNothingAppended('acme', () =>
        alice.post('/v1/teams/acme/members', { userId: 'x', role: 'member', actorId: 'mallory' }),
      );
      expectProblem(response, 400, {
        errors: [expect.objectContaining({ field: 'actorId', rule: 'whitelistValidation' })],
      });
    });

    it('the generated HS256 secret is in DATA_DIR with mode 0600, the folder 0700', () => {
      expect(statSync(join(api.config.dataDir, 'jwt-secret')).mode & 0o777).toBe(0o600);
      expect(statSync(api.config.dataDir).mode & 0o777).toBe(0o700);
    });
  });

  describe('validation (400 with errors[]: field, rule, message; nothing appended)', () => {
    const refuse = async (send: () => PromiseLike<Response>, errors: object[]) => {
      const response = await api.expectNothingAppended('acme', send);
      expectProblem(response, 400, { errors: expect.arrayContaining(errors.map((e) => expect.objectContaining(e))) });
      return response;
    };

    it('names missing and unknown fields', async () => {
      await refuse(
        () => alice.post('/v1/teams/acme/members', { role: 'member', nickname: 'x' }),
        [
          { field: 'userId', rule: 'isString' },
          { field: 'nickname', rule: 'whitelistValidation' },
        ],
      );
    });

    it('names enum, length and id-pattern failures', async () => {
      await refuse(
        () => alice.post('/v1/teams/acme/members', { userId: 'a b', role: 'admin', reason: 'r'.repeat(501) }),
        [
          { field: 'userId', rule: 'matches' },
          { field: 'role', rule: 'isIn' },
          { field: 'reason', rule: 'maxLength' },
        ],
      );
      await refuse(
        () => alice.post('/v1/teams', { id: 'x'.repeat(129), name: 'n', plan: 'gold' }),
        [
          { field: 'id', rule: 'maxLength' },
          { field: 'plan', rule: 'isIn' },
        ],
      );
    });

    it('validates path parameters', async () => {
      await refuse(
        () => alice.put('/v1/teams/acme/members/bob/permission-groups/root'),
        [{ field: 'group', rule: 'isIn' }],
      );
    });

    it('names nested fields with their path', async () => {
      await refuse(
        () =>
          alice.patch('/v1/teams/acme/projects/web/security', {
            firewall: { enabled: 'yes' },
            rateLimitRules: { set: [{ id: 'r1', path: '/api', limit: 'many', windowSeconds: 60 }] },
          }),
        [
          { field: 'firewall.enabled', rule: 'isBoolean' },
          { field: 'rateLimitRules.set[0].limit', rule: 'isInt' },
        ],
      );
    });

    it('refuses a password or token value anywhere, without echoing it', async () => {
      const password = await refuse(
        () =>
          alice.patch('/v1/teams/acme/projects/web/security', {
            deploymentProtection: { passwordProtection: { enabled: true, password: 'hunter2-secret' } },
          }),
        [{ field: 'deploymentProtection.passwordProtection.password', rule: 'whitelistValidation' }],
      );
      expect(password.text).not.toContain('hunter2-secret');
      const token = await refuse(
        () =>
          alice.post('/v1/teams/acme/projects/web/security/bypass-tokens', {
            tokenId: 'tok_1',
            token: 'bypass-secret-value',
          }),
        [{ field: 'token', rule: 'whitelistValidation' }],
      );
      expect(token.text).not.toContain('bypass-secret-value');
    });

    it("the domain's own value checks come back as 400 with the policy rule (invalid CIDR)", async () => {
      await refuse(
        () => alice.patch('/v1/teams/acme/projects/web/security', { ipBlocks: { add: ['10.0.0.300/8'] } }),
        [{ field: 'ipBlocks.add[0]', rule: 'security.ip-block.valid-cidr' }],
      );
    });

    it('refuses a malformed If-Match or Idempotency-Key', async () => {
      await refuse(
        () => alice.put('/v1/teams/acme/plan', { plan: 'enterprise' }).set('If-Match', 'yesterday'),
        [{ field: 'If-Match' }],
      );
      await refuse(
        () => alice.put('/v1/teams/acme/plan', { plan: 'enterprise' }).set('Idempotency-Key', 'k'.repeat(256)),
        [{ field: 'Idempotency-Key' }],
      );
    });

    it('refuses bodies that are not JSON (400/415) or too large (413)', async () => {
      const token = await api.token('alice');
      const send = (contentType: string, body: string) =>
        api
          .http()
          .post('/v1/teams/acme/members')
          .set('Authorization', `Bearer ${token}`)
          .set('Content-Type', contentType)
          .send(body);
      expectProblem(
        await api.expectNothingAppended('acme', () => send('application/json', '{"userId": "hunter2-secret",')),
        400,
      );
      expectProblem(await api.expectNothingAppended('acme', () => send('text/plain', 'userId=bob')), 415);
      expectProblem(
        await api.expectNothingAppended('acme', () =>
          send('application/x-www-form-urlencoded', 'userId=form-bob&role=member'),
        ),
        415,
      );
      const big = JSON.stringify({ userId: 'bob', role: 'member', reason: 'x'.repeat(70 * 1024) });
      expectProblem(await api.expectNothingAppended('acme', () => send('application/json', big)), 413);
    });
  });

  describe('errors from the domain and the router', () => {
    it('unknown team: 404 team.exists; unknown member: 404 member.in-team; unknown route: 404', async () => {
      const unknownTeam = await api.expectNothingAppended('nope', () =>
        alice.post('/v1/teams/nope/members', { userId: 'bob', role: 'member' }),
      );
      expectProblem(unknownTeam, 404, { rule: 'team.exists' });
      expect(await api.teamRevision('nope')).toBe(-1);
      expectProblem(await api.expectNothingAppended('acme', () => alice.delete('/v1/teams/acme/members/ghost')), 404, {
        rule: 'member.in-team',
      });
      expectProblem(await alice.get('/v1/nowhere'), 404);
    });

    it('an empty security change from someone outside the team: 403 project.view, not a 200 that reveals the revision', async () => {
      const outsider = await api.as('outsider');
      const response = await api.expectNothingAppended('acme', () =>
        outsider.patch('/v1/teams/acme/projects/web/security', {}),
      );
      expectProblem(response, 403, { permission: 'project.view', projectId: 'web' });
      expect(response.body).not.toHaveProperty('streamRevision');
    });

    it('an id already taken: 409 with the rule', async () => {
      expectProblem(
        await api.expectNothingAppended('acme', () =>
          alice.post('/v1/teams', { id: 'acme', name: 'Again', plan: 'pro' }),
        ),
        409,
        {
          rule: 'team.id-free',
        },
      );
    });

    it('a plan change that would strand grants: 422 plan.change-conflict with the conflicts', async () => {
      await alice.post('/v1/teams/acme/members', { userId: 'devi', role: 'developer' }).expect(201);
      const response = await api.expectNothingAppended('acme', () => alice.put('/v1/teams/acme/plan', { plan: 'pro' }));
      expectProblem(response, 422, {
        rule: 'plan.change-conflict',
        conflicts: expect.arrayContaining([expect.objectContaining({ userId: 'devi' })]),
      });
    });
  });

  describe('request context and answers', () => {
    it('records actor, correlation id and request context in event metadata and echoes X-Request-Id', async () => {
      const response = await alice
        .post('/v1/teams/acme/members', { userId: 'rex', role: 'member', reason: 'joins the platform team' })
        .set('X-Request-Id', 'req-42')
        .set('User-Agent', 'e2e-suite/1')
        .expect(201);
      expect(response.headers['x-request-id']).toBe('req-42');
      expect(response.body).toEqual({
        position: expect.any(String),
        streamRevision: expect.any(Number),
        events: [{ id: expect.any(String), type: 'MemberAdded' }],
      });
      const [stored] = (await api.teamEvents('acme')).slice(-1);
      // Stored sealed (reason, IP, user agent); opened, the same request context.
      expect(stored!.metadata.requestContext?.ip).toMatchObject({ $sealed: 1, subjects: ['alice'] });
      const event = await api.app.get<PersonalData>(PERSONAL_DATA).reveal(stored);
      expect(event).toMatchObject({
        id: response.body.events[0].id,
        position: response.body.position,
        revision: response.body.streamRevision,
        data: { userId: 'rex', actorId: 'alice', reason: 'joins the platform team' },
        metadata: {
          actorId: 'alice',
          correlationId: 'req-42',
          causationId: 'req-42',
          requestContext: { requestId: 'req-42', userAgent: 'e2e-suite/1', ip: '127.0.0.1' },
        },
      });
    });

    it('replaces an unusable X-Request-Id with a UUID', async () => {
      const response = await api.http().get('/healthz').set('X-Request-Id', 'has spaces and is\tbad');
      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('creates a team with a generated id, the caller as its first owner', async () => {
      const response = await alice.post('/v1/teams', { name: 'Generated', plan: 'hobby' }).expect(201);
      expect(response.body.teamId).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers['etag']).toBe('"0"');
      const [created] = await api.teamEvents(response.body.teamId);
      expect(created).toMatchObject({ type: 'TeamCreated', data: { ownerId: 'alice', plan: 'hobby' } });
    });

    it('accepts viewer as enterprise_viewer', async () => {
      await alice.post('/v1/teams/acme/members', { userId: 'vera', role: 'viewer' }).expect(201);
      const [event] = (await api.teamEvents('acme')).slice(-1);
      expect(event!.data).toMatchObject({ userId: 'vera', after: { role: 'enterprise_viewer' } });
    });

    it('a command that changes nothing appends nothing and answers 200 with no events', async () => {
      const before = await api.teamRevision('acme');
      const response = await alice.put('/v1/teams/acme/members/vera/role', { role: 'enterprise_viewer' }).expect(200);
      expect(response.body).toMatchObject({ streamRevision: before, events: [] });
      expect(await api.teamRevision('acme')).toBe(before);
    });
  });

  describe('every command route', () => {
    const types = (response: { body: { events: Array<{ type: string }> } }) => response.body.events.map((e) => e.type);

    it('security settings: one event per changed setting, in the documented order', async () => {
      const response = await alice
        .patch('/v1/teams/acme/projects/web/security', {
          firewall: { enabled: true },
          ipBlocks: { add: ['203.0.113.0/24'] },
          rateLimitRules: { set: [{ id: 'burst', path: '/api/*', limit: 100, windowSeconds: 60 }] },
          deploymentProtection: { vercelAuthentication: 'all', passwordProtection: { enabled: true, rotated: true } },
          reason: 'launch hardening',
        })
        .expect(200);
      expect(types(response)).toEqual([
        'FirewallChanged',
        'IpBlockAdded',
        'RateLimitRuleSet',
        'VercelAuthenticationChanged',
        'PasswordProtectionChanged',
        'PasswordRotated',
      ]);
      const undo = await alice
        .patch('/v1/teams/acme/projects/web/security', {
          ipBlocks: { remove: ['203.0.113.0/24'] },
          rateLimitRules: { remove: ['burst'] },
        })
        .expect(200);
      expect(types(undo)).toEqual(['IpBlockRemoved', 'RateLimitRuleRemoved']);
    });

    it('bypass tokens: recorded by id and fingerprint, then revoked', async () => {
      const recorded = await alice
        .post('/v1/teams/acme/projects/web/security/bypass-tokens', {
          tokenId: 'tok_ci',
          fingerprint: 'sha256:ab12',
          note: 'CI',
        })
        .expect(201);
      expect(types(recorded)).toEqual(['BypassTokenRecorded']);
      const twice = await api.expectNothingAppended('acme', () =>
        alice.post('/v1/teams/acme/projects/web/security/bypass-tokens', { tokenId: 'tok_ci' }),
      );
      expectProblem(twice, 422, { rule: 'security.bypass-token.absent' });
      expect(
        types(await alice.delete('/v1/teams/acme/projects/web/security/bypass-tokens/tok_ci').expect(200)),
      ).toEqual(['BypassTokenRevoked']);
    });

    it('bodiless routes take a JSON Content-Type with no body; a POST with no body still names its missing fields', async () => {
      await alice.post('/v1/teams/acme/members', { userId: 'jay', role: 'developer' }).expect(201);
      const granted = await alice
        .put('/v1/teams/acme/members/jay/permission-groups/create_project')
        .set('Content-Type', 'application/json')
        .expect(200);
      expect(types(granted)).toEqual(['PermissionGroupGranted']);
      const removed = await alice
        .delete('/v1/teams/acme/members/jay')
        .set('Content-Type', 'application/json')
        .expect(200);
      expect(types(removed)).toEqual(['MemberRemoved', 'PermissionGroupRevoked']);
      const empty = await api.expectNothingAppended('acme', () =>
        alice.post('/v1/teams/acme/members').set('Content-Type', 'application/json'),
      );
      expectProblem(empty, 400, { errors: expect.arrayContaining([expect.objectContaining({ field: 'userId' })]) });
    });

    it('permission groups, project roles, project deletion, member removal and renaming', async () => {
      await alice.post('/v1/teams/acme/members', { userId: 'gus', role: 'developer' }).expect(201);
      expect(types(await alice.put('/v1/teams/acme/members/gus/permission-groups/create_project').expect(200))).toEqual(
        ['PermissionGroupGranted'],
      );
      expectProblem(
        await api.expectNothingAppended('acme', () =>
          alice.put('/v1/teams/acme/members/alice/permission-groups/create_project'),
        ),
        422,
        { rule: 'permission-group.not-already-included' },
      );
      expect(
        types(await alice.delete('/v1/teams/acme/members/gus/permission-groups/create_project').expect(200)),
      ).toEqual(['PermissionGroupRevoked']);

      const project = await alice.post('/v1/teams/acme/projects', { name: 'Docs' }).expect(201);
      const projectId: string = project.body.projectId;
      expect(projectId).toMatch(/^[0-9a-f-]{36}$/);
      await alice.post('/v1/teams/acme/members', { userId: 'cora', role: 'contributor' }).expect(201);
      await alice.put(`/v1/teams/acme/projects/${projectId}/members/cora`, { role: 'project_viewer' }).expect(200);
      expect(types(await alice.delete(`/v1/teams/acme/projects/${projectId}/members/cora`).expect(200))).toEqual([
        'ProjectRoleRevoked',
      ]);
      await alice.put(`/v1/teams/acme/projects/${projectId}/members/cora`, { role: 'project_admin' }).expect(200);
      expect(
        types(await alice.delete(`/v1/teams/acme/projects/${projectId}`, { reason: 'retired' }).expect(200)),
      ).toEqual(['ProjectDeleted', 'ProjectRoleRevoked']);

      expect(types(await alice.delete('/v1/teams/acme/members/gus').expect(200))).toEqual(['MemberRemoved']);
      expect(types(await alice.patch('/v1/teams/acme', { name: 'Acme Corporation' }).expect(200))).toEqual([
        'TeamRenamed',
      ]);
    });
  });

  describe('operations', () => {
    it('/healthz and /readyz need no token', async () => {
      await api.http().get('/healthz').expect(200, { status: 'ok' });
      const ready = await api.http().get('/readyz').expect(200);
      expect(ready.body).toEqual({
        status: 'ready',
        checks: expect.arrayContaining([{ name: 'event-store', ready: true }]),
      });
    });

    it('/metrics has request latency, commands by type and outcome, and events appended', async () => {
      const metrics = await api.http().get('/metrics').expect(200);
      expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
      expect(metrics.text).toMatch(
        /http_request_duration_seconds_count\{method="POST",route="\/v1\/teams\/:teamId\/members",status="201"\} \d+/,
      );
      expect(metrics.text).toMatch(/commands_total\{type="AddMember",outcome="accepted"\} \d+/);
      expect(metrics.text).toMatch(/commands_total\{type="AddMember",outcome="rejected"\} \d+/);
      expect(metrics.text).toMatch(/events_appended_total\{type="MemberAdded"\} \d+/);
      expect(metrics.text).toMatch(/process_cpu_user_seconds_total/);
    });

    it('/docs-json documents every command route with its DTO and the bearer scheme', async () => {
      const doc = (await api.http().get('/docs-json').expect(200)).body;
      const routes = Object.entries(doc.paths as Record<string, object>).flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
      );
      expect(routes).toEqual(
        expect.arrayContaining([
          'POST /v1/teams',
          'PUT /v1/teams/{teamId}/plan',
          'POST /v1/teams/{teamId}/members',
          'PUT /v1/teams/{teamId}/members/{userId}/role',
          'DELETE /v1/teams/{teamId}/members/{userId}',
          'PUT /v1/teams/{teamId}/members/{userId}/permission-groups/{group}',
          'DELETE /v1/teams/{teamId}/members/{userId}/permission-groups/{group}',
          'POST /v1/teams/{teamId}/projects',
          'DELETE /v1/teams/{teamId}/projects/{projectId}',
          'PUT /v1/teams/{teamId}/projects/{projectId}/members/{userId}',
          'DELETE /v1/teams/{teamId}/projects/{projectId}/members/{userId}',
          'PATCH /v1/teams/{teamId}/projects/{projectId}/security',
          'POST /v1/teams/{teamId}/projects/{projectId}/security/bypass-tokens',
          'DELETE /v1/teams/{teamId}/projects/{projectId}/security/bypass-tokens/{tokenId}',
        ]),
      );
      expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(doc.components.schemas.ChangeProjectSecurityDto.properties).toHaveProperty('deploymentProtection');
      expect(doc.components.schemas.ProblemDto).toBeDefined();
    });
  });
});
