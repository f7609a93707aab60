import { request, type Problem } from './api';
import { downloadWithToken } from './download';

/** What a campaign answers (GET /v1/teams/{teamId}/access-reviews/{reviewId}), as far as the console shows it. */
export interface CampaignDecision {
  decision: 'keep' | 'revoke';
  justification: string | null;
  reviewerId: string;
  decidedAt: string;
}

export interface CampaignItem {
  itemId: string;
  kind: string;
  userId: string;
  grantedBy: string;
  grantedAt: string;
  privileged: boolean;
  role?: string;
  projectId?: string;
  group?: string;
  decision: CampaignDecision | null;
  supersededDecisions: CampaignDecision[];
  outcome: { result?: string; [key: string]: unknown } | null;
}

export interface Campaign {
  teamId: string;
  reviewId: string;
  name: string;
  status: string;
  overdue: boolean;
  openedBy: string;
  openedAt: string;
  dueAt: string;
  reviewerIds: string[];
  defaultDecision: string | null;
  summary: { items: number; decided: number; undecided: number; keep: number; revoke: number };
  closing: { closedBy?: string; closedAt?: string } | null;
  items: CampaignItem[];
}

export interface CampaignSummary {
  reviewId: string;
  name: string;
  status: string;
  overdue: boolean;
  openedBy: string;
  openedAt: string;
  dueAt: string;
  reviewerIds: string[];
  items: number;
  closedAt: string | null;
}

/** The campaign rules a reviewer meets, in words. */
const ruleInWords: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
  'access-review.sod.own-access': 'Separation of duties: a reviewer may not decide on their own access.',
  'access-review.sod.own-grant': 'Separation of duties: a reviewer may not decide on a grant they made.',
  'access-review.justification-required': 'This grant is privileged: a decision on it needs a justification.',
  'access-review.named-reviewer': 'Only a reviewer named in the campaign may decide.',
  'access-review.reviewer-is-current-member': 'The reviewer is no longer a member of the team.',
  'access-review.open': 'The campaign is no longer open.',
  'access-review.before-due': 'The campaign is past its due date.',
  'access-review.completed-by-owner-or-reviewer': 'Only an owner or a named reviewer may complete the campaign.',
  'access-review.reviewers-are-members': 'Every reviewer must be a member of the team.',
  'access-review.due-in-future': 'The due date must be in the future.',
});

/** A refused campaign command, in words: the rule it broke, then the API's own detail. */
export function campaignRefusalInWords(status: number, problem: Problem): string {
  const detail = problem.detail ?? problem.title ?? `the API answered ${status}`;
  if (status === 401) return `Your access token was refused (${detail}). Sign in again with a valid token.`;
  if (problem.rule !== undefined && ruleInWords[problem.rule] !== undefined)
    return `${ruleInWords[problem.rule]} (${detail}; rule ${problem.rule})`;
  if (status === 403 && problem.permission)
    return `You are not allowed to do this: it needs the permission ${problem.permission}. (${detail})`;
  if (status === 400 && problem.errors?.length)
    return `The request was refused: ${problem.errors.map((e) => `${e.field ?? '?'}: ${e.message ?? e.rule ?? ''}`).join('; ')}`;
  if (problem.rule !== undefined) return `The API refused this (${status}, rule ${problem.rule}): ${detail}`;
  return `The API refused this (${status}): ${detail}`;
}

/** POSTs a JSON body with the signed-in user's token; the JSON answer, or an ApiRefusal in words. */
export async function postJson<T>(path: string, body: object): Promise<T> {
  const response = await request(path, { method: 'POST', body: JSON.stringify(body) }, campaignRefusalInWords);
  return (await response.json()) as T;
}

/** GETs `path` with the token in the Authorization header and saves the answer's exact bytes as `fileName`. */
export function download(path: string, fileName: string, accept: string): Promise<void> {
  return downloadWithToken(path, fileName, accept, campaignRefusalInWords);
}
