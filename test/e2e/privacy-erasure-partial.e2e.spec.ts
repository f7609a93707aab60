import { randomUUID } from 'node:crypto';
import { teamStreamId } from '@access-audit/domain';
import { expectProblem, startTestApi, type TestApi, type UserClient } from './support/test-api';

/** The keys go first and cannot come back: a team that cannot record the erasure must not leave the others unrecorded. */
describe('POST /v1/subjects/{userId}/erasure with one team unreadable (e2e)', () => {
  let api: TestApi;
  let alice: UserClient;
  let operator: UserClient;

  beforeAll(async () => {
    api = await startTestApi();
    alice = await api.as('alice');
    operator = await api.as('privacy-operator', { scopes: ['privacy:erase'] });
    for (const teamId of ['a-broken', 'b-fine']) {
      await alice.post('/v1/teams', { id: teamId, name: teamId, plan: 'enterprise' }).expect(201);
      await alice.post(`/v1/teams/${teamId}/members`, { userId: 'bob', role: 'developer' }).expect(201);
    }
    // A known type with data no fold can read: team a-broken's stream is unreadable from here on.
    await api.store.append(
      teamStreamId('a-broken'),
      [{ id: randomUUID(), type: 'MemberAdded', data: { teamId: 'a-broken', actorId: 'eve', occurredAt: 'x' } }],
      'any',
    );
  });

  afterAll(async () => {
    await api.close();
  });

  it('records it in every other team, answers 503 naming the team left, and a repeat records nothing twice', async () => {
    const erasedIn = async (teamId: string) =>
      (await api.teamEvents(teamId)).filter((event) => event.type === 'SubjectErased').length;
    const first = await operator.post('/v1/subjects/bob/erasure', { reason: 'ticket 7' });
    const body = expectProblem(first, 503);
    expect(first.headers['retry-after']).toBeDefined();
    expect(body.detail).toContain('a-broken');
    expect(body.detail).not.toContain('b-fine');
    // Team a-broken sorts first: before, its failure stopped the loop and b-fine was never recorded.
    expect(await erasedIn('b-fine')).toBe(1);
    const again = await operator.post('/v1/subjects/bob/erasure', { reason: 'ticket 7' });
    expectProblem(again, 503);
    expect(await erasedIn('b-fine')).toBe(1);
  });
});
