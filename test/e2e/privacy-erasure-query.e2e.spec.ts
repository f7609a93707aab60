import { expectProblem, startTestApi, type TestApi, type UserClient } from './support/test-api';

/** The erasure destroys keys at once and cannot be undone: what it cannot honour is refused before anything is erased. */
describe('POST /v1/subjects/{userId}/erasure refuses a preview and a revision it cannot honour (e2e)', () => {
  let api: TestApi;
  let alice: UserClient;
  let operator: UserClient;
  const aboutBob = 'bob takes the pager this week';
  const bobReasons = async (): Promise<unknown[]> =>
    (
      (await alice.get('/v1/teams/acme/audit?limit=1000').expect(200)).body as {
        entries: Array<{ action: string; target: { userId?: string }; reason?: unknown }>;
      }
    ).entries
      .filter((entry) => entry.action === 'team.member.added' && entry.target.userId === 'bob')
      .map((entry) => entry.reason);

  beforeAll(async () => {
    api = await startTestApi();
    alice = await api.as('alice');
    operator = await api.as('privacy-operator', { scopes: ['privacy:erase'] });
    await alice.post('/v1/teams', { id: 'acme', name: 'Acme', plan: 'enterprise' }).expect(201);
    await alice.post('/v1/teams/acme/members', { userId: 'bob', role: 'developer', reason: aboutBob }).expect(201);
    await alice.post('/v1/teams', { id: 'beta', name: 'Beta', plan: 'enterprise' }).expect(201);
    await alice.post('/v1/teams/beta/members', { userId: 'bob', role: 'developer' }).expect(201);
  });

  afterAll(async () => {
    await api.close();
  });

  it('dryRun=true (or any query parameter) is refused 400 and erases nothing', async () => {
    for (const query of ['dryRun=true', 'preview=1']) {
      await api.expectNothingAppended('acme', async () => {
        const refused = await operator.post(`/v1/subjects/bob/erasure?${query}`, { reason: 'ticket 12' });
        expectProblem(refused, 400);
      });
      expect(await bobReasons()).toEqual([aboutBob]);
    }
  });

  it("If-Match (one team's revision, while an erasure records in every team) is refused 400 and erases nothing", async () => {
    const revision = await api.teamRevision('acme');
    await api.expectNothingAppended('beta', async () => {
      const refused = await operator
        .post('/v1/subjects/bob/erasure', { reason: 'ticket 12' })
        .set('If-Match', `"${revision}"`);
      expectProblem(refused, 400);
      expect(JSON.stringify(refused.body)).toContain('If-Match');
    });
    expect(await bobReasons()).toEqual([aboutBob]);
  });
});
