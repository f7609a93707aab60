/**
 * API.md "Directory sync": role mappings are a team command (PUT …/directory-sync/role-mappings) with its event and audit
 * entry; GET /v1/teams/{teamId} shows the directory and its mappings, never its token's hash; and the directory's own
 * changes (through DirectoryReconciler) are normal commands whose actor is `scim:{directoryId}` (POLICY.md, directory row).
 */
import type { TeamCommands } from '@access-audit/application';
import { desiredMembership, DirectoryReconciler } from '@access-audit/directory-sync';
import {
  DirectoryMappingsListeners,
  type DirectoryMappingsSet,
} from '../../apps/api/src/commands/directory-mappings-listeners';
import { TEAM_COMMANDS } from '../../apps/api/src/commands/team-commands.provider';
import { startTestApi, type TestApi, type UserClient } from './support/test-api';

describe('directory role mappings (e2e)', () => {
  let api: TestApi;
  let olga: UserClient;
  let directoryId: string;
  const mappings = [
    { group: 'Engineering', role: 'developer', permissionGroups: ['create_project'] },
    { group: '00gAdmins', role: 'owner' },
    { group: 'Auditors', role: 'viewer' },
  ];

  beforeAll(async () => {
    api = await startTestApi();
    olga = await api.as('olga');
    await olga.post('/v1/teams', { id: 'acme', name: 'Acme', plan: 'enterprise' }).expect(201);
    await olga.post('/v1/teams/acme/members', { userId: 'mia', role: 'member' }).expect(201);
    await olga.post('/v1/teams', { id: 'bare', name: 'Bare', plan: 'enterprise' }).expect(201);
    const connected = await olga.put('/v1/teams/acme/directory-sync', { name: 'Okta' }).expect(200);
    directoryId = connected.body.directoryId as string;
  });
  afterAll(() => api.close());

  it('a preview appends nothing and shows the event; the owner then sets them: event, audit entry, team view', async () => {
    const preview = await api.expectNothingAppended('acme', () =>
      olga.put('/v1/teams/acme/directory-sync/role-mappings?dryRun=true', { mappings }).expect(200),
    );
    expect(preview.body).toMatchObject({ dryRun: true, permissionChanges: [] });
    expect(preview.body.events).toEqual([expect.objectContaining({ type: 'DirectoryRoleMappingsSet' })]);

    const set = await olga
      .put('/v1/teams/acme/directory-sync/role-mappings', { mappings, reason: 'IdP groups agreed with IT' })
      .expect(200);
    expect(set.body.events).toEqual([{ id: expect.any(String), type: 'DirectoryRoleMappingsSet' }]);
    // `viewer` is stored as the role it stands for.
    const stored = [mappings[0], mappings[1], { group: 'Auditors', role: 'enterprise_viewer' }];
    expect((await api.teamEvents('acme')).at(-1)!.data).toMatchObject({
      directoryId,
      before: { mappings: [] },
      after: { mappings: stored },
    });
    const position = encodeURIComponent(set.body.position as string);
    const audit = await olga
      .get(`/v1/teams/acme/audit?type=team.directory_sync.role_mappings_set&minPosition=${position}`)
      .expect(200);
    expect(audit.body.entries).toEqual([
      expect.objectContaining({
        actor: 'olga',
        reason: 'IdP groups agreed with IT',
        before: { mappings: [] },
        after: { mappings: stored },
      }),
    ]);
    const team = await olga.get(`/v1/teams/acme?minPosition=${position}`).expect(200);
    expect(team.body.directory).toEqual({ directoryId, name: 'Okta', mappings: stored });
    expect(JSON.stringify(team.body)).not.toMatch(/tokenHash|[0-9a-f]{64}/);
  });

  it('once set (even unchanged), the registered listeners are told, so the directory side reconciles; a preview or a refusal tells none', async () => {
    const told: DirectoryMappingsSet[] = [];
    api.app.get(DirectoryMappingsListeners).register(async (change) => {
      told.push(change);
    });
    await olga.put('/v1/teams/acme/directory-sync/role-mappings?dryRun=true', { mappings }).expect(200);
    await olga
      .put('/v1/teams/acme/directory-sync/role-mappings', { mappings: [{ group: 'Eng', role: 'admin' }] })
      .expect(400);
    await (await api.as('mia')).put('/v1/teams/acme/directory-sync/role-mappings', { mappings }).expect(403);
    expect(told).toEqual([]);
    const again = await olga
      .put('/v1/teams/acme/directory-sync/role-mappings', { mappings })
      .set('X-Request-Id', 'mappings-req-1')
      .expect(200);
    expect(again.body.events).toEqual([]);
    expect(told).toEqual([expect.objectContaining({ teamId: 'acme', directoryId, correlationId: 'mappings-req-1' })]);
  });

  it('a stale If-Match is 409 and appends nothing; group names such as __proto__ and constructor are data', async () => {
    const stale = await api.expectNothingAppended('acme', () =>
      olga.put('/v1/teams/acme/directory-sync/role-mappings', { mappings }).set('If-Match', '"0"').expect(409),
    );
    expect(stale.body.type).toBe('urn:access-audit:problem:revision-mismatch');
    const odd = [
      { group: '__proto__', role: 'developer' },
      { group: 'constructor', permissionGroups: ['usage_viewer'] },
    ];
    const set = await olga.put('/v1/teams/bare/directory-sync', { name: 'Entra ID' }).expect(200);
    const done = await olga.put('/v1/teams/bare/directory-sync/role-mappings', { mappings: odd }).expect(200);
    const team = await olga
      .get(`/v1/teams/bare?minPosition=${encodeURIComponent(done.body.position as string)}`)
      .expect(200);
    expect(team.body.directory).toEqual({ directoryId: set.body.directoryId, name: 'Entra ID', mappings: odd });
    await olga.delete('/v1/teams/bare/directory-sync').expect(200);
  });

  it('a member who is not an owner is refused (403 team.members.roles.manage); nothing is appended', async () => {
    const mia = await api.as('mia');
    const refused = await api.expectNothingAppended('acme', () =>
      mia.put('/v1/teams/acme/directory-sync/role-mappings', { mappings }).expect(403),
    );
    expect(refused.body.permission).toBe('team.members.roles.manage');
  });

  it.each([
    [{ mappings: [{ group: 'Eng', role: 'admin' }] }, 'mappings[0].role'],
    [{ mappings: [{ group: '', role: 'member' }] }, 'mappings[0].group'],
    [{ mappings: [{ group: 'Eng', role: 'developer', permissionGroups: ['root'] }] }, 'mappings[0].permissionGroups'],
    [{ mappings: [{ group: 'Eng', role: 'developer', extra: 1 }] }, 'mappings[0].extra'],
    [
      {
        mappings: [
          { group: 'Eng', role: 'member' },
          { group: 'Eng', role: 'developer' },
        ],
      },
      'mappings[1].group',
    ],
    [{ mappings: [{ group: 'Eng' }] }, 'mappings[0]'],
    [{ mappings: 'Engineering' }, 'mappings'],
  ])('bad input %j is 400 naming %s; nothing is appended', async (body, field) => {
    const refused = await api.expectNothingAppended('acme', () =>
      olga.put('/v1/teams/acme/directory-sync/role-mappings', body).expect(400),
    );
    const fields = [refused.body.field, ...((refused.body.errors as Array<{ field: string }> | undefined) ?? [])]
      .map((e: unknown) => (typeof e === 'string' ? e : (e as { field?: string } | undefined)?.field))
      .filter(Boolean);
    expect(fields).toContain(field);
  });

  it('a group the role may not hold is 422 naming the rule; without a directory it is 404; nothing is appended', async () => {
    const incompatible = await api.expectNothingAppended('acme', () =>
      olga
        .put('/v1/teams/acme/directory-sync/role-mappings', {
          mappings: [{ group: 'Eng', role: 'member', permissionGroups: ['usage_viewer'] }],
        })
        .expect(422),
    );
    expect(incompatible.body.rule).toBe('permission-group.compatible-role');
    const none = await api.expectNothingAppended('bare', () =>
      olga.put('/v1/teams/bare/directory-sync/role-mappings', { mappings }).expect(404),
    );
    expect(none.body.rule).toBe('directory-sync.connected');
  });

  it("the directory's changes are audited with it as actor; a leaver is no longer allowed in /v1/check", async () => {
    const commands = api.app.get<TeamCommands>(TEAM_COMMANDS);
    const reconciler = new DirectoryReconciler({ commands });
    const users = [{ scimId: 'u-1', memberUserId: '00u1ann', active: true }];
    const groups = [{ scimId: 'g-1', displayName: 'Engineering', memberScimIds: ['u-1'] }];
    const context = { directoryId, teamId: 'acme', correlationId: 'scim-req-join' };
    const joined = await reconciler.reconcile(
      desiredMembership(users, groups, mappings as never),
      ['00u1ann'],
      context,
    );
    expect(joined).toMatchObject({ ok: true, positions: [expect.any(String), expect.any(String)] });
    const check = (position: string) =>
      olga
        .get(
          `/v1/check?${new URLSearchParams({ teamId: 'acme', userId: '00u1ann', permission: 'project.create', minPosition: position }).toString()}`,
        )
        .expect(200);
    expect((await check((joined as { positions: string[] }).positions[1]!)).body.allowed).toBe(true);
    const team = await olga.get('/v1/teams/acme').expect(200);
    expect(team.body.members).toContainEqual(
      expect.objectContaining({ userId: '00u1ann', role: 'developer', provisionedBy: directoryId }),
    );

    const left = await reconciler.reconcile(
      desiredMembership([{ ...users[0]!, active: false }], groups, mappings as never),
      ['00u1ann'],
      { ...context, correlationId: 'scim-req-leave' },
    );
    expect(left).toMatchObject({ ok: true, positions: [expect.any(String)] });
    const leftAt = (left as { positions: string[] }).positions[0]!;
    expect((await check(leftAt)).body.allowed).toBe(false);
    const audit = await olga
      .get(
        `/v1/teams/acme/audit?actor=${encodeURIComponent(`scim:${directoryId}`)}&minPosition=${encodeURIComponent(leftAt)}`,
      )
      .expect(200);
    expect(audit.body.entries.map((e: { action: string; actor: string }) => [e.action, e.actor])).toEqual(
      expect.arrayContaining([[expect.stringMatching(/remove/), `scim:${directoryId}`]]),
    );
  });

  it('the directory may not touch a member an owner added by hand: refused with a rule, recorded as a denial', async () => {
    const commands = api.app.get<TeamCommands>(TEAM_COMMANDS);
    const reconciler = new DirectoryReconciler({ commands });
    const refused = await api.expectNothingAppended('acme', () =>
      reconciler.reconcile(new Map(), ['olga'], { directoryId, teamId: 'acme', correlationId: 'scim-req-x' }),
    );
    // Not in any mapped group and not provisioned: left alone, no command at all.
    expect(refused).toEqual({ ok: true, positions: [] });
    const outcome = await api.expectNothingAppended('acme', () =>
      commands.issue(
        { type: 'RemoveMember', teamId: 'acme', data: { userId: 'mia' } },
        { actorId: `scim:${directoryId}`, correlationId: 'scim-req-y' },
      ),
    );
    expect(outcome).toMatchObject({ ok: false, rejection: { rule: 'directory.provisioned-member-only' } });
    const denials = async () =>
      (await api.store.readStream('audit-acme'))
        .map((record) => record.data as { kind: string; actor: string; denial?: { rule: string | null } })
        .filter((entry) => entry.kind === 'denial' && entry.actor === `scim:${directoryId}`)
        .map((entry) => entry.denial?.rule);
    for (let tries = 0; tries < 50 && (await denials()).length === 0; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await denials()).toEqual(['directory.provisioned-member-only']);
  });
});
