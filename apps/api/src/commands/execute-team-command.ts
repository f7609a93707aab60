import { Command } from '@nestjs/cqrs';
import type { TeamCommandContext, TeamCommandInput } from '@access-audit/application';

export type { TeamCommandContext, TeamCommandInput } from '@access-audit/application';

/** The success body of every command route (API.md "Commands"). */
export interface TeamCommandAccepted {
  /** Position of the last event the command appended (cascades included); opaque. */
  position: string;
  /** The team stream's revision after the command. */
  streamRevision: number;
  events: Array<{ id: string; type: string }>;
}

/** One team command of an HTTP route, for the CommandBus; its handler issues it through the application layer. */
export class ExecuteTeamCommand extends Command<TeamCommandAccepted> {
  constructor(
    readonly command: TeamCommandInput,
    readonly context: TeamCommandContext,
  ) {
    super();
  }
}
