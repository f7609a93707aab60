import type { ReadDecision, ReadRefusal, TeamUnavailable } from '@access-audit/application';
import type { ActiveTeam } from '@access-audit/domain';
import { problem, ProblemException, problemTypes } from './problem';
import { teamQuarantinedProblem } from './quarantine-problem';

/** The HTTP face of every refused read: forbidden 403 naming the permission, not_found 404 the rule, unavailable 503. */
export function readRefusalProblem(refusal: ReadRefusal | TeamUnavailable): ProblemException {
  switch (refusal.kind) {
    case 'forbidden':
      return new ProblemException(
        problem(403, problemTypes.forbidden, refusal.message, { permission: refusal.permission }),
      );
    case 'not_found':
      return new ProblemException(problem(404, problemTypes.notFound, refusal.message, { rule: refusal.rule }));
    case 'unavailable':
      return teamQuarantinedProblem(refusal.readModel, refusal.teamId, refusal.event);
  }
}

/** The team a read route goes on with, or the problem+json of why it may not. */
export function readableTeam(decision: ReadDecision): ActiveTeam {
  if (!decision.allowed) throw readRefusalProblem(decision.refusal);
  return decision.team;
}
