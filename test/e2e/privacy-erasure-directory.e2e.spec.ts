import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestApi, type TestApi, type UserClient } from './support/test-api';

const userSchema = 'urn:ietf:params:scim:schemas:core:2.0:User';

/** A directory user's SCIM attributes: sealed under the member's key, answered by SCIM, "[erased]" once erased. */
describe('erasure of a directory-provisioned member (e2e)', () => {
  let api: TestApi;
  let olga: UserClient;

  beforeAll(async () => {
    api = await startTestApi();
    olga = await api.as('olga');
  });
  afterAll(() => api.close());

  it('keeps name and e-mail out of every file, answers them over SCIM, and erases them', async () => {
    await olga.post('/v1/teams', { id: 'dirco', name: 'Dir Co', plan: 'enterprise' }).expect(201);
    const connected = await olga.put('/v1/teams/dirco/directory-sync', { name: 'IdP' }).expect(200);
    const { directoryId, token } = connected.body as { directoryId: string; token: string };
    await olga
      .put('/v1/teams/dirco/directory-sync/role-mappings', { mappings: [{ group: 'Engineering', role: 'developer' }] })
      .expect(200);
    const scim = (method: 'get' | 'post', path: string, body?: unknown) => {
      const http = api.http();
      const request = http[method](`/scim/v2/${directoryId}${path}`)
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', 'application/scim+json');
      return body === undefined ? request : request.send(JSON.stringify(body));
    };
    const created = await scim('post', '/Users', {
      schemas: [userSchema],
      userName: 'wanda.vale@example.org',
      externalId: 'wanda',
      name: { givenName: 'Wanda', familyName: 'Valeska' },
      emails: [{ value: 'wanda.vale@example.org', primary: true }],
    }).expect(201);
    const scimId = created.body.id as string;
    await scim('post', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Engineering',
      members: [{ value: scimId }],
    }).expect(201);
    const raw = () =>
      readdirSync(api.config.dataDir)
        .map((name) => readFileSync(join(api.config.dataDir, name)).toString('latin1'))
        .join('\n');
    expect(raw()).not.toMatch(/wanda\.vale|Valeska/);
    expect((await scim('get', `/Users/${scimId}`).expect(200)).body).toMatchObject({
      userName: 'wanda.vale@example.org',
      name: { familyName: 'Valeska' },
    });

    const operator = await api.as('dpo', { scopes: ['privacy:erase'] });
    const erased = await operator.post('/v1/subjects/wanda/erasure', { reason: 'DSR 31' }).expect(200);
    expect(erased.body).toMatchObject({ userId: 'wanda', teams: [{ teamId: 'dirco', recorded: true }] });
    const after = (await scim('get', `/Users/${scimId}`).expect(200)).body as Record<string, unknown>;
    expect(after).toMatchObject({ id: scimId, externalId: 'wanda', userName: '[erased]' });
    expect(JSON.stringify(after)).not.toMatch(/wanda\.vale|Valeska/);
  });

  it('a user provisioned without externalId becomes a member under the id the service assigned, so erasing it leaves no e-mail in any file', async () => {
    await olga.post('/v1/teams', { id: 'noext', name: 'No Ext', plan: 'enterprise' }).expect(201);
    const connected = await olga.put('/v1/teams/noext/directory-sync', { name: 'Okta' }).expect(200);
    const { directoryId, token } = connected.body as { directoryId: string; token: string };
    await olga
      .put('/v1/teams/noext/directory-sync/role-mappings', { mappings: [{ group: 'Support', role: 'developer' }] })
      .expect(200);
    const scim = (path: string, body: unknown) =>
      api
        .http()
        .post(`/scim/v2/${directoryId}${path}`)
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', 'application/scim+json')
        .send(JSON.stringify(body));
    // Okta's default profile: userName is the login (an e-mail address), no externalId.
    const created = await scim('/Users', {
      schemas: [userSchema],
      userName: 'xavier.quill@example.net',
      emails: [{ value: 'xavier.quill@example.net', primary: true }],
    }).expect(201);
    const scimId = created.body.id as string;
    await scim('/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Support',
      members: [{ value: scimId }],
    }).expect(201);
    const team = (await olga.get('/v1/teams/noext').expect(200)).body as { members: Array<{ userId: string }> };
    expect(team.members.map((member) => member.userId).sort()).toEqual(['olga', scimId].sort());
    const raw = () =>
      readdirSync(api.config.dataDir)
        .map((name) => readFileSync(join(api.config.dataDir, name)).toString('latin1'))
        .join('\n');
    expect(raw()).not.toMatch(/xavier\.quill/);

    const operator = await api.as('dpo', { scopes: ['privacy:erase'] });
    await operator.post(`/v1/subjects/${scimId}/erasure`, { reason: 'DSR 32' }).expect(200);
    const audit = await olga.get('/v1/teams/noext/audit?format=ndjson').expect(200);
    expect(audit.text).toContain(scimId);
    expect(audit.text).not.toMatch(/xavier\.quill/);
    expect(raw()).not.toMatch(/xavier\.quill/);
  });
});
