/**
 * The OpenAPI document (/docs-json) tells the truth. Every e2e suite's answers are checked against it when its harness
 * closes (support/openapi-conformance.ts); this suite adds the answers the others need not send: every route without a
 * token, and one of each shape the document once described wrongly (null before/cause, summary grants and findings,
 * CSV and NDJSON exports, campaign reads, the extension members of 403, 409 and 422 problems).
 */
import { startTestApi, type TestApi, type UserClient } from './support/test-api';

interface Operation {
  security?: Array<Record<string, string[]>>;
  responses: Record<string, { content?: Record<string, unknown> }>;
}
interface Document {
  servers?: Array<{ url: string }>;
  security?: unknown[];
  paths: Record<string, Record<string, Operation>>;
}

const methods = ['get', 'put', 'post', 'delete', 'patch'] as const;

describe('the OpenAPI document', () => {
  let api: TestApi;
  let alice: UserClient;
  let doc: Document;
  const operations = (): Array<[string, (typeof methods)[number], Operation]> =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      methods
        .filter((method) => item[method])
        .map((method): [string, typeof method, Operation] => [path, method, item[method]!]),
    );

  beforeAll(async () => {
    api = await startTestApi();
    alice = await api.as('alice');
    doc = (await api.http().get('/docs-json').expect(200)).body as Document;
  });
  afterAll(() => api.close());

  // Redocly's recommended rules no-empty-servers and security-defined (its two errors on this document once).
  it('names a server, and says of every operation whether it needs a token', () => {
    expect(doc.servers?.length).toBeGreaterThan(0);
    const undeclared = operations().filter(([, , operation]) => !operation.security && !doc.security);
    expect(undeclared.map(([path, method]) => `${method.toUpperCase()} ${path}`)).toEqual([]);
  });

  it('every operation that needs a token declares 401 problem+json and answers it without one; the others answer', async () => {
    const untrue: string[] = [];
    for (const [path, method, operation] of operations()) {
      const route = `${method.toUpperCase()} ${path}`;
      const needsToken = (operation.security ?? doc.security ?? []).length > 0;
      // SCIM routes answer their errors in the SCIM error schema (RFC 7644 §3.12), everything else as problem+json.
      const errorType = path.startsWith('/scim/v2/') ? 'application/scim+json' : 'application/problem+json';
      const declares401 = operation.responses['401']?.content?.[errorType] !== undefined;
      const { status } = await api.http()[method](path.replace(/\{[^}]+\}/g, 'x'));
      if (needsToken && !declares401) untrue.push(`${route} needs a token but declares no 401 problem`);
      if (needsToken && status !== 401) untrue.push(`${route} needs a token but answered ${status} without one`);
      if (!needsToken && status === 401) untrue.push(`${route} is documented public but answered 401`);
    }
    expect(untrue).toEqual([]);
    const publicRoutes = operations().filter(([, , operation]) => operation.security?.length === 0);
    expect(publicRoutes.map(([path]) => path).sort()).toEqual([
      '/healthz',
      '/metrics',
      '/readyz',
      '/v1/audit/public-key',
      '/v1/console/config',
      '/v1/console/sign-in-link',
    ]);
  });

  describe('answers the document once described wrongly', () => {
    beforeAll(async () => {
      await alice.post('/v1/teams', { id: 'docs', name: 'Docs', plan: 'enterprise' }).expect(201);
      await alice.post('/v1/teams/docs/projects', { id: 'web', name: 'Web' }).expect(201);
      await alice.post('/v1/teams/docs/members', { userId: 'rita', role: 'owner' }).expect(201);
      await alice.post('/v1/teams/docs/members', { userId: 'dev', role: 'developer' }).expect(201);
    });

    it('audit entries whose before or cause is null, as a page, NDJSON and CSV', async () => {
      const page = await alice.get('/v1/teams/docs/audit').expect(200);
      const added = (page.body.entries as Array<{ action: string; before: unknown; cause: unknown }>).find(
        (entry) => entry.action === 'team.member.added',
      );
      expect(added).toMatchObject({ before: null, cause: null });
      await alice
        .get('/v1/teams/docs/audit?format=ndjson')
        .expect(200)
        .expect('Content-Type', /x-ndjson/);
      await alice
        .get('/v1/teams/docs/audit?format=csv')
        .expect(200)
        .expect('Content-Type', /text\/csv/);
    });

    it('a summary with privileged grants and findings (objects)', async () => {
      await alice.post('/v1/teams/docs/members', { userId: 'cole', role: 'contributor' }).expect(201);
      const summary = await alice.get('/v1/teams/docs/audit/summary').expect(200);
      expect(summary.body.privilegedGrants[0]).toEqual(expect.objectContaining({ userId: expect.any(String) }));
      expect(summary.body.findings).toContainEqual(
        expect.objectContaining({ finding: 'contributor.without-project-role' }),
      );
    });

    it('the campaign list, view and evidence (JSON and CSV)', async () => {
      const opened = await alice
        .post('/v1/teams/docs/access-reviews', {
          name: 'Docs review',
          reviewerIds: ['rita'],
          dueAt: '2099-01-01T00:00:00Z',
        })
        .expect(201);
      const campaign = `/v1/teams/docs/access-reviews/${opened.body.reviewId as string}`;
      await alice.get('/v1/teams/docs/access-reviews').expect(200);
      const view = await alice.get(campaign).expect(200);
      expect(view.body).toMatchObject({
        defaultDecision: null,
        items: expect.arrayContaining([expect.objectContaining({ decision: null })]),
      });
      await alice.get(`${campaign}/evidence`).expect(200);
      await alice
        .get(`${campaign}/evidence?format=csv`)
        .expect(200)
        .expect('Content-Type', /text\/csv/);
    });

    it('problems with their extension members: 403 projectId, 409 revisions, 422 conflicts', async () => {
      const dev = await api.as('dev');
      const forbidden = await dev.patch('/v1/teams/docs/projects/web/security', { firewall: { enabled: true } });
      expect(forbidden.status).toBe(403);
      expect(forbidden.body).toHaveProperty('projectId', 'web');
      const stale = await alice.put('/v1/teams/docs/members/dev/role', { role: 'member' }).set('If-Match', '"0"');
      expect(stale.status).toBe(409);
      expect(stale.body).toMatchObject({ expectedRevision: 0, currentRevision: expect.any(Number) });
      const downgrade = await alice.put('/v1/teams/docs/plan', { plan: 'pro' });
      expect(downgrade.status).toBe(422);
      expect(downgrade.body.conflicts).toContainEqual(expect.objectContaining({ userId: 'dev' }));
    });
  });
});
