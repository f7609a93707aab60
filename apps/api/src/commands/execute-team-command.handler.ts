import { Inject, Optional } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { teamDecider, teamStreamId, type TeamCommand } from '@access-audit/domain';
import {
  handleCommand,
  WrongExpectedRevisionError,
  type EventStore,
  type StreamLocks,
} from '@access-audit/event-store';
import { DENIAL_RECORDER, type DenialRecorder } from '../audit/denial-recorder';
import { EVENT_STORE, STREAM_LOCKS } from '../event-store/event-store.module';
import { ProblemException } from '../http/problem';
import { MetricsService } from '../observability/metrics.service';
import { CLOCK, type Clock } from './clock';
import { ExecuteTeamCommand, type TeamCommandAccepted } from './execute-team-command';
import { rejectionProblem, revisionConflictProblem } from './rejection-problem';

/**
 * The one handler of every team command: load the team stream, fold, decide, append with the expected revision
 * (serialized per team in this process, retried on a conflict with another instance unless If-Match pinned it).
 * The domain decides; this only translates the outcome.
 */
@CommandHandler(ExecuteTeamCommand)
export class ExecuteTeamCommandHandler implements ICommandHandler<ExecuteTeamCommand, TeamCommandAccepted> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(STREAM_LOCKS) private readonly locks: StreamLocks,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: MetricsService,
    @Optional() @Inject(DENIAL_RECORDER) private readonly denials?: DenialRecorder,
  ) {}

  async execute({ command, context }: ExecuteTeamCommand): Promise<TeamCommandAccepted> {
    const teamCommand = {
      ...command,
      metadata: {
        actorId: context.actorId,
        now: this.clock.now().toISOString(),
        ...(context.reason !== undefined ? { reason: context.reason } : {}),
      },
    } as TeamCommand;
    let outcome;
    try {
      outcome = await handleCommand(this.store, teamStreamId(command.teamId), teamDecider, teamCommand, {
        locks: this.locks,
        ...(context.expectedRevision !== undefined ? { expectedRevision: context.expectedRevision } : {}),
        metadata: {
          actorId: context.actorId,
          correlationId: context.correlationId,
          causationId: context.causationId ?? context.correlationId,
          ...(context.requestContext ? { requestContext: context.requestContext } : {}),
        },
      });
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) {
        this.metrics.commandHandled(command.type, 'conflict');
        throw revisionConflictProblem(error, context.expectedRevision !== undefined);
      }
      this.metrics.commandHandled(command.type, 'error');
      throw error;
    }
    if (!outcome.ok) {
      this.metrics.commandHandled(command.type, 'rejected');
      // Evidence of the attempt goes to the team's audit stream only; the team stream stays untouched.
      await this.denials?.record(teamCommand, outcome.rejection, {
        requestContext: context.requestContext,
        teamStreamRevision: outcome.streamRevision,
      });
      throw new ProblemException(rejectionProblem(outcome.rejection));
    }
    this.metrics.commandHandled(command.type, 'accepted');
    this.metrics.appended(outcome.events);
    return {
      position: outcome.position,
      streamRevision: outcome.streamRevision,
      events: outcome.events.map((event) => ({ id: event.id, type: event.type })),
    };
  }
}
