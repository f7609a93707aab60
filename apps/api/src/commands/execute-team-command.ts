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

/** The answer of a command route with `dryRun=true` (API.md "Impact preview"); nothing was appended. */
export interface TeamCommandPreviewed {
  dryRun: true;
  /** The team stream's revision the preview was decided on (its `ETag`). */
  streamRevision: number;
  events: Array<{ type: string; data: unknown }>;
  permissionChanges: Array<{
    userId: string;
    projectId: string | null;
    permission: string;
    change: 'granted' | 'revoked';
  }>;
}

/** What a command route answers: the command's success body, or its impact preview. */
export type TeamCommandAnswer = TeamCommandAccepted | TeamCommandPreviewed;

export const isPreview = (answer: TeamCommandAnswer): answer is TeamCommandPreviewed => 'dryRun' in answer;

/** One team command of an HTTP route, for the CommandBus; its handler issues it through the application layer. */
export class ExecuteTeamCommand extends Command<TeamCommandAnswer> {
  constructor(
    readonly command: TeamCommandInput,
    readonly context: TeamCommandContext,
  ) {
    super();
  }
}
