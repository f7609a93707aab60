import type { PersonalText } from '@access-audit/domain';
import {
  inherentProjectRole,
  planRules,
  privilegedPermissionGroups,
  privilegedProjectRoles,
  privilegedTeamRoles,
  ruleIds,
  type PermissionGroup,
  type ProjectRole,
  type TeamRole,
  type TeamState,
} from '@access-audit/domain';
import type { AccessChangeEntry, AuditEntry } from './entry';
import { accessReviewActions, reviewIdOfSetting } from './review-actions';

export interface PrivilegedGrant {
  entryId: string;
  sequence: number;
  time: string;
  actor: string;
  userId: string;
  projectId: string | null;
  grant: 'team_role' | 'project_role' | 'permission_group';
  value: string;
  /** Sealed as the entry holds it; the answer opens it. */
  reason: PersonalText | null;
}

export interface DeniedAttempt {
  entryId: string;
  sequence: number;
  time: string;
  actor: string;
  commandType: string;
  target: AuditEntry['target'];
  permission: string | null;
  rule: string | null;
  suppressedBefore: number;
}

/** A review campaign that was not completed by its due date. */
export interface OverdueAccessReview {
  reviewId: string;
  name: string;
  dueAt: string;
  /** `expired`: its expiry is recorded; `open`: past due, but no command has reached it since to record the expiry. */
  state: 'expired' | 'open';
  /** When the expiry was recorded; null while open. */
  expiredAt: string | null;
  reviewerIds: string[];
}

interface FindingFields {
  /** The POLICY.md passage or rule id the check stands on. */
  policy: string;
  message: string;
  /** The users the finding is about (for overdue campaigns: their named reviewers). */
  userIds: string[];
}

export type ComplianceFinding =
  | (FindingFields & {
      /** Stable id of the check. */
      finding: 'owners.fewer-than-two' | 'contributor.without-project-role' | 'member.role-not-on-plan';
    })
  | (FindingFields & { finding: 'access-review.overdue'; accessReviews: OverdueAccessReview[] });

export interface AuditSummary {
  teamId: string;
  from: string | null;
  to: string;
  changes: { total: number; byType: Record<string, number>; byActor: Record<string, number> };
  privilegedGrants: PrivilegedGrant[];
  deniedAttempts: { total: number; suppressed: number; byActor: Record<string, number>; attempts: DeniedAttempt[] };
  /** The team as it stood at `to`, and the campaigns past their due date without completion by then. */
  findings: ComplianceFinding[];
}

/** POLICY.md "At least one owner must remain … Fewer than two owners is a compliance finding". */
const recommendedOwners = 2;

/** Counts keyed by actor or type: a null-prototype record, so an id such as `constructor` is counted, not inherited. */
const counts = (): Record<string, number> => Object.create(null) as Record<string, number>;

const increment = (counts: Record<string, number>, key: string): void => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/** The privileged grant an access change made, if any (POLICY.md privileged grants: owner, member, security, project_admin, production groups). */
function privilegedGrantOf(
  entry: AccessChangeEntry,
): Omit<PrivilegedGrant, 'entryId' | 'sequence' | 'time' | 'actor' | 'reason'> | undefined {
  const after = entry.after as Record<string, unknown> | null;
  const userId = entry.target.userId;
  if (!after || userId === undefined) return undefined;
  switch (entry.source.eventType) {
    case 'TeamCreated':
      return { userId, projectId: null, grant: 'team_role', value: 'owner' };
    case 'MemberAdded':
    case 'TeamRoleChanged': {
      const role = after.role as TeamRole;
      return privilegedTeamRoles.includes(role)
        ? { userId, projectId: null, grant: 'team_role', value: role }
        : undefined;
    }
    case 'ProjectRoleAssigned': {
      const role = after.role as ProjectRole;
      return privilegedProjectRoles.includes(role)
        ? { userId, projectId: entry.target.projectId ?? null, grant: 'project_role', value: role }
        : undefined;
    }
    case 'PermissionGroupGranted': {
      const group = after.group as PermissionGroup;
      return privilegedPermissionGroups.includes(group)
        ? { userId, projectId: null, grant: 'permission_group', value: group }
        : undefined;
    }
    default:
      return undefined;
  }
}

/** Compliance findings on the team as it stands (POLICY.md). */
export function complianceFindings(state: TeamState): ComplianceFinding[] {
  if (state.status !== 'active') return [];
  const members = [...state.members.values()];
  const findings: ComplianceFinding[] = [];
  const owners = members.filter((m) => m.role.value === 'owner').map((m) => m.userId);
  if (owners.length < recommendedOwners) {
    findings.push({
      finding: 'owners.fewer-than-two',
      policy: 'POLICY.md: at least two individuals should have owner permissions',
      message: `the team has ${owners.length} owner(s); at least ${recommendedOwners} are recommended`,
      userIds: owners.sort(),
    });
  }
  const idle = members
    .filter((m) => inherentProjectRole[m.role.value] === null && m.projectRoles.size === 0)
    .map((m) => m.userId);
  if (idle.length > 0) {
    findings.push({
      finding: 'contributor.without-project-role',
      policy: 'POLICY.md: contributors have no access to projects unless explicitly assigned',
      message: `${idle.length} contributor(s) hold no project role`,
      userIds: idle.sort(),
    });
  }
  const allowed = planRules[state.plan].teamRoles;
  const offPlan = members.filter((m) => !allowed.includes(m.role.value)).map((m) => m.userId);
  if (offPlan.length > 0) {
    findings.push({
      finding: 'member.role-not-on-plan',
      policy: ruleIds.planRoleAvailable,
      message: `${offPlan.length} member(s) hold a role the ${state.plan} plan does not offer`,
      userIds: offPlan.sort(),
    });
  }
  return findings;
}

interface RecordedCampaign {
  name: string;
  dueAt: string;
  reviewerIds: string[];
}

/**
 * The campaigns past their due date and not completed as of `asOf` (issue "Access reviews": overdue campaigns are
 * findings), from the audit entries of campaign openings, completions and expiries (those after `asOf` are ignored).
 * Ordered by due date.
 */
export function overdueAccessReviews(lifecycle: Iterable<AuditEntry>, asOf: string): OverdueAccessReview[] {
  const asOfTime = Date.parse(asOf);
  const opened = new Map<string, RecordedCampaign>();
  const closed = new Map<string, { state: 'completed' | 'expired'; at: string }>();
  for (const entry of lifecycle) {
    if (entry.kind !== 'change' || Date.parse(entry.time) > asOfTime) continue;
    const reviewId = reviewIdOfSetting(entry.target.setting);
    if (reviewId === undefined) continue;
    if (entry.action === accessReviewActions.opened) {
      const after = entry.after as Partial<RecordedCampaign>;
      opened.set(reviewId, {
        name: String(after.name),
        dueAt: String(after.dueAt),
        reviewerIds: Array.isArray(after.reviewerIds) ? after.reviewerIds.map(String) : [],
      });
    } else if (entry.action === accessReviewActions.completed) {
      closed.set(reviewId, { state: 'completed', at: entry.time });
    } else if (entry.action === accessReviewActions.expired) {
      closed.set(reviewId, { state: 'expired', at: entry.time });
    }
  }
  const overdue: OverdueAccessReview[] = [];
  for (const [reviewId, campaign] of opened) {
    const closing = closed.get(reviewId);
    if (closing?.state === 'completed') continue;
    if (closing?.state === 'expired') overdue.push({ reviewId, ...campaign, state: 'expired', expiredAt: closing.at });
    else if (asOfTime > Date.parse(campaign.dueAt))
      overdue.push({ reviewId, ...campaign, state: 'open', expiredAt: null });
  }
  return overdue.sort(
    (a, b) =>
      Date.parse(a.dueAt) - Date.parse(b.dueAt) || (a.reviewId < b.reviewId ? -1 : a.reviewId > b.reviewId ? 1 : 0),
  );
}

function overdueAccessReviewFinding(overdue: OverdueAccessReview[]): ComplianceFinding[] {
  if (overdue.length === 0) return [];
  const expired = overdue.filter((campaign) => campaign.state === 'expired').length;
  return [
    {
      finding: 'access-review.overdue',
      policy:
        'POLICY.md: "Managing and reviewing user access"; a campaign is due by its dueAt (access-review.before-due)',
      message: `${overdue.length} access review campaign(s) not completed by their due date: ${expired} expired, ${overdue.length - expired} still open`,
      userIds: [...new Set(overdue.flatMap((campaign) => campaign.reviewerIds))].sort(),
      accessReviews: overdue,
    },
  ];
}

/**
 * Aggregates the entries of a window (oldest first), the team's state at its end, and the campaign openings,
 * completions and expiries recorded up to its end (from the whole log: a campaign opened before the window may be
 * overdue in it).
 */
export function summarizeAudit(
  teamId: string,
  window: { from: string | null; to: string },
  entries: Iterable<AuditEntry>,
  stateAtEnd: TeamState,
  accessReviewLifecycle: Iterable<AuditEntry>,
): AuditSummary {
  const summary: AuditSummary = {
    teamId,
    from: window.from,
    to: window.to,
    changes: { total: 0, byType: counts(), byActor: counts() },
    privilegedGrants: [],
    deniedAttempts: { total: 0, suppressed: 0, byActor: counts(), attempts: [] },
    findings: [
      ...complianceFindings(stateAtEnd),
      ...overdueAccessReviewFinding(overdueAccessReviews(accessReviewLifecycle, window.to)),
    ],
  };
  for (const entry of entries) {
    const common = { entryId: entry.id, sequence: entry.sequence, time: entry.time, actor: entry.actor };
    if (entry.kind === 'denial') {
      const denied = summary.deniedAttempts;
      denied.total += 1 + entry.denial.suppressedBefore;
      denied.suppressed += entry.denial.suppressedBefore;
      increment(denied.byActor, entry.actor);
      denied.byActor[entry.actor] += entry.denial.suppressedBefore;
      denied.attempts.push({
        ...common,
        commandType: entry.denial.commandType,
        target: entry.target,
        permission: entry.denial.permission,
        rule: entry.denial.rule,
        suppressedBefore: entry.denial.suppressedBefore,
      });
      continue;
    }
    summary.changes.total += 1;
    increment(summary.changes.byType, entry.action);
    increment(summary.changes.byActor, entry.actor);
    const grant = privilegedGrantOf(entry);
    if (grant) summary.privilegedGrants.push({ ...common, ...grant, reason: entry.reason });
  }
  return summary;
}
