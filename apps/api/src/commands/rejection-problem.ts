import type { Rejection } from '@access-audit/domain';
import { WrongExpectedRevisionError } from '@access-audit/event-store';
import { problem, ProblemException, problemTypes, type Problem } from '../http/problem';

/** The HTTP face of a domain rejection: forbidden 403, policy 422, not_found 404, conflict 409, invalid 400. */
export function rejectionProblem(rejection: Rejection): Problem {
  switch (rejection.kind) {
    case 'forbidden':
      return problem(403, problemTypes.forbidden, rejection.message, {
        permission: rejection.permission,
        ...(rejection.projectId !== undefined ? { projectId: rejection.projectId } : {}),
      });
    case 'policy':
      return problem(422, problemTypes.policyViolation, rejection.message, {
        rule: rejection.rule,
        ...(rejection.conflicts !== undefined ? { conflicts: rejection.conflicts } : {}),
      });
    case 'not_found':
      return problem(404, problemTypes.notFound, rejection.message, { rule: rejection.rule });
    case 'conflict':
      return problem(409, problemTypes.conflict, rejection.message, { rule: rejection.rule });
    case 'invalid':
      return problem(400, problemTypes.validation, rejection.message, {
        rule: rejection.rule,
        errors: [{ field: rejection.field, rule: rejection.rule, message: rejection.message }],
      });
  }
}

/** The stream moved on: the If-Match revision was stale, or other instances kept winning past the retry budget. */
export function revisionConflictProblem(error: WrongExpectedRevisionError, pinnedByClient: boolean): ProblemException {
  return new ProblemException(
    problem(
      409,
      problemTypes.revisionMismatch,
      pinnedByClient
        ? `If-Match names revision ${String(error.expected)} but the team is at revision ${error.actual}; reload and retry`
        : 'the team kept changing concurrently; retry the request',
      { expectedRevision: error.expected, currentRevision: error.actual },
    ),
  );
}
