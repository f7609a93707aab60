import type { AccessReviewRejection } from '@access-audit/access-reviews';
import { problem, ProblemException, problemTypes } from '../http/problem';

/**
 * The HTTP face of a campaign refusal: forbidden 403 (with the missing `permission`, or the separation-of-duties `rule`),
 * policy 422, not_found 404, conflict 409, invalid 400, each naming its rule id.
 */
export function accessReviewProblem(rejection: AccessReviewRejection): ProblemException {
  switch (rejection.kind) {
    case 'forbidden':
      return new ProblemException(
        problem(
          403,
          problemTypes.forbidden,
          rejection.message,
          'rule' in rejection ? { rule: rejection.rule } : { permission: rejection.permission },
        ),
      );
    case 'policy':
      return new ProblemException(
        problem(422, problemTypes.policyViolation, rejection.message, { rule: rejection.rule }),
      );
    case 'not_found':
      return new ProblemException(problem(404, problemTypes.notFound, rejection.message, { rule: rejection.rule }));
    case 'conflict':
      return new ProblemException(problem(409, problemTypes.conflict, rejection.message, { rule: rejection.rule }));
    case 'invalid':
      return new ProblemException(
        problem(400, problemTypes.validation, rejection.message, {
          rule: rejection.rule,
          errors: [{ field: rejection.field, rule: rejection.rule, message: rejection.message }],
        }),
      );
  }
}
