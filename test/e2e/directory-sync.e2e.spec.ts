/**
 * API.md "Directory sync": connecting a team's identity provider, rotating its token and disconnecting it are team
 * commands with events and audit entries; the token is shown once and never enters the log.
 */
import { createHash } from 'node:crypto';
import { startTestApi, type TestApi, type UserClient } from './support/test-api';

describe('directory sync connection (e2e)', () => {
  let api: TestApi;
  let olga: UserClient;

  beforeAll(async () => {
    api = await startTestApi();
    olga = await api.as('olga');
    await olga.post('/v1/teams', { id: 'acme', name: 'Acme', plan: 'enterprise' }).expect(201);
    await olga.post('/v1/teams/acme/members', { userId: 'mia', role: 'member' }).expect(201);
    await olga.post('/v1/teams', { id: 'small', name: 'Small', plan: 'pro' }).expect(201);
  });
  afterAll(() => api.close());

  /** Every event of the store, as text: where a secret must never be. */
  const everything = async (): Promise<string> => {
    const all: unknown[] = [];
    for await (const event of api.store.readAll()) all.push(event);
    return JSON.stringify(all);
  };

  it('an owner connects: the token is answered once, the log holds only its hash, the audit log the connection', async () => {
    const connected = await olga
      .put('/v1/teams/acme/directory-sync', { name: 'Okta', reason: 'SSO rollout' })
      .expect(200);
    const { directoryId, scimBaseUrl, token } = connected.body as {
      directoryId: string;
      scimBaseUrl: string;
      token: string;
    };
    expect(scimBaseUrl).toBe(`/scim/v2/${directoryId}`);
    expect(token).toMatch(/^scim_[A-Za-z0-9_-]{43}$/);
    expect(connected.body.events).toEqual([{ id: expect.any(String), type: 'DirectoryConnected' }]);
    const log = await everything();
    expect(log).not.toContain(token);
    expect(log).toContain(createHash('sha256').update(token).digest('hex'));
    const audit = await olga
      .get(
        `/v1/teams/acme/audit?type=team.directory_sync.connected&minPosition=${encodeURIComponent(connected.body.position)}`,
      )
      .expect(200);
    expect(audit.body.entries).toHaveLength(1);
    expect(audit.body.entries[0]).toMatchObject({
      actor: 'olga',
      reason: 'SSO rollout',
      after: { directoryId, name: 'Okta' },
    });
    expect(JSON.stringify(audit.body)).not.toContain('tokenHash');
  });

  it('connecting again rotates the token; the directory id and SCIM URL stay', async () => {
    const first = await olga.put('/v1/teams/acme/directory-sync', { name: 'Okta' }).expect(200);
    const second = await olga.put('/v1/teams/acme/directory-sync', { name: 'Okta' }).expect(200);
    expect(second.body.directoryId).toBe(first.body.directoryId);
    expect(second.body.token).not.toBe(first.body.token);
    expect(second.body.events).toEqual([{ id: expect.any(String), type: 'DirectoryTokenRotated' }]);
    const log = await everything();
    expect(log).not.toContain(first.body.token);
    expect(log).not.toContain(second.body.token);
  });

  it('refuses an Idempotency-Key (400): the answer holds a token shown once, never stored to replay', async () => {
    const refused = await api.expectNothingAppended('acme', () =>
      olga.put('/v1/teams/acme/directory-sync', { name: 'Okta' }).set('Idempotency-Key', 'k-1').expect(400),
    );
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key', rule: 'notAccepted' })]);
  });

  it('a member who is not an owner is refused (403 team.members.roles.manage) and nothing is appended', async () => {
    const mia = await api.as('mia');
    const refused = await api.expectNothingAppended('acme', () =>
      mia.put('/v1/teams/acme/directory-sync', { name: 'Evil IdP' }).expect(403),
    );
    expect(refused.body.permission).toBe('team.members.roles.manage');
    await api.expectNothingAppended('acme', () => mia.delete('/v1/teams/acme/directory-sync').expect(403));
  });

  it('a Pro team is refused (422 plan.directory-sync-available); a bad name is 400; both append nothing', async () => {
    const refused = await api.expectNothingAppended('small', () =>
      olga.put('/v1/teams/small/directory-sync', { name: 'Okta' }).expect(422),
    );
    expect(refused.body.rule).toBe('plan.directory-sync-available');
    const invalid = await api.expectNothingAppended('acme', () =>
      olga.put('/v1/teams/acme/directory-sync', { name: '' }).expect(400),
    );
    expect(invalid.body.errors[0]).toMatchObject({ field: 'name' });
  });

  it('disconnecting records DirectoryDisconnected; disconnecting again is 404 (rule directory-sync.connected)', async () => {
    const disconnected = await olga.delete('/v1/teams/acme/directory-sync', { reason: 'moving IdP' }).expect(200);
    expect(disconnected.body.events).toEqual([{ id: expect.any(String), type: 'DirectoryDisconnected' }]);
    const again = await api.expectNothingAppended('acme', () =>
      olga.delete('/v1/teams/acme/directory-sync').expect(404),
    );
    expect(again.body.rule).toBe('directory-sync.connected');
  });
});
