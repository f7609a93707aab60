/**
 * POLICY.md "Who acts, beyond people", over HTTP: a reviewer of an access-review campaign acts on it only while a current
 * member of the team. Issue #10, finding 2: after `DELETE /v1/teams/rv/members/vie`, vie still decided, read the campaign
 * and its evidence, and completed it (her revoke was enforced).
 */
import { accessReviewStreamId } from '@access-audit/access-reviews';
import { expectProblem, startTestApi, type TestApi, type UserClient } from './support/test-api';

const TEAM = 'rv';
const RULE = 'access-review.reviewer-is-current-member';
const DUE = new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString();

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('a reviewer removed from the team loses the campaign at once (POLICY.md "Who acts, beyond people")', () => {
  let api: TestApi;
  let alice: UserClient; // owner, opens the campaign and removes vie
  let vie: UserClient; // second owner, the campaign's reviewer
  let reviewId: string;
  const campaignPath = () => `/v1/teams/${TEAM}/access-reviews/${reviewId}`;
  const decide = (who: UserClient, itemId: string, body: object) =>
    who.post(`${campaignPath()}/items/${encodeURIComponent(itemId)}/decision`, body);
  const campaignRevision = () => api.store.streamRevision(accessReviewStreamId(TEAM, reviewId));
  /** Neither the team stream nor the campaign's grows. */
  const refusedWithoutAppending = async (
    action: () => PromiseLike<{ status: number; headers: Record<string, string>; body: unknown }>,
  ) => {
    const before = await campaignRevision();
    const response = await api.expectNothingAppended(TEAM, action);
    expect(await campaignRevision()).toBe(before);
    return response;
  };
  const denials = async () =>
    (await api.store.readStream(`audit-${TEAM}`))
      .map(
        (record) => record.data as { kind: string; actor: string; action?: string; denial?: { rule: string | null } },
      )
      .filter((entry) => entry.kind === 'denial' && entry.actor === 'vie')
      .map((entry) => entry.denial?.rule);

  beforeAll(async () => {
    api = await startTestApi();
    [alice, vie] = await Promise.all(['alice', 'vie'].map((user) => api.as(user)));
    await alice.post('/v1/teams', { id: TEAM, name: 'Reviewed', plan: 'enterprise' }).expect(201);
    await alice.post(`/v1/teams/${TEAM}/members`, { userId: 'vie', role: 'owner' }).expect(201);
    for (const userId of ['bob', 'carl'])
      await alice.post(`/v1/teams/${TEAM}/members`, { userId, role: 'developer' }).expect(201);
    const opened = await alice
      .post(`/v1/teams/${TEAM}/access-reviews`, { name: 'Q1', reviewerIds: ['vie'], dueAt: DUE })
      .expect(201);
    reviewId = opened.body.reviewId as string;
    // While a member, vie reviews: one decision recorded, the campaign and its evidence readable.
    await decide(vie, 'team_role:bob', { decision: 'revoke' }).expect(201);
    await vie.get(campaignPath()).expect(200);
    await vie.get(`${campaignPath()}/evidence`).expect(200);
  });
  afterAll(() => api.close());

  it('refuses her decision, her reads of the campaign and its evidence, and her completion, appending nothing', async () => {
    await alice.delete(`/v1/teams/${TEAM}/members/vie`).expect(200);

    const refusals = [
      () => decide(vie, 'team_role:carl', { decision: 'revoke' }),
      () => vie.get(campaignPath()),
      () => vie.get(`${campaignPath()}/evidence`),
      () => vie.get(`${campaignPath()}/evidence?format=csv`),
      () => vie.post(`${campaignPath()}/complete`, {}),
    ];
    for (const refused of refusals) {
      const problem = expectProblem(await refusedWithoutAppending(refused), 403, { rule: RULE });
      expect(problem.detail).toContain(`no longer a member of team ${TEAM}`);
    }
    // The two refused commands are the audit log's denial records, and nothing else was written.
    await waitFor(async () => (await denials()).length >= 2);
    expect(await denials()).toEqual([RULE, RULE]);
    expect((await api.teamEvents(TEAM)).map((event) => event.type).at(-1)).toBe('MemberRemoved');
    expect((await api.store.readStream(accessReviewStreamId(TEAM, reviewId))).map((event) => event.type)).toEqual([
      'AccessReviewOpened',
      'AccessReviewItemDecided',
    ]);
  });

  it('leaves the owner what she may do: read the campaign and complete it', async () => {
    const campaign = await alice.get(campaignPath()).expect(200);
    expect(campaign.body).toMatchObject({ status: 'open', reviewerIds: ['vie'] });
    const completed = await alice.post(`${campaignPath()}/complete`, {}).expect(200);
    // The decision vie recorded while a member stands; the owner's completion enforces it.
    expect(completed.body.outcomes).toEqual(
      expect.arrayContaining([expect.objectContaining({ itemId: 'team_role:bob', result: 'revoked' })]),
    );
    const removal = (await api.teamEvents(TEAM)).at(-1)!;
    expect(removal).toMatchObject({ type: 'MemberRemoved', data: { userId: 'bob', actorId: 'alice' } });
  });
});
