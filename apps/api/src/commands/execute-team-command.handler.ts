import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { TeamCommandOutcome, TeamCommandPreviewOutcome, TeamCommands } from '@access-audit/application';
import { teamStreamPrefix } from '@access-audit/domain';
import { ProblemException } from '../http/problem';
import { teamStreamUnreadableProblem } from '../http/quarantine-problem';
import {
  ExecuteTeamCommand,
  type TeamCommandAccepted,
  type TeamCommandAnswer,
  type TeamCommandPreviewed,
} from './execute-team-command';
import { rejectionProblem, revisionConflictProblem } from './rejection-problem';
import { TEAM_COMMANDS } from './team-commands.provider';

/** The CommandBus handler of every team command route: issues it through the application layer, answers in HTTP terms. */
@CommandHandler(ExecuteTeamCommand)
export class ExecuteTeamCommandHandler implements ICommandHandler<ExecuteTeamCommand, TeamCommandAnswer> {
  constructor(@Inject(TEAM_COMMANDS) private readonly commands: TeamCommands) {}

  async execute({ command, context }: ExecuteTeamCommand): Promise<TeamCommandAnswer> {
    return acceptedAnswer(await this.commands.issue(command, context));
  }
}

/** A command's outcome as an HTTP route answers it: the accepted body or preview, or the problem it is refused with. */
export function acceptedAnswer(outcome: TeamCommandOutcome): TeamCommandAccepted;
export function acceptedAnswer(outcome: TeamCommandPreviewOutcome): TeamCommandPreviewed;
export function acceptedAnswer(outcome: TeamCommandOutcome | TeamCommandPreviewOutcome): TeamCommandAnswer;
export function acceptedAnswer(outcome: TeamCommandOutcome | TeamCommandPreviewOutcome): TeamCommandAnswer {
  if (!outcome.ok && outcome.kind === 'conflict') throw revisionConflictProblem(outcome.error, outcome.pinned);
  if (!outcome.ok && outcome.kind === 'unreadable') {
    const { event, why } = outcome.error;
    const teamId = event.streamId.slice(teamStreamPrefix.length);
    throw teamStreamUnreadableProblem(teamId, { ...event, streamRevision: event.revision }, why);
  }
  if (!outcome.ok) throw new ProblemException(rejectionProblem(outcome.rejection));
  if ('dryRun' in outcome) {
    const { streamRevision, events, permissionChanges } = outcome;
    return { dryRun: true, streamRevision, events, permissionChanges };
  }
  return {
    position: outcome.position,
    streamRevision: outcome.streamRevision,
    events: outcome.events.map((event) => ({ id: event.id, type: event.type })),
  };
}
