import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { AuditEntry } from '@access-audit/audit';
import { expectProblem, startTestApi, type TestApi, type UserClient } from './support/test-api';

const textParser: Parameters<ReturnType<UserClient['get']>['parse']>[0] = (response, callback) => {
  const stream = response as unknown as NodeJS.ReadableStream;
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (text += chunk));
  stream.on('end', () => callback(null, text));
};

/** The erasure route end to end: sealed at rest, opened in answers, "[erased]" once the subject's keys are gone. */
describe('POST /v1/subjects/{userId}/erasure (e2e)', () => {
  let api: TestApi;
  let alice: UserClient;
  let operator: UserClient;
  let lastPosition = '';
  const bobAgent = 'BobPhone/7.1 (bob-personal-device)';
  const aboutBob = 'bob covers the launch on-call';
  const aboutCarol = 'carol joins for the audit';
  const justification = 'bob still runs the release train';
  let campaign = '';
  const bobNote = "bob's laptop CI runner";
  const bypassNotes = async (): Promise<unknown[]> =>
    (
      (await alice.get(`/v1/teams/acme?minPosition=${lastPosition}`).expect(200)).body as {
        projects: Array<{ security: { deploymentProtection: { bypassTokens: Array<{ note?: unknown }> } } }>;
      }
    ).projects.flatMap((project) => project.security.deploymentProtection.bypassTokens.map((token) => token.note));

  const entries = async (client: UserClient): Promise<AuditEntry[]> =>
    (
      (await client.get(`/v1/teams/acme/audit?limit=1000&minPosition=${lastPosition}`).expect(200)).body as {
        entries: AuditEntry[];
      }
    ).entries;
  const rawFiles = (): string =>
    readdirSync(api.config.dataDir)
      .filter((name) => !name.endsWith('-key') && !name.includes('secret'))
      .map((name) => readFileSync(join(api.config.dataDir, name)).toString('latin1'))
      .join('\n');

  beforeAll(async () => {
    api = await startTestApi();
    alice = await api.as('alice');
    operator = await api.as('privacy-operator', { scopes: ['privacy:erase'] });
    await alice.post('/v1/teams', { id: 'acme', name: 'Acme', plan: 'enterprise' }).expect(201);
    await alice.post('/v1/teams/acme/members', { userId: 'bob', role: 'owner', reason: aboutBob }).expect(201);
    await alice.post('/v1/teams/acme/members', { userId: 'carol', role: 'developer', reason: aboutCarol }).expect(201);
    const bob = await api.token('bob');
    await api
      .http()
      .patch('/v1/teams/acme')
      .set('Authorization', `Bearer ${bob}`)
      .set('User-Agent', bobAgent)
      .send({ name: 'Acme Inc', reason: 'bob renames' })
      .expect(200);
    await alice.post('/v1/teams/acme/projects', { id: 'web', name: 'Web' }).expect(201);
    const noted = await api
      .http()
      .post('/v1/teams/acme/projects/web/security/bypass-tokens')
      .set('Authorization', `Bearer ${bob}`)
      .send({ tokenId: 'tok_ci', note: bobNote })
      .expect(201);
    lastPosition = noted.body.position as string;
    const due = new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString();
    const opened = await alice
      .post('/v1/teams/acme/access-reviews', { name: 'Q1', reviewerIds: ['carol'], dueAt: due })
      .expect(201);
    campaign = `/v1/teams/acme/access-reviews/${opened.body.reviewId as string}`;
    // Carol reviews: alice granted bob's role, so she may not (separation of duties).
    const carol = await api.as('carol');
    await carol
      .post(`${campaign}/items/${encodeURIComponent('team_role:bob')}/decision`, { decision: 'keep', justification })
      .expect(201);
  });

  const evidenceJustifications = async (): Promise<Array<string | null>> =>
    (
      (await alice.get(`${campaign}/evidence?format=json`).expect(200)).body as {
        evidence: { decisions: Array<{ justification: string | null }> };
      }
    ).evidence.decisions.map((decision) => decision.justification);

  afterAll(async () => {
    await api.close();
  });

  it('stores reasons and user agents sealed, and answers them in clear', async () => {
    const raw = rawFiles();
    for (const value of [aboutBob, aboutCarol, bobAgent, 'bob renames', justification, bobNote]) {
      expect(raw).not.toContain(value);
    }
    expect(await evidenceJustifications()).toEqual([justification]);
    expect(await bypassNotes()).toEqual([bobNote]);
    const all = await entries(alice);
    expect(all.map((entry) => entry.reason)).toEqual(expect.arrayContaining([aboutBob, aboutCarol, 'bob renames']));
    expect(all.find((entry) => entry.reason === 'bob renames')?.context.userAgent).toBe(bobAgent);
  });

  it('refuses a token without scope privacy:erase (403 naming it) and a missing reason (400); nothing appended', async () => {
    await api.expectNothingAppended('acme', async () => {
      const refused = await alice.post('/v1/subjects/bob/erasure', { reason: 'ticket 7' });
      expectProblem(refused, 403, { permission: 'privacy:erase' });
      const invalid = await operator.post('/v1/subjects/bob/erasure', {});
      expectProblem(invalid, 400);
      expect(JSON.stringify(invalid.body)).toContain('reason');
    });
    expect((await entries(alice)).map((entry) => entry.reason)).toContain(aboutBob);
  });

  it("erases bob: his texts and the reasons about his access read [erased], others' stay, chains verify, ids remain", async () => {
    const erased = await operator.post('/v1/subjects/bob/erasure', { reason: 'GDPR request 2026-118' }).expect(200);
    expect(erased.body).toEqual({ userId: 'bob', keysDestroyed: 1, teams: [{ teamId: 'acme', recorded: true }] });
    lastPosition = (await api.teamEvents('acme')).at(-1)!.position;
    const all = await entries(alice);
    const added = all.find((entry) => entry.action === 'team.member.added' && entry.target.userId === 'bob')!;
    expect(added).toMatchObject({ actor: 'alice', reason: '[erased]', after: { role: 'owner' } });
    const renamed = all.find((entry) => entry.action === 'team.name.updated')!;
    expect(renamed).toMatchObject({ actor: 'bob', reason: '[erased]', context: { userAgent: '[erased]' } });
    expect(all.map((entry) => entry.reason)).toContain(aboutCarol);
    expect(all.at(-1)).toMatchObject({
      action: 'privacy.subject.erased',
      actor: 'privacy-operator',
      target: { userId: 'bob' },
      reason: 'GDPR request 2026-118',
    });
    expect((await alice.get('/v1/teams/acme/audit/verify').expect(200)).body).toMatchObject({ valid: true });
    expect(await evidenceJustifications()).toEqual(['[erased]']);
    expect(await bypassNotes()).toEqual(['[erased]']);
    const history = (await alice.get('/v1/teams/acme/members/bob/history').expect(200)).body as {
      entries: Array<{ reason?: string; actorId: string }>;
    };
    expect(history.entries[0]).toMatchObject({ actorId: 'alice', reason: '[erased]' });
    const csv = await alice.get('/v1/teams/acme/audit?format=csv').buffer(true).parse(textParser).expect(200);
    const rows = parse(csv.body as string, { columns: true }) as Array<Record<string, string>>;
    expect(rows.find((row) => row.action === 'team.name.updated')).toMatchObject({
      reason: '[erased]',
      user_agent: '[erased]',
    });
    const ndjson = await alice.get('/v1/teams/acme/audit?format=ndjson').buffer(true).parse(textParser).expect(200);
    const lines = (ndjson.body as string)
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { revealed?: object; action?: string });
    expect(lines.find((line) => line.action === 'team.name.updated')?.revealed).toEqual({
      '/context/ip': '[erased]',
      '/context/userAgent': '[erased]',
      '/reason': '[erased]',
    });
  });

  it('a second erasure destroys nothing and records nothing', async () => {
    const again = await operator.post('/v1/subjects/bob/erasure', { reason: 'repeat' }).expect(200);
    expect(again.body).toEqual({ userId: 'bob', keysDestroyed: 0, teams: [{ teamId: 'acme', recorded: false }] });
  });

  it('a restart on the same data brings nothing back', async () => {
    const dataDir = api.config.dataDir;
    await api.close({ keepData: true });
    api = await startTestApi({ dataDir });
    alice = await api.as('alice');
    const all = await entries(alice);
    expect(all.find((entry) => entry.action === 'team.name.updated')).toMatchObject({ reason: '[erased]' });
    expect(all.map((entry) => entry.reason)).toContain(aboutCarol);
  });
});
