/**
 * An access-review campaign over HTTP on an Enterprise team (API.md "Access reviews"): open over the team stream, decide
 * with separation-of-duties refusals, complete (revocations through the team command path), check in /v1/check that the
 * revoked users lost access, and verify the exported evidence's digest and Ed25519 signature with Node's crypto; a
 * campaign left past its due date is a finding of the audit summary.
 */
import { createHash, createPrivateKey, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { accessReviewStreamId, type AccessReviewEvidence } from '@access-audit/access-reviews';
import { canonicalJson } from '@access-audit/audit';
import { CLOCK, type Clock } from '../../apps/api/src/commands/clock';
import { expectProblem, startTestApi, type TestApi, type UserClient } from './support/test-api';

const TEAM = 'review-ent';

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
const DUE = new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString();

describe('an access-review campaign on an Enterprise team, over HTTP', () => {
  let api: TestApi;
  let alice: UserClient; // owner, opens and completes
  let oscar: UserClient; // second owner, a reviewer
  let rita: UserClient; // enterprise_viewer (auditor), a reviewer
  let mia: UserClient; // member added by oscar
  let dev: UserClient; // developer, neither reviewer nor auditor
  let reviewId: string;
  let completion: {
    position: string;
    outcomes: Array<Record<string, unknown>>;
    events: Array<{ id: string; type: string; streamId: string }>;
  };
  const decisionIds: Record<string, string> = {};

  const campaignPath = () => `/v1/teams/${TEAM}/access-reviews/${reviewId}`;
  const decide = (who: UserClient, itemId: string, body: object) =>
    who.post(`${campaignPath()}/items/${encodeURIComponent(itemId)}/decision`, body);
  const campaignRevision = () => api.store.streamRevision(accessReviewStreamId(TEAM, reviewId));
  const check = async (userId: string, permission: string, projectId?: string, minPosition?: string) => {
    const query = new URLSearchParams({
      teamId: TEAM,
      userId,
      permission,
      ...(projectId ? { projectId } : {}),
      ...(minPosition ? { minPosition } : {}),
    });
    const response = await alice.get(`/v1/check?${query}`).expect(200);
    return (response.body as { allowed: boolean }).allowed;
  };
  /** A refused request appends nothing, neither to the team stream nor to the campaign's. */
  const refusedWithoutAppending = async (
    action: () => PromiseLike<{ status: number; headers: Record<string, string>; body: unknown }>,
  ) => {
    const before = await campaignRevision();
    const response = await api.expectNothingAppended(TEAM, action);
    expect(await campaignRevision()).toBe(before);
    return response;
  };

  beforeAll(async () => {
    api = await startTestApi();
    [alice, oscar, rita, mia, dev] = await Promise.all(
      ['alice', 'oscar', 'rita', 'mia', 'dev'].map((user) => api.as(user)),
    );
    await alice.post('/v1/teams', { id: TEAM, name: 'Review Co', plan: 'enterprise' }).expect(201);
    await alice.post(`/v1/teams/${TEAM}/projects`, { id: 'web', name: 'Web' }).expect(201);
    await alice.post(`/v1/teams/${TEAM}/members`, { userId: 'oscar', role: 'owner' }).expect(201);
    await oscar.post(`/v1/teams/${TEAM}/members`, { userId: 'mia', role: 'member' }).expect(201);
    for (const [userId, role] of [
      ['dev', 'developer'],
      ['rita', 'enterprise_viewer'],
      ['cole', 'contributor'],
    ] as const) {
      await alice.post(`/v1/teams/${TEAM}/members`, { userId, role }).expect(201);
    }
    await alice.put(`/v1/teams/${TEAM}/members/dev/permission-groups/full_production_deployment`).expect(200);
    await alice.put(`/v1/teams/${TEAM}/projects/web/members/cole`, { role: 'project_admin' }).expect(200);
  });
  afterAll(() => api.close());

  it('lets only an owner open a campaign, with reviewers from the team', async () => {
    const base = { name: 'Q1 review', reviewerIds: ['rita', 'oscar'], dueAt: DUE };
    expectProblem(
      await api.expectNothingAppended(TEAM, () => mia.post(`/v1/teams/${TEAM}/access-reviews`, base)),
      403,
      {
        permission: 'team.members.roles.manage',
      },
    );
    expectProblem(
      await alice.post(`/v1/teams/${TEAM}/access-reviews`, { ...base, reviewerIds: ['rita', 'zed'] }),
      422,
      {
        rule: 'access-review.reviewers-are-members',
      },
    );
    expectProblem(await alice.post(`/v1/teams/${TEAM}/access-reviews`, { ...base, reviewerIds: [] }), 400);
    // An ISO-8601 week date has no place on the time line: refused, not a server error.
    expectProblem(await alice.post(`/v1/teams/${TEAM}/access-reviews`, { ...base, dueAt: '2030-W10' }), 400, {
      errors: [expect.objectContaining({ field: 'dueAt' })],
    });

    const teamRevision = await api.teamRevision(TEAM);
    const opened = await alice
      .post(`/v1/teams/${TEAM}/access-reviews`, { ...base, reason: 'SOC 2 CC6.2 quarterly review' })
      .expect(201);
    expect(opened.body).toMatchObject({
      reviewId: expect.any(String),
      position: expect.any(String),
      streamRevision: 0,
    });
    expect(opened.headers['etag']).toBe('"0"');
    reviewId = opened.body.reviewId as string;

    const campaign = await rita.get(campaignPath()).expect(200);
    expect(campaign.body).toMatchObject({
      status: 'open',
      openedBy: 'alice',
      reviewerIds: ['rita', 'oscar'],
      snapshot: { teamStreamId: `team-${TEAM}`, teamStreamRevision: teamRevision },
    });
    const items = campaign.body.items as Array<{ itemId: string; grantedBy: string }>;
    expect(items.map((item) => item.itemId)).toEqual([
      'permission_group:dev:full_production_deployment',
      'project_role:cole:web',
      'team_role:alice',
      'team_role:cole',
      'team_role:dev',
      'team_role:mia',
      'team_role:oscar',
      'team_role:rita',
    ]);
    expect(items.find((item) => item.itemId === 'team_role:mia')?.grantedBy).toBe('oscar');
    expectProblem(await dev.get(campaignPath()), 403, { permission: 'team.audit.view' });
    const listed = await rita.get(`/v1/teams/${TEAM}/access-reviews`).expect(200);
    expect(listed.body.accessReviews).toEqual([
      expect.objectContaining({ reviewId, status: 'open', overdue: false, items: 8 }),
    ]);
  });

  it("refuses decisions by non-reviewers and on one's own access or grants (403 with the rule), appending nothing", async () => {
    expectProblem(
      await refusedWithoutAppending(() =>
        decide(rita, 'team_role:rita', { decision: 'keep', justification: 'still auditing' }),
      ),
      403,
      {
        rule: 'access-review.sod.own-access',
      },
    );
    expectProblem(
      await refusedWithoutAppending(() =>
        decide(oscar, 'team_role:mia', { decision: 'revoke', justification: 'left' }),
      ),
      403,
      {
        rule: 'access-review.sod.own-grant',
      },
    );
    expectProblem(await refusedWithoutAppending(() => decide(alice, 'team_role:dev', { decision: 'keep' })), 403, {
      rule: 'access-review.named-reviewer',
    });
    // Like every refused command, they are noted in the team's audit log as denials.
    const denials = async () =>
      (await api.store.readStream(`audit-${TEAM}`))
        .map((record) => record.data as { kind: string; actor: string; denial?: { rule: string | null } })
        .filter((entry) => entry.kind === 'denial')
        .map((entry) => [entry.actor, entry.denial?.rule]);
    await waitFor(async () => (await denials()).length >= 3);
    expect(await denials()).toEqual(
      expect.arrayContaining([
        ['rita', 'access-review.sod.own-access'],
        ['oscar', 'access-review.sod.own-grant'],
        ['alice', 'access-review.named-reviewer'],
      ]),
    );
    const missing = expectProblem(
      await refusedWithoutAppending(() => decide(rita, 'project_role:cole:web', { decision: 'revoke' })),
      400,
      {
        rule: 'access-review.justification-required',
      },
    );
    expect(missing.errors).toEqual([
      expect.objectContaining({ field: 'justification', rule: 'access-review.justification-required' }),
    ]);
  });

  it('records decisions; a second decision on an item supersedes the first, both kept', async () => {
    const record = async (who: UserClient, itemId: string, body: object) => {
      const response = await decide(who, itemId, body).expect(201);
      decisionIds[itemId] = (response.body.events as Array<{ id: string }>)[0]!.id;
    };
    await record(rita, 'project_role:cole:web', { decision: 'revoke', justification: 'handed the project over' });
    await record(rita, 'team_role:mia', { decision: 'keep', justification: 'active' });
    await record(rita, 'team_role:mia', { decision: 'revoke', justification: 'contract ended in February' });
    await record(oscar, 'permission_group:dev:full_production_deployment', {
      decision: 'revoke',
      justification: 'no longer on call',
    });
    await record(oscar, 'team_role:dev', { decision: 'keep' });
    const campaign = await rita.get(campaignPath()).expect(200);
    const miaItem = (campaign.body.items as Array<Record<string, unknown>>).find(
      (item) => item.itemId === 'team_role:mia',
    )!;
    expect(miaItem).toMatchObject({
      decision: {
        decision: 'revoke',
        reviewerId: 'rita',
        justification: 'contract ended in February',
        eventId: decisionIds['team_role:mia'],
      },
      supersededDecisions: [{ decision: 'keep', supersededBy: decisionIds['team_role:mia'] }],
    });
  });

  it('completes through the normal command path: the revoked users lose access in /v1/check', async () => {
    expect(await check('mia', 'team.settings.manage')).toBe(true);
    expect(await check('cole', 'project.view', 'web')).toBe(true);
    expect(await check('dev', 'project.deploy.production.cli', 'web')).toBe(true);
    expectProblem(await refusedWithoutAppending(() => dev.post(`${campaignPath()}/complete`, {})), 403, {
      rule: 'access-review.completed-by-owner-or-reviewer',
    });

    const response = await alice.post(`${campaignPath()}/complete`, {}).expect(200);
    completion = response.body;
    expect(completion.events.map((event) => event.type)).toEqual([
      'ProjectRoleRevoked',
      'PermissionGroupRevoked',
      'MemberRemoved',
      'AccessReviewCompleted',
    ]);
    // `position` covers the revocations: it is the last of everything the completion appended.
    const appended = [
      ...(await api.teamEvents(TEAM)).slice(-3),
      ...(await api.store.readStream(accessReviewStreamId(TEAM, reviewId))).slice(-1),
    ];
    expect(appended.map((event) => event.id)).toEqual(completion.events.map((event) => event.id));
    for (const event of appended)
      expect(api.store.comparePositions(completion.position, event.position)).toBeGreaterThanOrEqual(0);
    expect(completion.position).toBe(appended.at(-1)!.position);
    const result = (itemId: string) => completion.outcomes.find((outcome) => outcome.itemId === itemId);
    expect(result('team_role:mia')).toMatchObject({
      result: 'revoked',
      causationEventId: decisionIds['team_role:mia'],
    });
    expect(result('team_role:dev')).toMatchObject({ result: 'kept' });
    expect(result('team_role:cole')).toMatchObject({ result: 'undecided' });

    // The team events carry the completing user as actor and the decision as causation.
    const teamEvents = await api.teamEvents(TEAM);
    const removal = teamEvents.find((event) => event.type === 'MemberRemoved')!;
    expect(removal.data).toMatchObject({ userId: 'mia', actorId: 'alice' });
    expect(removal.metadata).toMatchObject({ actorId: 'alice', causationId: decisionIds['team_role:mia'] });

    expect(await check('mia', 'team.settings.manage', undefined, completion.position)).toBe(false);
    expect(await check('cole', 'project.view', 'web', completion.position)).toBe(false);
    expect(await check('dev', 'project.deploy.production.cli', 'web', completion.position)).toBe(false);
    expect(await check('dev', 'project.deploy.production', 'web', completion.position)).toBe(true);

    expectProblem(await refusedWithoutAppending(() => decide(rita, 'team_role:cole', { decision: 'keep' })), 422, {
      rule: 'access-review.open',
    });
  });

  it('exports evidence whose digest and Ed25519 signature verify with Node crypto against the audit key', async () => {
    const trusted: KeyObject = createPublicKey(
      createPrivateKey(readFileSync(join(api.config.dataDir, 'audit-signing-key.pem'))),
    );
    const response = await rita.get(`${campaignPath()}/evidence?format=json`).expect(200);
    const { evidence, signature } = response.body as {
      evidence: AccessReviewEvidence;
      signature: { value: string; algorithm: string };
    };
    expect(signature.algorithm).toBe('Ed25519');
    expect(verify(null, Buffer.from(canonicalJson(evidence)), trusted, Buffer.from(signature.value, 'base64'))).toBe(
      true,
    );
    const tampered = { ...evidence, decisions: evidence.decisions.slice(1) };
    expect(verify(null, Buffer.from(canonicalJson(tampered)), trusted, Buffer.from(signature.value, 'base64'))).toBe(
      false,
    );

    const digest = createHash('sha256').update(canonicalJson(evidence.population.items)).digest('hex');
    expect(evidence.population.digest).toEqual({ algorithm: 'sha256', value: digest });
    expect(evidence.population.snapshot.teamStreamId).toBe(`team-${TEAM}`);
    expect(evidence.decisions).toHaveLength(5);
    expect(evidence.revocations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          itemId: 'team_role:mia',
          causationEventId: decisionIds['team_role:mia'],
          enforcedBy: [expect.objectContaining({ type: 'MemberRemoved', eventId: completion.events[2]!.id })],
        }),
      ]),
    );
    expect(evidence.closing).toMatchObject({ status: 'completed', closedBy: 'alice' });
    // The audit-chain head at completion is the entry of the last revocation, in the team's hash chain.
    const audit = await api.store.readStream(`audit-${TEAM}`);
    const head = evidence.closing!.auditChainHead!;
    const headEntry = audit.find((record) => (record.data as { hash?: string }).hash === head.headHash);
    expect(headEntry?.data).toMatchObject({ kind: 'change', source: { eventId: completion.events[2]!.id } });

    const csv = await rita.get(`${campaignPath()}/evidence?format=csv`).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const csvSignature = String(csv.headers['x-evidence-signature']).replace(/^ed25519=/, '');
    expect(verify(null, Buffer.from(csv.text, 'utf8'), trusted, Buffer.from(csvSignature, 'base64'))).toBe(true);
    const rows = parse(csv.text, { columns: true }) as Array<Record<string, string>>;
    expect(rows[0]).toMatchObject({ record: 'campaign', population_digest: `sha256:${digest}` });
    expect(rows.find((row) => row.record === 'item' && row.item_id === 'team_role:mia')).toMatchObject({
      result: 'revoked',
      reviewer_id: 'rita',
    });
    expectProblem(await dev.get(`${campaignPath()}/evidence`), 403);
  });

  it('lists a campaign left past its due date in the audit summary findings: open, then expired once recorded', async () => {
    const dueAt = new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString();
    const afterDue = new Date(Date.parse(dueAt) + 3600 * 1000).toISOString();
    const opened = await alice
      .post(`/v1/teams/${TEAM}/access-reviews`, { name: 'Q2 review', reviewerIds: ['rita'], dueAt })
      .expect(201);
    const q2 = opened.body.reviewId as string;
    const overdueCampaigns = async (query: Record<string, string>) => {
      const summary = await rita.get(`/v1/teams/${TEAM}/audit/summary?${new URLSearchParams(query)}`).expect(200);
      const findings = summary.body.findings as Array<{ finding: string; accessReviews?: unknown[] }>;
      return findings.find((finding) => finding.finding === 'access-review.overdue')?.accessReviews;
    };
    // Now: the first campaign was completed and this one is not due yet.
    expect(await overdueCampaigns({ minPosition: opened.body.position })).toBeUndefined();
    // As of a time after its due date, nothing has recorded its expiry yet: it is open and overdue.
    expect(await overdueCampaigns({ to: afterDue, minPosition: opened.body.position })).toEqual([
      { reviewId: q2, name: 'Q2 review', dueAt, state: 'open', expiredAt: null, reviewerIds: ['rita'] },
    ]);

    // Past its due date, the next command on it records the expiry, then is refused: the campaign is expired.
    const clock = api.app.get<Clock>(CLOCK);
    const late = jest.spyOn(clock, 'now').mockReturnValue(new Date(afterDue));
    try {
      const refused = expectProblem(
        await rita.post(`/v1/teams/${TEAM}/access-reviews/${q2}/items/team_role%3Acole/decision`, { decision: 'keep' }),
        422,
        { rule: 'access-review.open' },
      );
      expect(refused.detail).toMatch(/expired/);
    } finally {
      late.mockRestore();
    }
    const expiry = (await api.store.readStream(accessReviewStreamId(TEAM, q2))).at(-1)!;
    expect(expiry.type).toBe('AccessReviewExpired');
    const later = new Date(Date.parse(afterDue) + 60 * 1000).toISOString();
    expect(await overdueCampaigns({ to: later, minPosition: expiry.position })).toEqual([
      { reviewId: q2, name: 'Q2 review', dueAt, state: 'expired', expiredAt: afterDue, reviewerIds: ['rita'] },
    ]);
  });
});
