/**
 * The command API walked through the seed's scenarios (POLICY.md), over HTTP against the real app on SQLite.
 * Every refused request is checked to have appended nothing to the team's stream.
 */
import { expectProblem, startTestApi, type TestApi, type UserClient } from './support/test-api';

describe('commands over HTTP, the seed walk (SQLite store)', () => {
  let api: TestApi;
  let alice: UserClient;

  beforeAll(async () => {
    api = await startTestApi();
    alice = await api.as('alice');
  });
  afterAll(() => api.close());

  const addMember = (team: string, userId: string, role: string, by: UserClient = alice) =>
    by.post(`/v1/teams/${team}/members`, { userId, role });

  describe('a Pro team (POLICY.md "Plans and which team roles they allow")', () => {
    beforeAll(async () => {
      await alice.post('/v1/teams', { id: 'pro-team', name: 'Pro Team', plan: 'pro' }).expect(201);
      await addMember('pro-team', 'bea', 'billing').expect(201);
    });

    it('refuses a second billing member: 422 plan.role-limit ("For Pro teams, it is limited to one member")', async () => {
      const response = await api.expectNothingAppended('pro-team', () => addMember('pro-team', 'bill', 'billing'));
      expectProblem(response, 422, { rule: 'plan.role-limit' });
    });

    it.each(['developer', 'security', 'contributor', 'enterprise_viewer', 'viewer'])(
      'refuses the Enterprise-only role %s: 422 plan.role-available',
      async (role) => {
        const response = await api.expectNothingAppended('pro-team', () =>
          addMember('pro-team', `someone-${role}`, role),
        );
        expectProblem(response, 422, { rule: 'plan.role-available' });
      },
    );

    it('accepts the Pro roles member and pro_viewer', async () => {
      await addMember('pro-team', 'max', 'member').expect(201);
      await addMember('pro-team', 'pat', 'pro_viewer').expect(201);
    });
  });

  describe('an Enterprise team', () => {
    beforeAll(async () => {
      await alice.post('/v1/teams', { id: 'ent', name: 'Enterprise', plan: 'enterprise' }).expect(201);
      await alice.post('/v1/teams/ent/projects', { id: 'web', name: 'Website' }).expect(201);
      for (const [userId, role] of [
        ['carol', 'developer'],
        ['mallory', 'member'],
        ['sam', 'security'],
        ['dan', 'developer'],
      ]) {
        await addMember('ent', userId!, role!).expect(201);
      }
    });

    it('gives a project role only to a contributor: 422 project-role.contributor-only, then 200 once carol is a contributor', async () => {
      const refused = await api.expectNothingAppended('ent', () =>
        alice.put('/v1/teams/ent/projects/web/members/carol', { role: 'project_developer' }),
      );
      expectProblem(refused, 422, { rule: 'project-role.contributor-only' });

      const roleChanged = await alice.put('/v1/teams/ent/members/carol/role', { role: 'contributor' }).expect(200);
      expect(roleChanged.body.events.map((e: { type: string }) => e.type)).toEqual(['TeamRoleChanged']);
      const assigned = await alice
        .put('/v1/teams/ent/projects/web/members/carol', { role: 'project_developer' })
        .expect(200);
      expect(assigned.body.events.map((e: { type: string }) => e.type)).toEqual(['ProjectRoleAssigned']);
      expect(assigned.body.streamRevision).toBe(roleChanged.body.streamRevision + 1);
    });

    it("refuses a member inviting: 403 naming team.members.invite (invites are the owner's)", async () => {
      const mallory = await api.as('mallory');
      const response = await api.expectNothingAppended('ent', () => addMember('ent', 'eve', 'member', mallory));
      expectProblem(response, 403, { permission: 'team.members.invite' });
    });

    it('refuses the last owner leaving or being demoted: 422 team.at-least-one-owner', async () => {
      const leaving = await api.expectNothingAppended('ent', () => alice.delete('/v1/teams/ent/members/alice'));
      expectProblem(leaving, 422, { rule: 'team.at-least-one-owner' });
      const demoted = await api.expectNothingAppended('ent', () =>
        alice.put('/v1/teams/ent/members/alice/role', { role: 'member' }),
      );
      expectProblem(demoted, 422, { rule: 'team.at-least-one-owner' });
    });

    it("lets a security member change the firewall (200) but not a member's team role (403 team.members.roles.manage)", async () => {
      const sam = await api.as('sam');
      const firewall = await sam
        .patch('/v1/teams/ent/projects/web/security', { firewall: { enabled: true } })
        .expect(200);
      expect(firewall.body.events.map((e: { type: string }) => e.type)).toEqual(['FirewallChanged']);
      const [event] = (await api.teamEvents('ent')).slice(-1);
      expect(event!.data).toMatchObject({
        actorId: 'sam',
        projectId: 'web',
        before: { enabled: false },
        after: { enabled: true },
      });

      const roleChange = await api.expectNothingAppended('ent', () =>
        sam.put('/v1/teams/ent/members/dan/role', { role: 'member' }),
      );
      expectProblem(roleChange, 403, { permission: 'team.members.roles.manage' });
    });

    it('refuses a developer changing the firewall: 403 project.firewall.manage', async () => {
      const dan = await api.as('dan');
      const response = await api.expectNothingAppended('ent', () =>
        dan.patch('/v1/teams/ent/projects/web/security', { firewall: { enabled: false } }),
      );
      expectProblem(response, 403, { permission: 'project.firewall.manage', projectId: 'web' });
    });
  });

  it('20 concurrent member additions by two owners all land, in one stream, without client retries', async () => {
    await alice.post('/v1/teams', { id: 'busy', name: 'Busy', plan: 'enterprise' }).expect(201);
    await addMember('busy', 'olga', 'owner').expect(201);
    const olga = await api.as('olga');
    const before = await api.teamRevision('busy');
    const users = Array.from({ length: 20 }, (_, i) => `user-${i}`);

    const responses = await Promise.all(
      users.map((userId, i) => addMember('busy', userId, 'member', i % 2 ? olga : alice)),
    );

    expect(responses.map((r) => r.status)).toEqual(users.map(() => 201));
    expect(await api.teamRevision('busy')).toBe(before + 20);
    const added = (await api.teamEvents('busy'))
      .filter((e) => e.type === 'MemberAdded')
      .map((e) => (e.data as { userId: string }).userId);
    expect(added.filter((u) => u.startsWith('user-')).sort()).toEqual([...users].sort());
    expect(new Set(responses.map((r) => r.body.streamRevision)).size).toBe(20);
  });

  describe('Idempotency-Key and If-Match', () => {
    beforeAll(async () => {
      await alice.post('/v1/teams', { id: 'idem', name: 'Idempotent', plan: 'enterprise' }).expect(201);
    });

    it('a retry with the same key and body returns the first answer and appends nothing; another body is 409', async () => {
      const first = await alice
        .post('/v1/teams/idem/members', { userId: 'ivy', role: 'member' })
        .set('Idempotency-Key', 'add-ivy-1')
        .expect(201);
      const retry = await api.expectNothingAppended('idem', () =>
        alice.post('/v1/teams/idem/members', { role: 'member', userId: 'ivy' }).set('Idempotency-Key', 'add-ivy-1'),
      );
      expect(retry.status).toBe(201);
      expect(retry.body).toEqual(first.body);
      expect(retry.headers['idempotent-replayed']).toBe('true');

      const otherBody = await api.expectNothingAppended('idem', () =>
        alice.post('/v1/teams/idem/members', { userId: 'ivy', role: 'developer' }).set('Idempotency-Key', 'add-ivy-1'),
      );
      expectProblem(otherBody, 409);
    });

    it('a refused command is remembered too: its retry gets the same refusal', async () => {
      const mallory = await api.as('mallory');
      await addMember('idem', 'mallory', 'member').expect(201);
      const first = await api.expectNothingAppended('idem', () =>
        addMember('idem', 'x', 'member', mallory).set('Idempotency-Key', 'mallory-invites'),
      );
      expectProblem(first, 403, { permission: 'team.members.invite' });
      const retry = await api.expectNothingAppended('idem', () =>
        addMember('idem', 'x', 'member', mallory).set('Idempotency-Key', 'mallory-invites'),
      );
      expect({ status: retry.status, body: retry.body, replayed: retry.headers['idempotent-replayed'] }).toEqual({
        status: 403,
        body: first.body,
        replayed: 'true',
      });
    });

    it('keys belong to their actor: the same key used by another user runs as a new request', async () => {
      await alice
        .post('/v1/teams/idem/members', { userId: 'kim', role: 'member' })
        .set('Idempotency-Key', 'shared-key')
        .expect(201);
      await addMember('idem', 'olaf', 'owner').expect(201);
      const olaf = await api.as('olaf');
      const response = await api.expectNothingAppended('idem', () =>
        olaf.post('/v1/teams/idem/members', { userId: 'kim', role: 'member' }).set('Idempotency-Key', 'shared-key'),
      );
      expectProblem(response, 422, { rule: 'member.not-already-in-team' });
      expect(response.headers['idempotent-replayed']).toBeUndefined();
    });

    it('concurrent duplicates with one key run the command once', async () => {
      const before = await api.teamRevision('idem');
      const send = () =>
        alice.post('/v1/teams/idem/members', { userId: 'zed', role: 'member' }).set('Idempotency-Key', 'zed-once');
      const responses = await Promise.all([send(), send(), send()]);
      expect(await api.teamRevision('idem')).toBe(before + 1);
      for (const response of responses) expect([201, 409]).toContain(response.status);
      expect(responses.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] === undefined)).toHaveLength(
        1,
      );
    });

    it('If-Match with a stale revision is 409 and appends nothing; with the ETag it applies', async () => {
      const current = await alice.post('/v1/teams/idem/members', { userId: 'una', role: 'developer' }).expect(201);
      const etag = current.headers['etag'];
      expect(etag).toBe(`"${current.body.streamRevision}"`);
      await alice.post('/v1/teams/idem/members', { userId: 'vic', role: 'developer' }).expect(201);

      const stale = await api.expectNothingAppended('idem', () =>
        alice.put('/v1/teams/idem/members/una/role', { role: 'member' }).set('If-Match', etag!),
      );
      expectProblem(stale, 409, { currentRevision: current.body.streamRevision + 1 });

      const fresh = await alice
        .put('/v1/teams/idem/members/una/role', { role: 'member' })
        .set('If-Match', String(current.body.streamRevision + 1))
        .expect(200);
      expect(fresh.body.streamRevision).toBe(current.body.streamRevision + 2);
    });

    it('keys survive a restart: the reopened app on the same DATA_DIR replays the first answer', async () => {
      const first = await alice
        .post('/v1/teams/idem/members', { userId: 'wes', role: 'member' })
        .set('Idempotency-Key', 'before-restart')
        .expect(201);
      await api.close({ keepData: true });
      const reopened = await startTestApi({ dataDir: api.config.dataDir });
      try {
        const sameAlice = await reopened.as('alice');
        const retry = await reopened.expectNothingAppended('idem', () =>
          sameAlice
            .post('/v1/teams/idem/members', { userId: 'wes', role: 'member' })
            .set('Idempotency-Key', 'before-restart'),
        );
        expect({ status: retry.status, body: retry.body }).toEqual({ status: 201, body: first.body });
      } finally {
        api = reopened;
        alice = await api.as('alice');
      }
    });
  });
});
