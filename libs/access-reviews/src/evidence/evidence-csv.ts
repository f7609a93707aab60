import { stringify } from 'csv-stringify/sync';
import { spreadsheetSafeCsvOptions } from '@access-audit/audit';
import type { PopulationItem } from '../campaign/population';
import type { AccessReviewEvidence } from './evidence';

const columns = [
  'record',
  'item_id',
  'kind',
  'user_id',
  'project_id',
  'grant',
  'granted_by',
  'granted_at',
  'privileged',
  'decision',
  'decided_by',
  'justification',
  'reviewer_id',
  'decided_at',
  'decision_event_id',
  'superseded_by',
  'result',
  'changed_since_snapshot',
  'enforcing_event_ids',
  'enforcing_positions',
  'refusal_rule',
  'refusal_message',
  'campaign_status',
  'campaign_name',
  'opened_by',
  'opened_at',
  'due_at',
  'reviewer_ids',
  'closed_by',
  'closed_at',
  'population_digest',
  'team_stream_revision',
  'team_stream_position',
  'audit_chain_head',
] as const;
type Row = Partial<Record<(typeof columns)[number], string | number | boolean | null>>;

const grantOf = (item: PopulationItem): string => (item.kind === 'permission_group' ? item.group : item.role);

/**
 * The evidence as CSV, one record per line: `campaign` (who opened and closed it, reviewers, digest, snapshot, chain head),
 * one `item` per population grant with the decision in force and its outcome, and one `decision` per recorded decision,
 * superseded ones included. A text cell a spreadsheet would run as a formula gets a leading `'` (spreadsheetSafeCsvOptions).
 */
export function evidenceCsv(evidence: AccessReviewEvidence): string {
  const { campaign, population, closing } = evidence;
  const rows: Row[] = [
    {
      record: 'campaign',
      item_id: campaign.reviewId,
      campaign_status: campaign.status,
      campaign_name: campaign.name,
      opened_by: campaign.openedBy,
      opened_at: campaign.openedAt,
      due_at: campaign.dueAt,
      reviewer_ids: campaign.reviewerIds.join(' '),
      closed_by: closing?.closedBy ?? null,
      closed_at: closing?.closedAt ?? null,
      population_digest: `${population.digest.algorithm}:${population.digest.value}`,
      team_stream_revision: population.snapshot.teamStreamRevision,
      team_stream_position: population.snapshot.teamStreamPosition,
      audit_chain_head: closing?.auditChainHead
        ? `${closing.auditChainHead.sequence}:${closing.auditChainHead.headHash}`
        : null,
    },
  ];
  const inForce = new Map(evidence.decisions.filter((d) => d.supersededBy === null).map((d) => [d.itemId, d]));
  const outcomes = new Map((closing?.outcomes ?? []).map((o) => [o.itemId, o]));
  for (const item of population.items) {
    const decision = inForce.get(item.itemId);
    const outcome = outcomes.get(item.itemId);
    rows.push({
      record: 'item',
      item_id: item.itemId,
      kind: item.kind,
      user_id: item.userId,
      project_id: item.kind === 'project_role' ? item.projectId : null,
      grant: grantOf(item),
      granted_by: item.grantedBy,
      granted_at: item.grantedAt,
      privileged: item.privileged,
      decision: outcome?.decision ?? decision?.decision ?? null,
      decided_by: outcome?.decidedBy ?? (decision ? 'reviewer' : null),
      justification: decision?.justification ?? null,
      reviewer_id: decision?.reviewerId ?? null,
      decided_at: decision?.decidedAt ?? null,
      decision_event_id: decision?.eventId ?? null,
      result: outcome?.result ?? null,
      changed_since_snapshot: outcome?.changedSinceSnapshot ?? null,
      enforcing_event_ids: outcome?.result === 'revoked' ? outcome.enforcedBy.map((e) => e.eventId).join(' ') : null,
      enforcing_positions: outcome?.result === 'revoked' ? outcome.enforcedBy.map((e) => e.position).join(' ') : null,
      refusal_rule:
        outcome?.result === 'revocation_refused' ? (outcome.refusal.rule ?? outcome.refusal.permission ?? null) : null,
      refusal_message: outcome?.result === 'revocation_refused' ? outcome.refusal.message : null,
    });
  }
  for (const decision of evidence.decisions) {
    rows.push({
      record: 'decision',
      item_id: decision.itemId,
      decision: decision.decision,
      decided_by: 'reviewer',
      justification: decision.justification,
      reviewer_id: decision.reviewerId,
      decided_at: decision.decidedAt,
      decision_event_id: decision.eventId,
      superseded_by: decision.supersededBy,
    });
  }
  return stringify(rows, spreadsheetSafeCsvOptions({ header: true, columns: [...columns] }));
}
