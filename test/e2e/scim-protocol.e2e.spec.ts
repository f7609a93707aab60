/**
 * API.md "Directory sync", the SCIM side: the token checked at use (rotated or disconnected is 401), bad input answered
 * in the SCIM error schema with nothing appended, a policy refusal answered 403 naming the rule and recorded as a denial,
 * personal data only in the directory stream's `personal` sub-objects, ids such as `__proto__` as data.
 */
import { directoryStreamId } from '@access-audit/directory-sync';
import { startTestApi, type TestApi, type UserClient } from './support/test-api';

const userSchema = 'urn:ietf:params:scim:schemas:core:2.0:User';
const groupSchema = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const patchOp = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const errorSchema = 'urn:ietf:params:scim:api:messages:2.0:Error';

describe('SCIM protocol (e2e)', () => {
  let api: TestApi;
  let olga: UserClient;

  beforeAll(async () => {
    api = await startTestApi();
    olga = await api.as('olga');
  });
  afterAll(() => api.close());

  async function connect(teamId: string, mappings: object[] = [{ group: 'Engineering', role: 'developer' }]) {
    await olga.post('/v1/teams', { id: teamId, name: teamId, plan: 'enterprise' }).expect(201);
    const connected = await olga.put(`/v1/teams/${teamId}/directory-sync`, { name: 'IdP' }).expect(200);
    await olga.put(`/v1/teams/${teamId}/directory-sync/role-mappings`, { mappings }).expect(200);
    const { directoryId, token } = connected.body as { directoryId: string; token: string };
    const scim = (
      method: 'get' | 'post' | 'put' | 'patch' | 'delete',
      path: string,
      body?: unknown,
      bearer = token,
    ) => {
      const url = `/scim/v2/${directoryId}${path}`;
      const http = api.http();
      const request = http[method](url)
        .set('Authorization', `Bearer ${bearer}`)
        .set('Content-Type', 'application/scim+json');
      return body === undefined ? request : request.send(typeof body === 'string' ? body : JSON.stringify(body));
    };
    return { teamId, directoryId, token, scim };
  }

  /** Asserts a SCIM error answer (RFC 7644 §3.12) and returns its body. */
  function expectScimError(
    response: { status: number; headers: Record<string, string>; text: string },
    status: number,
    scimType?: string,
  ) {
    expect({ status: response.status, type: response.headers['content-type'] }).toEqual({
      status,
      type: expect.stringMatching(/^application\/scim\+json/),
    });
    const body = JSON.parse(response.text) as { schemas: string[]; status: string; scimType?: string; detail: string };
    expect(body).toMatchObject({ schemas: [errorSchema], status: String(status), detail: expect.any(String) });
    if (scimType) expect(body.scimType).toBe(scimType);
    return body;
  }

  /** Neither the team stream nor the directory stream grows while `action` runs. */
  async function nothingAppended<T>(teamId: string, directoryId: string, action: () => PromiseLike<T>): Promise<T> {
    const before = await api.store.streamRevision(directoryStreamId(directoryId));
    const result = await api.expectNothingAppended(teamId, action);
    expect(await api.store.streamRevision(directoryStreamId(directoryId))).toBe(before);
    return result;
  }

  it('checks the bearer token at use: none, wrong, another directory’s, rotated and disconnected are 401', async () => {
    const acme = await connect('tok-acme');
    const other = await connect('tok-other');
    await acme.scim('get', '/Users').expect(200);
    const missing = await api.http().get(`/scim/v2/${acme.directoryId}/Users`);
    expectScimError(missing, 401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    expectScimError(await acme.scim('get', '/Users', undefined, 'scim_wrong'), 401);
    expectScimError(await acme.scim('get', '/Users', undefined, other.token), 401);
    expectScimError(
      await api.http().get('/scim/v2/dir_unknown/Users').set('Authorization', `Bearer ${acme.token}`),
      401,
    );
    const rotated = await olga.put('/v1/teams/tok-acme/directory-sync', { name: 'IdP' }).expect(200);
    expectScimError(await acme.scim('get', '/Users'), 401);
    await acme.scim('get', '/Users', undefined, rotated.body.token as string).expect(200);
    await olga.delete('/v1/teams/tok-acme/directory-sync').expect(200);
    expectScimError(await acme.scim('get', '/ServiceProviderConfig', undefined, rotated.body.token as string), 401);
    await nothingAppended('tok-acme', acme.directoryId, async () =>
      expectScimError(
        await acme.scim('post', '/Users', { schemas: [userSchema], userName: 'x' }, rotated.body.token as string),
        401,
      ),
    );
  });

  it('answers bad input in the SCIM error schema and appends nothing', async () => {
    const { teamId, directoryId, scim } = await connect('bad-input');
    const refusals: Array<
      [string, () => PromiseLike<{ status: number; headers: Record<string, string>; text: string }>, number, string]
    > = [
      ['no userName', () => scim('post', '/Users', { schemas: [userSchema] }), 400, 'invalidValue'],
      ['no schemas', () => scim('post', '/Users', { userName: 'x' }), 400, 'invalidValue'],
      ['not JSON', () => scim('post', '/Users', '{"schemas": ['), 400, 'invalidSyntax'],
      [
        'a prototype key',
        () => scim('post', '/Users', '{"schemas":["' + userSchema + '"],"userName":"x","__proto__":{}}'),
        400,
        'invalidSyntax',
      ],
      [
        'a malformed filter',
        () => scim('get', '/Users?filter=' + encodeURIComponent('userName eq')),
        400,
        'invalidFilter',
      ],
      ['a count that is no number', () => scim('get', '/Users?count=ten'), 400, 'invalidValue'],
      [
        'a group member that is no user',
        () => scim('post', '/Groups', { schemas: [groupSchema], displayName: 'G', members: [{ value: 'ghost' }] }),
        400,
        'invalidValue',
      ],
    ];
    for (const [, request, status, scimType] of refusals)
      await nothingAppended(teamId, directoryId, async () => expectScimError(await request(), status, scimType));
    const created = await scim('post', '/Users', {
      schemas: [userSchema],
      userName: 'Ann@Example.com',
      externalId: 'ann',
    }).expect(201);
    const id = created.body.id as string;
    const more: typeof refusals = [
      [
        'a userName taken in another case',
        () => scim('post', '/Users', { schemas: [userSchema], userName: 'ann@example.COM' }),
        409,
        'uniqueness',
      ],
      [
        'an unknown PATCH op',
        () =>
          scim('patch', `/Users/${id}`, {
            schemas: [patchOp],
            Operations: [{ op: 'merge', path: 'title', value: 'x' }],
          }),
        400,
        'invalidSyntax',
      ],
      [
        'a PATCH of the id',
        () =>
          scim('patch', `/Users/${id}`, {
            schemas: [patchOp],
            Operations: [{ op: 'replace', path: 'id', value: 'x' }],
          }),
        400,
        'mutability',
      ],
      [
        'a PATCH path into the prototype',
        () =>
          scim('patch', `/Users/${id}`, {
            schemas: [patchOp],
            Operations: [{ op: 'add', path: '__proto__.scimPolluted', value: 'x' }],
          }),
        400,
        'invalidPath',
      ],
      [
        'a path-less PATCH value keyed into the prototype',
        () =>
          scim('patch', `/Users/${id}`, {
            schemas: [patchOp],
            Operations: [{ op: 'replace', value: { 'constructor.prototype.scimPolluted': 'x' } }],
          }),
        400,
        'invalidPath',
      ],
      ['an unknown user', () => scim('put', '/Users/__proto__', { schemas: [userSchema], userName: 'x' }), 404, ''],
      ['an unknown group', () => scim('delete', '/Groups/constructor'), 404, ''],
    ];
    for (const [, request, status, scimType] of more)
      await nothingAppended(teamId, directoryId, async () =>
        expectScimError(await request(), status, scimType || undefined),
      );
    expectScimError(await scim('get', '/Users/__proto__'), 404);
    expect(({} as Record<string, unknown>)['scimPolluted']).toBeUndefined();
  });

  it('refuses a user whose member userId would be a directory’s actor id (scim:…), 400 naming the attribute', async () => {
    const { teamId, directoryId, scim } = await connect('actor-like-user');
    const error = await nothingAppended(teamId, directoryId, async () =>
      expectScimError(
        await scim('post', '/Users', { schemas: [userSchema], userName: 'ann', externalId: `scim:${directoryId}` }),
        400,
        'invalidValue',
      ),
    );
    expect(error.detail).toMatch(/^externalId .*scim:/);
    expect((await scim('get', '/Users').expect(200)).body.totalResults).toBe(0);
    // A userName is never a user id, so one that looks like an actor id is only a name.
    const named = await scim('post', '/Users', { schemas: [userSchema], userName: 'scim:dir_x' }).expect(201);
    expect(named.body.userName).toBe('scim:dir_x');
  });

  it('accepts application/json bodies too and answers application/scim+json with Location on create', async () => {
    const { directoryId, token } = await connect('json-too');
    const created = await api
      .http()
      .post(`/scim/v2/${directoryId}/Users`)
      .set('Authorization', `Bearer ${token}`)
      .send({ schemas: [userSchema], userName: 'dana' })
      .expect(201);
    expect(created.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(created.headers['location']).toBe(`/scim/v2/${directoryId}/Users/${created.body.id as string}`);
    const config = await api
      .http()
      .get(`/scim/v2/${directoryId}/ServiceProviderConfig`)
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    expect(config.body).toMatchObject({
      patch: { supported: true },
      filter: { supported: true },
      bulk: { supported: false },
    });
    const types = await api
      .http()
      .get(`/scim/v2/${directoryId}/ResourceTypes`)
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    expect((types.body.Resources as Array<{ id: string }>).map((r) => r.id)).toEqual(['User', 'Group']);
    const schemas = await api
      .http()
      .get(`/scim/v2/${directoryId}/Schemas`)
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    expect((schemas.body.Resources as Array<{ id: string }>).map((r) => r.id)).toContain(userSchema);
    await api
      .http()
      .get(`/scim/v2/${directoryId}/Schemas/${encodeURIComponent(groupSchema)}`)
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    expectScimError(
      await api.http().get(`/scim/v2/${directoryId}/ResourceTypes/__proto__`).set('Authorization', `Bearer ${token}`),
      404,
    );
  });

  it('pages with startIndex and count, and filters with and', async () => {
    const { scim } = await connect('paging');
    for (const name of ['u1', 'u2', 'u3', 'u4', 'u5'])
      await scim('post', '/Users', {
        schemas: [userSchema],
        userName: name,
        externalId: `x-${name}`,
        title: name < 'u3' ? 'lead' : 'dev',
      }).expect(201);
    const page = await scim('get', '/Users?startIndex=2&count=2').expect(200);
    expect(page.body).toMatchObject({ totalResults: 5, startIndex: 2, itemsPerPage: 2 });
    expect((page.body.Resources as Array<{ userName: string }>).map((u) => u.userName)).toEqual(['u2', 'u3']);
    const filtered = await scim(
      'get',
      `/Users?filter=${encodeURIComponent('title eq "dev" and externalId eq "x-u4"')}`,
    ).expect(200);
    expect((filtered.body.Resources as Array<{ userName: string }>).map((u) => u.userName)).toEqual(['u4']);
    const none = await scim('get', '/Users?count=0').expect(200);
    expect(none.body).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
  });

  it('a change the policy refuses is 403 naming the rule, recorded as a denial, and leaves the team as it was', async () => {
    // The owner is also in the directory, in a group mapped to developer: demoting an owner needs a mapping naming owner.
    const { teamId, directoryId, scim } = await connect('refused');
    const boss = await scim('post', '/Users', {
      schemas: [userSchema],
      userName: 'olga@example.com',
      externalId: 'olga',
    }).expect(201);
    const before = await api.teamRevision(teamId);
    const refused = await scim('post', '/Groups', {
      schemas: [groupSchema],
      displayName: 'Engineering',
      members: [{ value: boss.body.id }],
    });
    const error = expectScimError(refused, 403);
    expect(error.detail).toContain('directory.owner-needs-mapping');
    expect(await api.teamRevision(teamId)).toBe(before);
    const head = encodeURIComponent((await api.store.headPosition())!);
    const team = await olga.get(`/v1/teams/${teamId}?minPosition=${head}`).expect(200);
    expect(team.body.members).toEqual([expect.objectContaining({ userId: 'olga', role: 'owner' })]);
    const denials = await olga.get(`/v1/teams/${teamId}/audit?type=access.denied&minPosition=${head}`).expect(200);
    expect(denials.body.entries).toEqual([
      expect.objectContaining({
        actor: `scim:${directoryId}`,
        target: { userId: 'olga' },
        context: expect.objectContaining({ requestId: refused.headers['x-request-id'] }),
        denial: expect.objectContaining({ commandType: 'ChangeTeamRole', rule: 'directory.owner-needs-mapping' }),
      }),
    ]);
  });

  it('a leaver who is the last owner stays, the deactivation answered 403 naming team.at-least-one-owner', async () => {
    const { teamId, directoryId, scim } = await connect('last-owner', [{ group: 'Admins', role: 'owner' }]);
    const boss = await scim('post', '/Users', { schemas: [userSchema], userName: 'boss', externalId: 'boss' }).expect(
      201,
    );
    await scim('post', '/Groups', {
      schemas: [groupSchema],
      displayName: 'Admins',
      members: [{ value: boss.body.id }],
    }).expect(201);
    await olga.delete(`/v1/teams/${teamId}/members/olga`).expect(200);
    const before = await api.teamRevision(teamId);
    const refused = await scim('patch', `/Users/${boss.body.id as string}`, {
      schemas: [patchOp],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    expect(expectScimError(refused, 403).detail).toContain('team.at-least-one-owner');
    expect(await api.teamRevision(teamId)).toBe(before);
    const bossClient = await api.as('boss');
    const head = encodeURIComponent((await api.store.headPosition())!);
    const denials = await bossClient
      .get(`/v1/teams/${teamId}/audit?type=access.denied&minPosition=${head}`)
      .expect(200);
    expect(denials.body.entries).toEqual([
      expect.objectContaining({
        actor: `scim:${directoryId}`,
        denial: expect.objectContaining({ commandType: 'RemoveMember' }),
      }),
    ]);
  });

  it('a leaver DELETEd while the last owner does not stay for good: a retried DELETE (404) or the mappings set again removes them', async () => {
    for (const retry of ['delete again', 'set the mappings again'] as const) {
      const { teamId, directoryId, scim } = await connect(`deleted-owner-${retry.split(' ')[0]!}`, [
        { group: 'Admins', role: 'owner' },
      ]);
      const boss = await scim('post', '/Users', { schemas: [userSchema], userName: 'boss', externalId: 'boss' }).expect(
        201,
      );
      await scim('post', '/Groups', {
        schemas: [groupSchema],
        displayName: 'Admins',
        members: [{ value: boss.body.id }],
      }).expect(201);
      await olga.delete(`/v1/teams/${teamId}/members/olga`).expect(200);
      const refused = await scim('delete', `/Users/${boss.body.id as string}`);
      expect(expectScimError(refused, 403).detail).toContain('team.at-least-one-owner');
      const bossClient = await api.as('boss');
      await bossClient.post(`/v1/teams/${teamId}/members`, { userId: 'carol', role: 'owner' }).expect(201);
      if (retry === 'delete again') {
        // The directory already forgot the user: the retry is 404, and the leaver still goes.
        expectScimError(await scim('delete', `/Users/${boss.body.id as string}`), 404);
      } else {
        const carol = await api.as('carol');
        await carol
          .put(`/v1/teams/${teamId}/directory-sync/role-mappings`, { mappings: [{ group: 'Admins', role: 'owner' }] })
          .expect(200);
      }
      const head = encodeURIComponent((await api.store.headPosition())!);
      const carol = await api.as('carol');
      const team = await carol.get(`/v1/teams/${teamId}?minPosition=${head}`).expect(200);
      expect((team.body.members as Array<{ userId: string }>).map((m) => m.userId)).toEqual(['carol']);
      const audit = await carol
        .get(
          `/v1/teams/${teamId}/audit?type=team.member.removed&actor=${encodeURIComponent(`scim:${directoryId}`)}&minPosition=${head}`,
        )
        .expect(200);
      expect(audit.body.entries).toEqual([
        expect.objectContaining({ actor: `scim:${directoryId}`, target: { userId: 'boss' } }),
      ]);
    }
  });

  it('a leaver still refused (the last owner) does not turn another user’s DELETE into a refusal', async () => {
    const { teamId, scim } = await connect('sweep-refused', [
      { group: 'Admins', role: 'owner' },
      { group: 'Engineering', role: 'developer' },
    ]);
    const boss = await scim('post', '/Users', { schemas: [userSchema], userName: 'boss', externalId: 'boss' }).expect(
      201,
    );
    const ann = await scim('post', '/Users', { schemas: [userSchema], userName: 'ann', externalId: 'ann' }).expect(201);
    await scim('post', '/Groups', {
      schemas: [groupSchema],
      displayName: 'Admins',
      members: [{ value: boss.body.id }],
    });
    await scim('post', '/Groups', {
      schemas: [groupSchema],
      displayName: 'Engineering',
      members: [{ value: ann.body.id }],
    }).expect(201);
    await olga.delete(`/v1/teams/${teamId}/members/olga`).expect(200);
    expectScimError(await scim('delete', `/Users/${boss.body.id as string}`), 403);
    await scim('delete', `/Users/${ann.body.id as string}`).expect(204);
    const head = encodeURIComponent((await api.store.headPosition())!);
    const team = await (await api.as('boss')).get(`/v1/teams/${teamId}?minPosition=${head}`).expect(200);
    expect((team.body.members as Array<{ userId: string }>).map((m) => m.userId)).toEqual(['boss']);
  });

  it('a group DELETEd while its member is the last owner: the retried DELETE (404) takes what the group gave', async () => {
    const { teamId, directoryId, scim } = await connect('deleted-group', [{ group: 'Admins', role: 'owner' }]);
    const boss = await scim('post', '/Users', { schemas: [userSchema], userName: 'boss', externalId: 'boss' }).expect(
      201,
    );
    const admins = await scim('post', '/Groups', {
      schemas: [groupSchema],
      displayName: 'Admins',
      members: [{ value: boss.body.id }],
    }).expect(201);
    await olga.delete(`/v1/teams/${teamId}/members/olga`).expect(200);
    const refused = await scim('delete', `/Groups/${admins.body.id as string}`);
    expect(expectScimError(refused, 403).detail).toContain('team.at-least-one-owner');
    const bossClient = await api.as('boss');
    await bossClient.post(`/v1/teams/${teamId}/members`, { userId: 'carol', role: 'owner' }).expect(201);
    expectScimError(await scim('delete', `/Groups/${admins.body.id as string}`), 404);
    const head = encodeURIComponent((await api.store.headPosition())!);
    const carol = await api.as('carol');
    const team = await carol.get(`/v1/teams/${teamId}?minPosition=${head}`).expect(200);
    expect((team.body.members as Array<{ userId: string }>).map((m) => m.userId)).toEqual(['carol']);
    const audit = await carol
      .get(
        `/v1/teams/${teamId}/audit?type=team.member.removed&actor=${encodeURIComponent(`scim:${directoryId}`)}&minPosition=${head}`,
      )
      .expect(200);
    expect(audit.body.entries).toEqual([expect.objectContaining({ target: { userId: 'boss' } })]);
  });

  it('a member PATCHed out of a group while the last owner: the retried PATCH (nothing to append) or a later group write takes what the group gave', async () => {
    for (const retry of ['patch again', 'another group'] as const) {
      const { teamId, directoryId, scim } = await connect(`removed-member-${retry.split(' ')[0]!}`, [
        { group: 'Admins', role: 'owner' },
      ]);
      const boss = await scim('post', '/Users', { schemas: [userSchema], userName: 'boss', externalId: 'boss' }).expect(
        201,
      );
      const admins = await scim('post', '/Groups', {
        schemas: [groupSchema],
        displayName: 'Admins',
        members: [{ value: boss.body.id }],
      }).expect(201);
      await olga.delete(`/v1/teams/${teamId}/members/olga`).expect(200);
      const removal = {
        schemas: [patchOp],
        Operations: [{ op: 'remove', path: `members[value eq "${boss.body.id as string}"]` }],
      };
      const refused = await scim('patch', `/Groups/${admins.body.id as string}`, removal);
      expect(expectScimError(refused, 403).detail).toContain('team.at-least-one-owner');
      const bossClient = await api.as('boss');
      await bossClient.post(`/v1/teams/${teamId}/members`, { userId: 'carol', role: 'owner' }).expect(201);
      const directoryRevision = await api.store.streamRevision(directoryStreamId(directoryId));
      if (retry === 'patch again') {
        // The directory already holds the removal: the retry appends nothing to it, yet the member still goes.
        const retried = await scim('patch', `/Groups/${admins.body.id as string}`, removal);
        expect(retried.status).toBeLessThan(300);
        expect(await api.store.streamRevision(directoryStreamId(directoryId))).toBe(directoryRevision);
      } else {
        await scim('post', '/Groups', { schemas: [groupSchema], displayName: 'Sales' }).expect(201);
      }
      const head = encodeURIComponent((await api.store.headPosition())!);
      const carol = await api.as('carol');
      const team = await carol.get(`/v1/teams/${teamId}?minPosition=${head}`).expect(200);
      expect((team.body.members as Array<{ userId: string }>).map((m) => m.userId)).toEqual(['carol']);
      const audit = await carol
        .get(
          `/v1/teams/${teamId}/audit?type=team.member.removed&actor=${encodeURIComponent(`scim:${directoryId}`)}&minPosition=${head}`,
        )
        .expect(200);
      expect(audit.body.entries).toEqual([expect.objectContaining({ target: { userId: 'boss' } })]);
    }
  });

  it('new role mappings apply at once to every user the directory holds, correlated with the owner’s request', async () => {
    const { teamId, directoryId, scim } = await connect('remap', [{ group: 'Sales', role: 'billing' }]);
    const ann = await scim('post', '/Users', { schemas: [userSchema], userName: 'ann', externalId: 'ann' }).expect(201);
    await scim('post', '/Groups', {
      schemas: [groupSchema],
      displayName: 'Engineering',
      members: [{ value: ann.body.id }],
    }).expect(201);
    const members = async () => {
      const head = encodeURIComponent((await api.store.headPosition())!);
      const team = await olga.get(`/v1/teams/${teamId}?minPosition=${head}`).expect(200);
      return Object.fromEntries(
        (team.body.members as Array<{ userId: string; role: string }>).map((m) => [m.userId, m.role]),
      );
    };
    expect(await members()).toEqual({ olga: 'owner' });
    const mapped = await olga
      .put(`/v1/teams/${teamId}/directory-sync/role-mappings`, {
        mappings: [{ group: 'Engineering', role: 'developer' }],
      })
      .expect(200);
    expect(await members()).toEqual({ olga: 'owner', ann: 'developer' });
    const head = encodeURIComponent((await api.store.headPosition())!);
    const audit = await olga
      .get(`/v1/teams/${teamId}/audit?actor=${encodeURIComponent(`scim:${directoryId}`)}&minPosition=${head}`)
      .expect(200);
    expect(audit.body.entries).toEqual([
      expect.objectContaining({
        action: 'team.member.added',
        target: { userId: 'ann' },
        context: expect.objectContaining({ requestId: mapped.headers['x-request-id'] }),
      }),
    ]);
    await olga.put(`/v1/teams/${teamId}/directory-sync/role-mappings`, { mappings: [] }).expect(200);
    expect(await members()).toEqual({ olga: 'owner' });
  });

  it('keeps names and e-mails in the directory stream’s personal sub-objects only; ids such as __proto__ are data', async () => {
    const { teamId, directoryId, scim } = await connect('privacy', [{ group: '__proto__', role: 'member' }]);
    const user = await scim('post', '/Users', {
      schemas: [userSchema],
      userName: 'zoe.quinn@example.com',
      externalId: 'constructor',
      name: { givenName: 'Zoe', familyName: 'Quinn' },
      displayName: 'Zoe Quinn',
      emails: [{ value: 'zoe.quinn@example.com', primary: true }],
      phoneNumbers: [{ value: '+44 20 7946 0000' }],
    }).expect(201);
    await scim('post', '/Groups', {
      schemas: [groupSchema],
      displayName: '__proto__',
      members: [{ value: user.body.id, display: 'Zoe Quinn' }],
    }).expect(201);
    const head = encodeURIComponent((await api.store.headPosition())!);
    const team = await olga.get(`/v1/teams/${teamId}?minPosition=${head}`).expect(200);
    expect((team.body.members as Array<{ userId: string; role: string }>).map((m) => [m.userId, m.role])).toEqual(
      expect.arrayContaining([['constructor', 'member']]),
    );
    const personal = /Zoe|Quinn|example\.com|7946/;
    expect(JSON.stringify(await api.teamEvents(teamId))).not.toMatch(personal);
    const audit = await olga.get(`/v1/teams/${teamId}/audit?minPosition=${head}&limit=1000`).expect(200);
    expect(JSON.stringify(audit.body)).not.toMatch(personal);
    const directoryEvents = await api.store.readStream(directoryStreamId(directoryId));
    expect(directoryEvents.map((e) => e.type)).toEqual(['DirectoryUserProvisioned', 'DirectoryGroupCreated']);
    for (const event of directoryEvents) {
      const { personal: _personal, ...rest } = event.data as { personal?: unknown };
      expect(JSON.stringify(rest)).not.toMatch(personal);
      expect(event.metadata).toMatchObject({ actorId: `scim:${directoryId}`, correlationId: expect.any(String) });
    }
    // The personal sub-object is stored sealed under the member's key; the SCIM answer opens it.
    const stored = (directoryEvents[0]!.data as { personal: unknown }).personal;
    expect(stored).toMatchObject({ $sealed: 1, subjects: ['constructor'] });
    expect(JSON.stringify(stored)).not.toMatch(personal);
    const read = await scim('get', `/Users/${user.body.id as string}`).expect(200);
    expect(read.body).toMatchObject({ userName: 'zoe.quinn@example.com', name: { givenName: 'Zoe' } });
  });
});
