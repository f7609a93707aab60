/**
 * Reviewer authority is checked at every decision and completion (issue #10, Build 3). An overdue campaign is expired by
 * the next decision or completion on it: that must not let a caller with no standing in the team (a stranger, a
 * removed reviewer) write to the team's streams, nor be recorded as the actor of the expiry.
 */
import { accessReviewStreamId } from '@access-audit/access-reviews';
import { CLOCK, type Clock } from '../../apps/api/src/commands/clock';
import { startTestApi, type TestApi, type UserClient } from './support/test-api';

const TEAM = 'exp';
/** Due a minute after it is opened (no set-up is that slow); the app's clock is then moved past it. */
const dueInMs = 60_000;

describe('an overdue campaign and callers without standing', () => {
  let api: TestApi;
  let alice: UserClient;
  let mallory: UserClient;
  let reviewId: string;
  const campaignRevision = () => api.store.streamRevision(accessReviewStreamId(TEAM, reviewId));

  beforeAll(async () => {
    api = await startTestApi();
    [alice, mallory] = await Promise.all(['alice', 'mallory'].map((user) => api.as(user)));
    await alice.post('/v1/teams', { id: TEAM, name: 'Exp', plan: 'enterprise' }).expect(201);
    await alice.post(`/v1/teams/${TEAM}/members`, { userId: 'vie', role: 'owner' }).expect(201);
    await alice.post(`/v1/teams/${TEAM}/members`, { userId: 'bob', role: 'developer' }).expect(201);
    const opened = await alice
      .post(`/v1/teams/${TEAM}/access-reviews`, {
        name: 'Soon due',
        reviewerIds: ['vie'],
        dueAt: new Date(Date.now() + dueInMs).toISOString(),
        defaultDecision: 'revoke',
      })
      .expect(201);
    reviewId = opened.body.reviewId as string;
    // Past the due date by the app's clock, however long the set-up took.
    const clock = api.app.get<Clock>(CLOCK);
    jest.spyOn(clock, 'now').mockImplementation(() => new Date(Date.now() + dueInMs + 60_000));
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await api.close();
  });

  it("a stranger's decision and completion are refused and append nothing, to the campaign or the team", async () => {
    const before = await campaignRevision();
    for (const attempt of [
      () =>
        mallory.post(`/v1/teams/${TEAM}/access-reviews/${reviewId}/items/team_role:bob/decision`, { decision: 'keep' }),
      () => mallory.post(`/v1/teams/${TEAM}/access-reviews/${reviewId}/complete`, {}),
    ]) {
      const response = await api.expectNothingAppended(TEAM, attempt);
      expect(response.status).toBe(403);
    }
    expect(await campaignRevision()).toBe(before);
    const events = await api.store.readStream(accessReviewStreamId(TEAM, reviewId));
    expect(events.map((event) => (event.data as { actorId: string }).actorId)).not.toContain('mallory');
  });
});
