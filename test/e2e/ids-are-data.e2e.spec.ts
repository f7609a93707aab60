/**
 * Ids are data, never property names: the requests that once stalled the read side, inherited a member or a project, or
 * crashed a read, answer as they would for any other id.
 */
import { startTestApi, type TestApi, type UserClient } from './support/test-api';

const builtInNames = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'prototype', 'isPrototypeOf'];

describe('ids named after built-in properties (e2e)', () => {
  let api: TestApi;
  let eve: UserClient;
  let alice: UserClient;

  beforeAll(async () => {
    api = await startTestApi();
    eve = await api.as('eve');
    alice = await api.as('alice');
    await eve.post('/v1/teams', { id: 'eveteam', name: 'Eve', plan: 'enterprise' }).expect(201);
    await eve.post('/v1/teams/eveteam/members', { userId: 'eve2', role: 'contributor' }).expect(201);
    await alice.post('/v1/teams', { id: 'acme', name: 'Acme', plan: 'enterprise' }).expect(201);
    await alice.post('/v1/teams/acme/members', { userId: 'bob', role: 'member' }).expect(201);
    await alice.post('/v1/teams/acme/projects', { id: 'web', name: 'Web' }).expect(201);
  });
  afterAll(() => api.close());

  it.each(builtInNames)(
    'a project role on a project named %s that does not exist is 404 and appends nothing',
    async (id) => {
      const refused = await api.expectNothingAppended('eveteam', () =>
        eve.put(`/v1/teams/eveteam/projects/${id}/members/eve2`, { role: 'project_viewer' }).expect(404),
      );
      expect(refused.body.rule).toBe('project.exists');
    },
  );

  it('the read side keeps moving for every team afterwards: a removal in another team is reflected in checks', async () => {
    const removed = await alice.delete('/v1/teams/acme/members/bob').expect(200);
    const check = await alice
      .get(
        `/v1/check?teamId=acme&userId=bob&permission=team.settings.manage&minPosition=${encodeURIComponent(removed.body.position)}`,
      )
      .expect(200);
    expect(check.body).toEqual({ allowed: false, via: [] });
    expect(check.headers['x-position']).toBe(removed.body.position);
    await api.http().get('/readyz').expect(200);
  });

  it.each(builtInNames)(
    'a member and a project named %s are created, read, checked and removed like any other',
    async (id) => {
      const added = await alice.post('/v1/teams/acme/members', { userId: id, role: 'contributor' }).expect(201);
      await alice.post('/v1/teams/acme/projects', { id, name: `Project ${id}` }).expect(201);
      await alice.put(`/v1/teams/acme/projects/${id}/members/${id}`, { role: 'project_developer' }).expect(200);
      const assigned = await alice
        .put(`/v1/teams/acme/projects/web/members/${id}`, { role: 'project_viewer' })
        .expect(200);
      const min = `minPosition=${encodeURIComponent(assigned.body.position)}`;
      const view = await alice.get(`/v1/teams/acme?${min}`).expect(200);
      const member = (view.body.members as Array<{ userId: string; projectRoles: Record<string, string> }>).find(
        (m) => m.userId === id,
      );
      expect(member?.projectRoles).toEqual({ [id]: 'project_developer', web: 'project_viewer' });
      expect(Object.keys(member!.projectRoles).sort()).toEqual([id, 'web'].sort());
      const check = await alice.get(
        `/v1/check?teamId=acme&userId=${id}&permission=project.view&projectId=${id}&${min}`,
      );
      expect(check.status).toBe(200);
      expect(check.body.allowed).toBe(true);
      const history = await alice.get(`/v1/teams/acme/members/${id}/history?${min}`).expect(200);
      expect(JSON.stringify(history.body)).toContain(added.body.events[0].id);
      await alice.delete(`/v1/teams/acme/projects/${id}`).expect(200);
      await alice.delete(`/v1/teams/acme/members/${id}`).expect(200);
      await api.http().get('/readyz').expect(200);
    },
  );

  it.each(builtInNames)('a check on a project named %s that does not exist is not allowed', async (id) => {
    const check = await alice.get(`/v1/check?teamId=acme&userId=alice&permission=project.view&projectId=${id}`);
    expect(check.body).toEqual({ allowed: false, via: [] });
    const permissions = await alice.get(`/v1/teams/acme/permissions?userId=alice&projectId=${id}`).expect(200);
    expect(JSON.stringify(permissions.body)).not.toContain(`"projectId":"${id}"`);
  });

  it.each(builtInNames)(
    'a token whose sub is %s is refused reads of a team it is not in (403, never 500)',
    async (sub) => {
      const outsider = await api.as(sub);
      await outsider.get('/v1/teams/acme').expect(403);
      await outsider.get('/v1/teams/acme/audit').expect(403);
      await outsider.get('/v1/teams/acme/audit/verify').expect(403);
      await outsider.get('/v1/teams/acme/permissions').expect(403);
      await api.expectNothingAppended('acme', () =>
        outsider.post('/v1/teams/acme/members', { userId: 'mallory', role: 'owner' }).expect(403),
      );
    },
  );

  it.each(builtInNames)(
    'a campaign naming reviewer %s, who is not a member, is refused and appends nothing',
    async (id) => {
      const refused = await api.expectNothingAppended('acme', () =>
        alice
          .post('/v1/teams/acme/access-reviews', { name: 'Q4', reviewerIds: [id], dueAt: '2099-01-01T00:00:00Z' })
          .expect(422),
      );
      expect(JSON.stringify(refused.body)).toContain(id);
    },
  );
});
