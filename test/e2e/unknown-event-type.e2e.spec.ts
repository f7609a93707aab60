/**
 * A team event of a type this code does not know (written by a newer version, as decodeTeamEvent allows for) sits in
 * one team's stream. The projections and the command path skip it; the audit log must too, and must never stall the
 * other teams' entries behind it.
 */
import { randomUUID } from 'node:crypto';
import { teamStreamId } from '@access-audit/domain';
import { expectProblem, startTestApi, type TestApi, type UserClient } from './support/test-api';

describe('an unknown team event type stalls no audit log', () => {
  let api: TestApi;
  let alice: UserClient;
  let eve: UserClient;

  beforeAll(async () => {
    api = await startTestApi();
    [alice, eve] = await Promise.all(['alice', 'eve'].map((user) => api.as(user)));
    await alice.post('/v1/teams', { id: 'acme', name: 'Acme', plan: 'enterprise' }).expect(201);
    await eve.post('/v1/teams', { id: 'newer', name: 'Newer', plan: 'enterprise' }).expect(201);
    await api.store.append(
      teamStreamId('newer'),
      [
        {
          id: randomUUID(),
          type: 'MemberSuspended',
          data: { teamId: 'newer', actorId: 'eve', occurredAt: new Date().toISOString(), userId: 'eve' },
        },
      ],
      'any',
    );
  });
  afterAll(() => api.close());

  it("records the next event of that team and every other team's entries", async () => {
    // The command path skips the unknown event, as decodeTeamEvent says.
    await eve.post('/v1/teams/newer/members', { userId: 'bob', role: 'developer' }).expect(201);
    const added = await alice.post('/v1/teams/acme/members', { userId: 'carl', role: 'developer' }).expect(201);
    const audit = await alice.get(`/v1/teams/acme/audit?minPosition=${added.body.position as string}`);
    expect(audit.status).toBe(200);
    expect((await api.http().get('/readyz')).status).toBe(200);
  }, 20_000);

  it('answers the campaign routes of that team (no 500)', async () => {
    const dueAt = new Date(Date.now() + 86_400_000).toISOString();
    await eve.post('/v1/teams/newer/members', { userId: 'vie', role: 'owner' }).expect(201);
    const opened = await eve.post('/v1/teams/newer/access-reviews', { name: 'Q', reviewerIds: ['vie'], dueAt });
    expect(opened.status).toBe(201);
    await eve.get('/v1/teams/newer/access-reviews').expect(200);
  });

  it("reads that team's audit log", async () => {
    const audit = await eve.get('/v1/teams/newer/audit');
    if (audit.status !== 200) expectProblem(audit, 200);
  });
});
