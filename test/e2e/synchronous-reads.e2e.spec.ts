/**
 * The hot reads (issue #12 item 4): /v1/check and /permissions are answered without Nest's promise chain once the
 * caller's token has been verified: the guard's chain form runs for the first request only, the answers stay the same,
 * and refusals (401, 403 naming the permission, 400 naming field and rule) still come as problem+json. An answer of
 * /permissions is built once per change of the team (see the team-states reader spec) and serialized from its schema.
 */
import { AuthGuard } from '../../apps/api/src/auth/auth.guard';
import { expectProblem, startTestApi, type TestApi, type UserClient } from './support/test-api';

describe('synchronous hot reads', () => {
  let api: TestApi;
  let alice: UserClient;
  let bob: UserClient;
  let guardChain: jest.SpyInstance;

  beforeAll(async () => {
    api = await startTestApi();
    [alice, bob] = await Promise.all(['alice', 'bob'].map((user) => api.as(user)));
    await alice.post('/v1/teams', { id: 'acme', name: 'Acme', plan: 'enterprise' }).expect(201);
    await alice.post('/v1/teams/acme/projects', { id: 'web', name: 'Web' }).expect(201);
    const { body } = await alice.post('/v1/teams/acme/members', { userId: 'bob', role: 'developer' }).expect(201);
    await alice
      .get(`/v1/check?teamId=acme&userId=bob&permission=project.view&minPosition=${body.position}`)
      .expect(200);
    guardChain = jest.spyOn(AuthGuard.prototype, 'canActivate');
  });
  afterAll(async () => {
    guardChain.mockRestore();
    await api.close();
  });
  beforeEach(() => guardChain.mockClear());

  const check = '/v1/check?teamId=acme&userId=bob&permission=project.deploy.production&projectId=web';
  const permissions = '/v1/teams/acme/permissions?userId=bob&projectId=web';

  it('answers a remembered token without the guard chain, and a new one through it once', async () => {
    const first = await bob.get(check).expect(200);
    expect(first.body).toEqual({
      allowed: true,
      via: [{ kind: 'team_role', role: 'developer', actsAs: 'project_developer' }],
    });
    expect(first.headers['x-position']).toMatch(/^\d+$/);
    expect(first.headers['x-request-id']).toBeDefined();
    expect(guardChain).toHaveBeenCalledTimes(1);
    guardChain.mockClear();
    await bob.get(check).expect(200, first.body);
    const listed = await bob.get(permissions).expect(200);
    expect(listed.body.teamId).toBe('acme');
    expect(listed.body.permissions).toContainEqual({
      userId: 'bob',
      permission: 'project.deploy.production',
      projectId: 'web',
      via: [{ kind: 'team_role', role: 'developer', actsAs: 'project_developer' }],
    });
    expect(guardChain).not.toHaveBeenCalled();
  });

  it('answers /permissions as JSON written once per change of the team, the same bytes until it changes', async () => {
    const first = await bob.get(permissions).expect(200);
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(first.text).toBe(JSON.stringify(first.body));
    expect((await bob.get(permissions).expect(200)).text).toBe(first.text);
    const { body } = await alice.put('/v1/teams/acme/members/bob/role', { role: 'enterprise_viewer' }).expect(200);
    const after = await bob.get(`${permissions}&minPosition=${body.position}`).expect(200);
    expect(after.text).not.toBe(first.text);
    expect(after.body.permissions.map((grant: { permission: string }) => grant.permission)).not.toContain(
      'project.deploy.production',
    );
    await alice.put('/v1/teams/acme/members/bob/role', { role: 'developer' }).expect(200);
  });

  it('serves no Nest middleware, so no request passes through @fastify/middie', () => {
    expect(api.app.getHttpAdapter().getInstance().hasPlugin('@fastify/middie')).toBe(false);
  });

  it('refuses as before: 401 without a token, 403 naming the permission, 400 naming field and rule', async () => {
    expectProblem(await api.http().get(check), 401, {});
    const eve = await api.as('eve');
    await eve.get(check).expect(403);
    expect((await eve.get(check)).body).toMatchObject({ status: 403, permission: 'team.view' });
    expect((await eve.get(permissions)).body).toMatchObject({ status: 403, permission: 'team.view' });
    expect((await bob.get('/v1/check?teamId=acme&userId=bob&permission=nope')).body).toMatchObject({
      status: 400,
      errors: [expect.objectContaining({ field: 'permission', rule: 'isIn' })],
    });
    expect((await bob.get('/v1/teams/acme/permissions?colour=red')).body).toMatchObject({
      status: 400,
      errors: [expect.objectContaining({ field: 'colour', rule: 'whitelistValidation' })],
    });
  });
});
