import type { Permission } from '@access-audit/domain';
import type { AccessReviewRuleId } from './rules';

/**
 * Why a campaign command was refused; the same kinds as the team domain's rejections, so the HTTP edge maps both alike
 * (forbidden → 403, policy → 422, not_found → 404, conflict → 409, invalid → 400).
 * A separation-of-duties refusal is `forbidden` with a `rule` instead of a missing permission.
 */
export type AccessReviewRejection =
  | { kind: 'forbidden'; permission: Permission; message: string }
  | { kind: 'forbidden'; rule: AccessReviewRuleId; message: string }
  | { kind: 'policy'; rule: AccessReviewRuleId; message: string }
  | { kind: 'not_found'; rule: AccessReviewRuleId; message: string }
  | { kind: 'conflict'; rule: AccessReviewRuleId; message: string }
  | { kind: 'invalid'; field: string; rule: AccessReviewRuleId; message: string };
