/**
 * A command on a team whose stream holds an event this code cannot read answers 503 naming the team and the event (never
 * its data) and appends nothing; every other team takes commands as before.
 */
import { randomUUID } from 'node:crypto';
import { teamStreamId } from '@access-audit/domain';
import { expectProblem, startTestApi, type TestApi, type UserClient } from './support/test-api';

describe('commands on a team with an unreadable event', () => {
  let api: TestApi;
  let eve: UserClient;
  let alice: UserClient;

  beforeAll(async () => {
    api = await startTestApi();
    [alice, eve] = await Promise.all(['alice', 'eve'].map((user) => api.as(user)));
    await alice.post('/v1/teams', { id: 'acme', name: 'Acme', plan: 'enterprise' }).expect(201);
  });
  afterAll(() => api.close());

  it.each([
    ['data null', null],
    ['data a string', 'owner'],
    [
      'after null',
      { teamId: 'evil', actorId: 'eve', occurredAt: '2026-01-01T00:00:00Z', userId: 'bob', before: null, after: null },
    ],
    [
      'a role outside the policy',
      {
        teamId: 'evil',
        actorId: 'eve',
        occurredAt: '2026-01-01T00:00:00Z',
        userId: 's3cr3t-looking',
        before: null,
        after: { role: 'god' },
      },
    ],
  ])('%s: 503 naming the event, nothing appended; another team still takes commands', async (_what, data) => {
    const teamId = `evil-${randomUUID().slice(0, 8)}`;
    await eve.post('/v1/teams', { id: teamId, name: 'Evil', plan: 'enterprise' }).expect(201);
    await api.store.append(teamStreamId(teamId), [{ id: randomUUID(), type: 'MemberAdded', data }], 'any');
    const poison = (await api.teamEvents(teamId)).at(-1)!;
    const refused = await api.expectNothingAppended(teamId, () =>
      eve.post(`/v1/teams/${teamId}/members`, { userId: 'mallory', role: 'owner' }),
    );
    const body = expectProblem(refused, 503, {
      type: 'urn:access-audit:problem:team-stream-unreadable',
      teamId,
      readModel: 'commands',
      event: { id: poison.id, type: 'MemberAdded', position: poison.position, streamRevision: poison.revision },
    });
    expect(JSON.stringify(body)).not.toContain('s3cr3t-looking');
    await alice.post('/v1/teams/acme/projects', { id: `p-${randomUUID().slice(0, 8)}`, name: 'P' }).expect(201);
  });
});

describe('command routes take no query parameter but dryRun=true|false', () => {
  let api: TestApi;
  let alice: UserClient;

  beforeAll(async () => {
    api = await startTestApi();
    alice = await api.as('alice');
    await alice.post('/v1/teams', { id: 'acme', name: 'Acme', plan: 'enterprise' }).expect(201);
    await alice.post('/v1/teams/acme/members', { userId: 'zoe', role: 'member' }).expect(201);
  });
  afterAll(() => api.close());

  it.each([
    ['dryRun=1', 'dryRun', 'isBooleanString'],
    ['foo=1', 'foo', 'whitelistValidation'],
  ])('DELETE …/members/zoe?%s is 400 and removes nobody', async (query, field, rule) => {
    const refused = await api.expectNothingAppended('acme', () =>
      alice.delete(`/v1/teams/acme/members/zoe?${query}`).expect(400),
    );
    expect(refused.body.errors[0]).toMatchObject({ field, rule });
  });

  it('DELETE …/members/zoe?dryRun=true previews the removal and removes nobody', async () => {
    const preview = await api.expectNothingAppended('acme', () =>
      alice.delete('/v1/teams/acme/members/zoe?dryRun=true').expect(200),
    );
    expect(preview.body).toMatchObject({ dryRun: true, events: [{ type: 'MemberRemoved' }] });
  });
});
