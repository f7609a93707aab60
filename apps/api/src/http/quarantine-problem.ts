import type { QuarantinedEventRef } from '@access-audit/application';
import { problem, ProblemException } from './problem';

/** Problem type of a team whose read models stopped at an event that could not be applied. */
export const teamQuarantinedType = 'urn:access-audit:problem:team-quarantined';

/**
 * 503 for every answer about a quarantined team (`readModel`: the access read models or the audit log): names the team
 * and the event that failed. No Retry-After: it lasts until the cause is fixed and the service restarted or rebuilt.
 */
export const teamQuarantinedProblem = (
  readModel: 'access' | 'audit',
  teamId: string,
  event: QuarantinedEventRef,
): ProblemException =>
  new ProblemException(
    problem(
      503,
      teamQuarantinedType,
      `team ${teamId} is quarantined: its ${readModel === 'access' ? 'read models' : 'audit log'} cannot go past event ${event.id} (${event.type}, position ${event.position}, stream revision ${event.streamRevision}), which could not be applied; every other team is served`,
      {
        teamId,
        readModel,
        event: { id: event.id, type: event.type, position: event.position, streamRevision: event.streamRevision },
      },
    ),
  );

/** Problem type of a command on a team whose stream holds an event this code cannot read. */
export const teamStreamUnreadableType = 'urn:access-audit:problem:team-stream-unreadable';

/** 503 for a command on such a team: nothing is decided on a state that cannot be known; names the event, not its data. */
export const teamStreamUnreadableProblem = (
  teamId: string,
  event: QuarantinedEventRef,
  why: string,
): ProblemException =>
  new ProblemException(
    problem(
      503,
      teamStreamUnreadableType,
      `team ${teamId} takes no command: its stream holds event ${event.id} (${event.type}, position ${event.position}, stream revision ${event.streamRevision}) that cannot be read (${why})`,
      {
        teamId,
        readModel: 'commands',
        event: { id: event.id, type: event.type, position: event.position, streamRevision: event.streamRevision },
      },
    ),
  );
