/**
 * API.md "Directory sync": the requests Okta and Entra ID really send, replayed over HTTP. After each step the team's
 * members, the audit entries with the directory as actor, and /v1/check for leavers are what the mappings say.
 */
import { loadSequence, replay, type RecordedSequence } from './scim/replay';
import { startTestApi, type TestApi, type UserClient } from './support/test-api';

describe('recorded SCIM provisioning sequences (e2e)', () => {
  let api: TestApi;
  let olga: UserClient;

  beforeAll(async () => {
    api = await startTestApi();
    olga = await api.as('olga');
  });
  afterAll(() => api.close());

  /** A new Enterprise team with the directory connected and the sequence's role mappings set by its owner. */
  async function connectedTeam(teamId: string, sequence: RecordedSequence) {
    await olga.post('/v1/teams', { id: teamId, name: teamId, plan: 'enterprise' }).expect(201);
    const connected = await olga.put(`/v1/teams/${teamId}/directory-sync`, { name: sequence.client }).expect(200);
    await olga.put(`/v1/teams/${teamId}/directory-sync/role-mappings`, { mappings: sequence.mappings }).expect(200);
    return { teamId, directoryId: connected.body.directoryId as string, token: connected.body.token as string };
  }

  it.each([['okta-provisioning.json'], ['entra-provisioning.json']])(
    'replays %s step by step',
    async (file) => {
      const sequence = loadSequence(file);
      const ctx = await connectedTeam(file.split('-')[0]!, sequence);
      await replay(api, olga, sequence, ctx);
    },
    120_000,
  );
});
