/**
 * No poison event stalls the others (issue #10, finding 1 and Build 2), over HTTP: a team event that cannot be applied
 * sits in one team's stream (put there straight into the store, as a damaged or hand-edited events.db would hold it).
 * Another team's revocation is still reflected in /v1/check; the damaged team's queries and audit answer 503 naming it
 * and the event; /readyz stays ready and says so, and so does a metric; a restart meets the event again.
 */
import { randomUUID } from 'node:crypto';
import { teamStreamId } from '@access-audit/domain';
import type { RecordedEvent } from '@access-audit/event-store';
import { expectProblem, startTestApi, type TestApi, type UserClient } from './support/test-api';

describe('a team event that cannot be applied quarantines its team only', () => {
  let api: TestApi;
  let alice: UserClient; // owner of acme
  let eve: UserClient; // owner of the damaged team
  let poison: RecordedEvent;
  let dataDir: string;

  const check = async (minPosition?: string) => {
    const query = new URLSearchParams({
      teamId: 'acme',
      userId: 'bob',
      permission: 'team.settings.manage',
      ...(minPosition ? { minPosition } : {}),
    });
    return alice.get(`/v1/check?${query}`);
  };
  const expectQuarantined = (response: Parameters<typeof expectProblem>[0], readModel: 'access' | 'audit') => {
    const body = expectProblem(response, 503, {
      type: 'urn:access-audit:problem:team-quarantined',
      teamId: 'evil',
      readModel,
      event: { id: poison.id, type: 'MemberAdded', position: poison.position, streamRevision: 1 },
    });
    expect(body.detail).toContain(`team evil is quarantined`);
    expect(body.detail).toContain(poison.id);
    // The event's data never shows.
    expect(JSON.stringify(body)).not.toContain('s3cr3t-looking');
  };

  beforeAll(async () => {
    api = await startTestApi();
    dataDir = api.config.dataDir;
    [alice, eve] = await Promise.all(['alice', 'eve'].map((user) => api.as(user)));
    await alice.post('/v1/teams', { id: 'acme', name: 'Acme', plan: 'enterprise' }).expect(201);
    await alice.post('/v1/teams/acme/members', { userId: 'bob', role: 'member' }).expect(201);
    await eve.post('/v1/teams', { id: 'evil', name: 'Evil', plan: 'enterprise' }).expect(201);
    // A MemberAdded whose data the domain cannot fold (no `after`, no `occurredAt`).
    await api.store.append(
      teamStreamId('evil'),
      [{ id: randomUUID(), type: 'MemberAdded', data: { teamId: 'evil', userId: 's3cr3t-looking' } }],
      'any',
    );
    poison = (await api.teamEvents('evil')).at(-1)!;
  });
  afterAll(() => api.close());

  it("reflects another team's revocation in /v1/check", async () => {
    expect((await check()).body).toMatchObject({ allowed: true });
    const removed = await alice.delete('/v1/teams/acme/members/bob').expect(200);
    const position = removed.headers['x-position'] ?? (removed.body as { position: string }).position;
    const answer = await check(position);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ allowed: false });
    expect(api.store.comparePositions(answer.headers['x-position']!, poison.position)).toBeGreaterThan(0);
  });

  it("answers the damaged team's queries and audit with 503 naming the team and the failed event", async () => {
    expectQuarantined(await eve.get('/v1/teams/evil'), 'access');
    expectQuarantined(await eve.get('/v1/check?teamId=evil&userId=eve&permission=team.settings.manage'), 'access');
    expectQuarantined(await eve.get('/v1/teams/evil/permissions'), 'access');
    expectQuarantined(await eve.get('/v1/teams/evil/members/eve/history'), 'access');
    // A stranger learns no more than that: the same 503, never an answer from the stale state.
    expectQuarantined(await alice.get('/v1/teams/evil'), 'access');
    expectQuarantined(await eve.get('/v1/teams/evil/audit'), 'audit');
    expectQuarantined(await eve.get('/v1/teams/evil/audit/summary'), 'audit');
    // The other team is served as before, its audit entries included.
    await alice.get('/v1/teams/acme').expect(200);
    const audit = await alice.get('/v1/teams/acme/audit').expect(200);
    expect((audit.body as { entries: Array<{ action: string }> }).entries.map((entry) => entry.action)).toContain(
      'team.member.removed',
    );
  });

  it('/readyz stays ready (other teams are served) and says a team is quarantined; a gauge counts it', async () => {
    const ready = await api.http().get('/readyz').expect(200);
    const checks = (ready.body as { checks: Array<{ name: string; ready: boolean; detail?: string }> }).checks;
    for (const name of ['projections', 'audit']) {
      expect(checks.find((c) => c.name === name)).toMatchObject({
        ready: true,
        detail: expect.stringContaining('1 team(s) quarantined'),
      });
    }
    // Public: it counts quarantined teams without naming them.
    expect(JSON.stringify(ready.body)).not.toContain('evil');
    const metrics = await api.http().get('/metrics').expect(200);
    expect(metrics.text).toMatch(/access_audit_quarantined_teams\{projection="access"\} 1/);
    expect(metrics.text).toMatch(/access_audit_quarantined_teams\{projection="audit"\} 1/);
  });

  it('meets the event again after a restart: still quarantined, the other teams still served', async () => {
    await api.close({ keepData: true });
    api = await startTestApi({ dataDir });
    [alice, eve] = await Promise.all(['alice', 'eve'].map((user) => api.as(user)));
    const added = await alice.post('/v1/teams/acme/members', { userId: 'bob', role: 'member' }).expect(201);
    expect((await check((added.body as { position: string }).position)).body).toMatchObject({ allowed: true });
    expectQuarantined(await eve.get('/v1/teams/evil'), 'access');
    expectQuarantined(await eve.get('/v1/teams/evil/audit'), 'audit');
  });
});
