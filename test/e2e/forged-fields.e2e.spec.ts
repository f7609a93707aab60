/**
 * Finding 3 (a forged event goes unnoticed), variants: fields the fold or the evidence reads but the audit entry does not
 * carry. IpBlockRemoved/BypassTokenRevoked are folded by their top-level `cidr`/`tokenId` while the entry holds only
 * `before`; campaign entries hold a digest, a size and result counts, while the evidence is built (and signed) from the
 * whole events. Each edit below changes what the service shows and must make `audit/verify` answer invalid; evidence
 * whose population no longer gives its opening digest must not be signed.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startTestApi, type TestApi } from './support/test-api';

/** Edits one stored event's data in events.db (the service stopped). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- edits stored JSON of any event type
function editEvent(dataDir: string, where: { stream: string; type: string; like?: string }, edit: (data: any) => void) {
  const db = new Database(join(dataDir, 'events.db'));
  try {
    const rows = db
      .prepare<[string, string], { position: number; data: string }>(
        `SELECT position, data FROM events WHERE stream_id = ? AND type = ? ORDER BY position`,
      )
      .all(where.stream, where.type)
      .filter((row) => (where.like ? row.data.includes(where.like) : true));
    const row = rows[0]!;
    const data = JSON.parse(row.data);
    edit(data);
    db.prepare('UPDATE events SET data = ? WHERE position = ?').run(JSON.stringify(data), row.position);
  } finally {
    db.close();
  }
}

describe('attack: forged fields the audit entry does not carry', () => {
  let api: TestApi | undefined;
  let dataDir: string;
  let reviewId: string;

  beforeAll(async () => {
    api = await startTestApi();
    dataDir = api.config.dataDir;
    const alice = await api.as('alice');
    const vie = await api.as('vie');
    await alice.post('/v1/teams', { id: 'fx', name: 'Fx', plan: 'enterprise' }).expect(201);
    await alice.post('/v1/teams/fx/members', { userId: 'vie', role: 'owner' }).expect(201);
    await alice.post('/v1/teams/fx/members', { userId: 'bob', role: 'developer' }).expect(201);
    await alice.post('/v1/teams/fx/members', { userId: 'carl', role: 'developer' }).expect(201);
    await alice.post('/v1/teams/fx/projects', { id: 'web', name: 'Web' }).expect(201);
    await alice
      .patch('/v1/teams/fx/projects/web/security', { ipBlocks: { add: ['203.0.113.0/24', '198.51.100.0/24'] } })
      .expect(200);
    await alice.patch('/v1/teams/fx/projects/web/security', { ipBlocks: { remove: ['203.0.113.0/24'] } }).expect(200);
    await alice.post('/v1/teams/fx/projects/web/security/bypass-tokens', { tokenId: 't1' }).expect(201);
    await alice.post('/v1/teams/fx/projects/web/security/bypass-tokens', { tokenId: 't2' }).expect(201);
    await alice.delete('/v1/teams/fx/projects/web/security/bypass-tokens/t1').expect(200);
    const opened = await alice
      .post('/v1/teams/fx/access-reviews', {
        name: 'Q',
        reviewerIds: ['vie'],
        dueAt: new Date(Date.now() + 86400_000).toISOString(),
      })
      .expect(201);
    reviewId = opened.body.reviewId;
    await vie
      .post(`/v1/teams/fx/access-reviews/${reviewId}/items/team_role:bob/decision`, { decision: 'keep' })
      .expect(201);
    await vie
      .post(`/v1/teams/fx/access-reviews/${reviewId}/items/team_role:carl/decision`, { decision: 'revoke' })
      .expect(201);
    const done = await alice.post(`/v1/teams/fx/access-reviews/${reviewId}/complete`, {}).expect(200);
    await alice.get(`/v1/teams/fx/audit?minPosition=${done.body.position}`).expect(200);
    const v = await alice.get('/v1/teams/fx/audit/verify').expect(200);
    expect(v.body.valid).toBe(true);
    await api.close({ keepData: true });
    api = undefined;

    // The fold reads the top-level field; the audit entry records only the before/after copy.
    editEvent(dataDir, { stream: 'team-fx', type: 'IpBlockRemoved' }, (d) => (d.cidr = '198.51.100.0/24'));
    editEvent(dataDir, { stream: 'team-fx', type: 'BypassTokenRevoked' }, (d) => (d.tokenId = 't2'));
    // Campaign: a decision's reviewer, an outcome's result (counts unchanged), an item's privileged flag.
    const stream = `access-review-fx-${reviewId}`;
    editEvent(
      dataDir,
      { stream, type: 'AccessReviewItemDecided', like: 'team_role:bob' },
      (d) => (d.reviewerId = 'mallory'),
    );
    editEvent(dataDir, { stream, type: 'AccessReviewCompleted' }, (d) => {
      const [a, b] = [d.outcomes[0], d.outcomes[1]];
      [a.itemId, b.itemId] = [b.itemId, a.itemId];
    });
    editEvent(dataDir, { stream, type: 'AccessReviewOpened' }, (d) => {
      for (const item of d.population.items) item.privileged = false;
    });
    rmSync(join(dataDir, 'read-models.db'), { force: true });
    api = await startTestApi({ dataDir });
  }, 90_000);

  afterAll(async () => {
    await api?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const mismatchedTypes = async () => {
    const alice = await api!.as('alice');
    const verify = (await alice.get('/v1/teams/fx/audit/verify').expect(200)).body as {
      valid: boolean;
      sources: {
        mismatches: Array<{
          kind: string;
          sequence: number | null;
          streamRevision?: number;
          source: { eventType: string };
          fields: Array<{ field: string }>;
        }>;
      };
    };
    // Each forgery is named where it is: the entry's place in the chain, and the whole-event commitment it breaks.
    for (const mismatch of verify.sources.mismatches) {
      expect(mismatch).toMatchObject({ sequence: expect.any(Number), streamRevision: expect.any(Number) });
      expect(mismatch.fields.map((field) => field.field)).toContain('source.digest');
    }
    return { valid: verify.valid, types: verify.sources.mismatches.map((m) => `${m.kind}:${m.source.eventType}`) };
  };

  it('the team view follows forged top-level fields (cidr, tokenId) that the entries do not carry; verify must report them', async () => {
    const alice = await api!.as('alice');
    const team = (await alice.get('/v1/teams/fx').expect(200)).body as {
      projects: Array<{
        id: string;
        security: { ipBlocks: string[]; deploymentProtection: { bypassTokens: Array<{ tokenId: string }> } };
      }>;
    };
    const web = team.projects.find((project) => project.id === 'web')!;
    // What the forgery made of the project: the other block and the other token are gone.
    expect(web.security.ipBlocks).toEqual(['203.0.113.0/24']);
    expect(web.security.deploymentProtection.bypassTokens.map((token) => token.tokenId)).toEqual(['t1']);
    const { valid, types } = await mismatchedTypes();
    expect(valid).toBe(false);
    expect(types).toEqual(expect.arrayContaining(['different:IpBlockRemoved', 'different:BypassTokenRevoked']));
  });

  it('evidence over a forged population is neither signed nor shown; verify reports every forged campaign field (reviewer, per-item outcomes, population)', async () => {
    const alice = await api!.as('alice');
    const campaign = `/v1/teams/fx/access-reviews/${reviewId}`;
    for (const path of [`${campaign}/evidence`, `${campaign}/evidence?format=csv`, campaign]) {
      const refused = await alice.get(path).expect(409);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.headers['x-evidence-signature']).toBeUndefined();
      expect(refused.body).toMatchObject({
        status: 409,
        rule: 'access-review.population-matches-digest',
        detail: expect.stringMatching(/does not give the digest it was opened with/),
      });
    }
    const { valid, types } = await mismatchedTypes();
    expect(valid).toBe(false);
    expect(types).toEqual(
      expect.arrayContaining([
        'different:AccessReviewItemDecided',
        'different:AccessReviewCompleted',
        'different:AccessReviewOpened',
      ]),
    );
  });
});
