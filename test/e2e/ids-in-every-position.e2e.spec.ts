/**
 * Ids are data (issue #10, finding 1 and Build 1) in the id positions the first e2e suite leaves out: team ids, review
 * ids, rate-limit rule ids, bypass-token ids, campaign item ids and the token's subject, each named after a built-in
 * property. Every answer is the one an ordinary id gets: created once, found, refused when absent or taken.
 */
import { startTestApi, type TestApi } from './support/test-api';

const builtInNames = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'prototype', 'isPrototypeOf'];
const DUE = new Date(Date.now() + 86_400_000).toISOString();

describe('built-in property names in every id position (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it.each(builtInNames)('a team, rule, token and campaign all named %s answer like any other', async (id) => {
    const owner = await api.as(id);
    const vie = await api.as('vie');
    await owner.post('/v1/teams', { id, name: id, plan: 'enterprise' }).expect(201);
    await owner.post('/v1/teams', { id, name: id, plan: 'enterprise' }).expect(409);
    await owner.post(`/v1/teams/${id}/members`, { userId: 'vie', role: 'owner' }).expect(201);
    await owner.post(`/v1/teams/${id}/members`, { userId: 'bob', role: 'contributor' }).expect(201);
    await owner.post(`/v1/teams/${id}/projects`, { id, name: id }).expect(201);
    await owner.put(`/v1/teams/${id}/projects/${id}/members/bob`, { role: 'project_viewer' }).expect(200);

    const security = `/v1/teams/${id}/projects/${id}/security`;
    const rule = (path: string) => ({ rateLimitRules: { set: [{ id, path, limit: 5, windowSeconds: 60 }] } });
    const first = await owner.patch(security, rule('/a')).expect(200);
    expect(first.body.events).toEqual([expect.objectContaining({ type: 'RateLimitRuleSet' })]);
    await owner.patch(security, rule('/b')).expect(200);
    await owner.patch(security, { rateLimitRules: { remove: [id] } }).expect(200);
    const gone = await owner.patch(security, { rateLimitRules: { remove: [id] } }).expect(404);
    expect(gone.body.rule).toBe('security.rate-limit.present');

    await owner.post(`${security}/bypass-tokens`, { tokenId: id }).expect(201);
    await owner.post(`${security}/bypass-tokens`, { tokenId: id }).expect(422);
    await owner.delete(`${security}/bypass-tokens/${id}`).expect(200);
    await owner.delete(`${security}/bypass-tokens/${id}`).expect(404);

    const reviews = `/v1/teams/${id}/access-reviews`;
    await owner.post(reviews, { id, name: id, reviewerIds: ['vie'], dueAt: DUE }).expect(201);
    await owner.post(reviews, { id, name: id, reviewerIds: ['vie'], dueAt: DUE }).expect(409);
    for (const itemId of [id, '__proto__']) {
      const missing = await vie.post(`${reviews}/${id}/items/${itemId}/decision`, { decision: 'keep' }).expect(404);
      expect(missing.body.rule).toBe('access-review.item-exists');
    }
    await vie.post(`${reviews}/${id}/items/project_role:bob:${id}/decision`, { decision: 'revoke' }).expect(201);
    const other = builtInNames.find((name) => name !== id)!;
    await vie.get(`${reviews}/${other}`).expect(404);
    const completed = await owner.post(`${reviews}/${id}/complete`, {}).expect(200);
    expect(completed.body.outcomes).toEqual(
      expect.arrayContaining([expect.objectContaining({ itemId: `project_role:bob:${id}`, result: 'revoked' })]),
    );
    const list = await owner.get(reviews).expect(200);
    expect(list.body.accessReviews.map((review: { reviewId: string }) => review.reviewId)).toEqual([id]);

    const min = `minPosition=${encodeURIComponent(completed.body.position as string)}`;
    const check = await owner
      .get(`/v1/check?teamId=${id}&userId=bob&permission=project.view&projectId=${id}&${min}`)
      .expect(200);
    expect(check.body).toEqual({ allowed: false, via: [] });
    const view = await owner.get(`/v1/teams/${id}?${min}`).expect(200);
    expect(view.body.projects).toEqual([
      expect.objectContaining({
        id,
        security: expect.objectContaining({
          rateLimitRules: [],
          deploymentProtection: expect.objectContaining({ bypassTokens: [] }),
        }),
      }),
    ]);
    const audit = await owner.get(`/v1/teams/${id}/audit?actor=vie&${min}`).expect(200);
    expect(audit.body.entries.map((entry: { action: string }) => entry.action)).toContain('access_review.item.decided');
    expect((await owner.get(`/v1/teams/${id}/audit/verify`).expect(200)).body.valid).toBe(true);
    await api.http().get('/readyz').expect(200);
  });
});
