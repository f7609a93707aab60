import { initialTeamState } from '@access-audit/domain';
import { genesisHash, type AuditEntry } from './entry';
import { describeReviewEvent } from './review-actions';
import { overdueAccessReviews, summarizeAudit, type ComplianceFinding } from './summary';

let sequence = 0;

/** The audit entry the trail records for a campaign event (same description as the projection uses). */
function campaignEntry(type: string, reviewId: string, occurredAt: string, fields: Record<string, unknown> = {}) {
  const streamId = `access-review-acme-${reviewId}`;
  const data = { teamId: 'acme', reviewId, actorId: 'alice', occurredAt, policyVersion: 'p', ...fields };
  const described = describeReviewEvent(streamId, type, data);
  if (!described) throw new Error(`${type} is not a campaign event the audit log records`);
  sequence += 1;
  const entry: AuditEntry = {
    kind: 'change',
    id: `entry-${sequence}`,
    teamId: 'acme',
    sequence,
    time: occurredAt,
    actor: 'alice',
    ...described.change,
    reason: null,
    context: { ip: null, userAgent: null, requestId: null },
    policyVersion: 'p',
    prevHash: genesisHash,
    source: { eventId: `event-${sequence}`, eventType: type, streamId, streamRevision: 0, position: String(sequence) },
    hash: genesisHash,
  };
  return entry;
}

const opened = (reviewId: string, at: string, dueAt: string, reviewerIds = ['rita']) =>
  campaignEntry('AccessReviewOpened', reviewId, at, {
    name: `${reviewId} review`,
    reviewerIds,
    dueAt,
    scope: { kind: 'team' },
    snapshot: { teamStreamId: 'team-acme', teamStreamRevision: 4, teamStreamPosition: '9' },
    population: { items: [], digest: { algorithm: 'sha256', value: 'ab'.repeat(32) } },
  });
const closing = { outcomes: [], auditChainHead: null, teamStreamRevision: 4 };
const completed = (reviewId: string, at: string) => campaignEntry('AccessReviewCompleted', reviewId, at, closing);
const expired = (reviewId: string, at: string, dueAt: string) =>
  campaignEntry('AccessReviewExpired', reviewId, at, { ...closing, dueAt, revocationsActedAs: null });

/**
 * Issue "Access reviews" item 3: overdue campaigns are marked expired and listed in the summary's findings. A campaign
 * is overdue once the time is after its dueAt (rule access-review.before-due), whether or not a command has reached it
 * since to record its expiry.
 */
describe('overdue access-review campaigns in the audit summary', () => {
  const lifecycle = [
    opened('q1', '2026-01-05T09:00:00.000Z', '2026-03-31T17:00:00.000Z'),
    opened('h1.2026', '2026-01-06T09:00:00.000Z', '2026-04-30T17:00:00.000Z', ['rita', 'oscar']),
    opened('q2', '2026-04-02T09:00:00.000Z', '2026-05-15T17:00:00.000Z', ['sec']),
    opened('yearly', '2026-04-03T09:00:00.000Z', '2026-12-31T17:00:00.000Z'),
    completed('q1', '2026-03-20T12:00:00.000Z'),
    expired('h1.2026', '2026-05-02T08:00:00.000Z', '2026-04-30T17:00:00.000Z'),
  ];

  it('lists expired campaigns and open ones past their due date, never completed ones or ones not yet due', () => {
    expect(overdueAccessReviews(lifecycle, '2026-06-01T00:00:00.000Z')).toEqual([
      {
        reviewId: 'h1.2026',
        name: 'h1.2026 review',
        dueAt: '2026-04-30T17:00:00.000Z',
        state: 'expired',
        expiredAt: '2026-05-02T08:00:00.000Z',
        reviewerIds: ['rita', 'oscar'],
      },
      {
        reviewId: 'q2',
        name: 'q2 review',
        dueAt: '2026-05-15T17:00:00.000Z',
        state: 'open',
        expiredAt: null,
        reviewerIds: ['sec'],
      },
    ]);
  });

  it('judges each campaign as it stood at the given instant', () => {
    const at = (instant: string) =>
      overdueAccessReviews(lifecycle, instant).map((campaign) => [campaign.reviewId, campaign.state]);
    // Due, but its expiry is only recorded on 2 May: open past its due date until then.
    expect(at('2026-05-01T00:00:00.000Z')).toEqual([['h1.2026', 'open']]);
    expect(at('2026-04-30T17:00:00.000Z')).toEqual([]);
    expect(at('2026-04-30T17:00:00.001Z')).toEqual([['h1.2026', 'open']]);
    // Before its completion on 20 March, q1 was open but not yet due.
    expect(at('2026-03-10T00:00:00.000Z')).toEqual([]);
    expect(at('2027-01-01T00:00:00.000Z')).toEqual([
      ['h1.2026', 'expired'],
      ['q2', 'open'],
      ['yearly', 'open'],
    ]);
  });

  it('is one finding of the summary, with the campaigns and their reviewers, even for campaigns opened before the window', () => {
    const summary = summarizeAudit(
      'acme',
      { from: '2026-06-01T00:00:00.000Z', to: '2026-06-30T23:59:59.000Z' },
      [],
      initialTeamState(),
      lifecycle,
    );
    expect(summary.changes.total).toBe(0);
    const finding = summary.findings.find((f) => f.finding === 'access-review.overdue') as Extract<
      ComplianceFinding,
      { finding: 'access-review.overdue' }
    >;
    expect(finding).toMatchObject({
      message: '2 access review campaign(s) not completed by their due date: 1 expired, 1 still open',
      userIds: ['oscar', 'rita', 'sec'],
    });
    expect(finding.policy).toContain('access-review.before-due');
    expect(finding.accessReviews.map((campaign) => [campaign.reviewId, campaign.dueAt, campaign.state])).toEqual([
      ['h1.2026', '2026-04-30T17:00:00.000Z', 'expired'],
      ['q2', '2026-05-15T17:00:00.000Z', 'open'],
    ]);
  });

  it('has no such finding when every campaign due by then was completed', () => {
    const to = '2026-04-01T00:00:00.000Z';
    const inWindow = lifecycle.filter((entry) => entry.time <= to);
    const summary = summarizeAudit('acme', { from: null, to }, inWindow, initialTeamState(), lifecycle);
    expect(summary.changes.byType).toEqual({ 'access_review.opened': 2, 'access_review.completed': 1 });
    expect(summary.findings).toEqual([]);
  });
});
