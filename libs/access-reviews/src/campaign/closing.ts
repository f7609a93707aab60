import type { RemoveMember, RevokePermissionGroup, RevokeProjectRole, TeamState } from '@access-audit/domain';
import type { EnforcingEvent, ItemOutcome, ItemResultDetail, ReviewDecision, RevocationRefusal } from './events';
import { currentGrant, unchangedSinceSnapshot, type PopulationItem } from './population';
import type { Campaign } from './state';

/** The team command that takes one grant away: a team role is the membership itself, so revoking it removes the member. */
export type RevocationCommand = RemoveMember | RevokeProjectRole | RevokePermissionGroup;

interface PlannedBase {
  item: PopulationItem;
  decision: ReviewDecision | null;
  decidedBy: 'reviewer' | 'default' | null;
  causationEventId: string | null;
  changedSinceSnapshot: boolean;
}

/** What closing the campaign does with one item: nothing more to do, or one revocation to send down the team command path. */
export type PlannedItem =
  | (PlannedBase & { action: 'report'; outcome: ItemOutcome })
  | (PlannedBase & { action: 'revoke'; causationEventId: string; command: RevocationCommand });

export interface ClosingContext {
  /** `complete`: applies revokes as the completing user. `expire`: applies them only under a default decision, as the opener. */
  mode: 'complete' | 'expire';
  /** Who the revocations act as, and when. */
  actorId: string;
  now: string;
  /** The team folded at its current revision. */
  team: TeamState;
  /** Id of the event that opened the campaign (the cause of revocations by default decision). */
  openedEventId: string;
  /** Id of the decision in force per item. */
  decisionEventIds: ReadonlyMap<string, string>;
  /** Team events an earlier, interrupted closing already appended per item (found by causation). */
  enforcedEarlier?: ReadonlyMap<string, EnforcingEvent[]>;
}

export function revocationCommandFor(
  item: PopulationItem,
  teamId: string,
  actorId: string,
  now: string,
  reason: string,
): RevocationCommand {
  const metadata = { actorId, now, reason };
  switch (item.kind) {
    case 'team_role':
      return { type: 'RemoveMember', teamId, data: { userId: item.userId }, metadata };
    case 'project_role':
      return { type: 'RevokeProjectRole', teamId, data: { userId: item.userId, projectId: item.projectId }, metadata };
    case 'permission_group':
      return { type: 'RevokePermissionGroup', teamId, data: { userId: item.userId, group: item.group }, metadata };
  }
}

/** Narrow grants first, memberships last, so a member's removal never pre-empts their own group or project-role items. */
const applicationOrder: Record<PopulationItem['kind'], number> = { project_role: 0, permission_group: 1, team_role: 2 };

/** The acting user's own grants go last: losing them first would take away the right to apply the others. */
const ownLast = (actorId: string, item: PopulationItem): number => (item.userId === actorId ? 1 : 0);

/**
 * What closing the campaign will do with each item, in the order revocations are to be applied.
 * A revoke whose grant changed since the snapshot is reported, never applied; refusals are up to the team policy.
 */
export function planClosing(campaign: Campaign, context: ClosingContext): PlannedItem[] {
  const applyRevokes = context.mode === 'complete' || campaign.defaultDecision === 'revoke';
  const items = [...campaign.population.items].sort(
    (a, b) =>
      ownLast(context.actorId, a) - ownLast(context.actorId, b) ||
      applicationOrder[a.kind] - applicationOrder[b.kind] ||
      (a.itemId < b.itemId ? -1 : 1),
  );
  return items.map((item): PlannedItem => {
    const recorded = campaign.decisions.get(item.itemId);
    const decision = recorded?.decision ?? campaign.defaultDecision ?? null;
    const decidedBy = recorded ? 'reviewer' : decision ? 'default' : null;
    const causationEventId = recorded
      ? context.decisionEventIds.get(item.itemId)!
      : decision
        ? context.openedEventId
        : null;
    const enforced = context.enforcedEarlier?.get(item.itemId);
    const changedSinceSnapshot = !unchangedSinceSnapshot(context.team, item);
    const base = { item, decision, decidedBy, causationEventId, changedSinceSnapshot } as const;
    const reported = (detail: ItemResultDetail): PlannedItem => ({
      ...base,
      action: 'report',
      outcome: { itemId: item.itemId, decision, decidedBy, causationEventId, changedSinceSnapshot, ...detail },
    });
    if (decision !== 'revoke') return reported({ result: decision === 'keep' ? 'kept' : 'undecided' });
    if (!applyRevokes) return reported({ result: 'not_applied' });
    if (enforced) return reported({ result: 'revoked', enforcedBy: enforced });
    if (changedSinceSnapshot)
      return reported({ result: 'changed_since_snapshot', current: currentGrant(context.team, item) });
    const reason = `access review ${campaign.reviewId} (${campaign.name}): ${item.itemId} revoked`;
    return {
      ...base,
      action: 'revoke',
      causationEventId: causationEventId!,
      command: revocationCommandFor(item, campaign.teamId, context.actorId, context.now, reason),
    };
  });
}

/** The outcome of a planned item once its revocation (if any) went through the team command path. */
export function outcomeOf(
  planned: PlannedItem,
  applied?: { ok: true; events: EnforcingEvent[] } | { ok: false; refusal: RevocationRefusal },
): ItemOutcome {
  if (planned.action === 'report') return planned.outcome;
  const { item, decision, decidedBy, causationEventId, changedSinceSnapshot } = planned;
  const base = { itemId: item.itemId, decision, decidedBy, causationEventId, changedSinceSnapshot };
  if (!applied) throw new Error(`item ${item.itemId} was planned for revocation but nothing was applied`);
  return applied.ok
    ? { ...base, result: 'revoked', enforcedBy: applied.events }
    : { ...base, result: 'revocation_refused', refusal: applied.refusal };
}
