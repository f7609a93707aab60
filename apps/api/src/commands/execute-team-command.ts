import { Command } from '@nestjs/cqrs';
import type { TeamCommand } from '@access-audit/domain';
import type { RequestContext } from '@access-audit/event-store';

type WithoutMetadata<C> = C extends TeamCommand ? Omit<C, 'metadata'> : never;

/** A team command as the edge builds it; actor, time and reason are added from the context. */
export type TeamCommandInput = WithoutMetadata<TeamCommand>;

/** Who and what caused the command; recorded in the metadata of every event it appends. */
export interface TeamCommandContext {
  /** The authenticated caller (JWT `sub`), never a body field. */
  actorId: string;
  reason?: string;
  requestContext?: RequestContext;
  /** Ties every event of one request (or one workflow) together; the request id for HTTP commands. */
  correlationId: string;
  /** What caused these events (a request id, or an event id such as a review decision). Default: correlationId. */
  causationId?: string;
  /** From `If-Match`: the team stream's revision the caller saw; a mismatch is 409, never retried. */
  expectedRevision?: number;
}

/** The success body of every command route (API.md "Commands"). */
export interface TeamCommandAccepted {
  /** Position of the last event the command appended (cascades included); opaque. */
  position: string;
  /** The team stream's revision after the command. */
  streamRevision: number;
  events: Array<{ id: string; type: string }>;
}

/** Runs one team command through the event-store command path with the domain's decider. */
export class ExecuteTeamCommand extends Command<TeamCommandAccepted> {
  constructor(
    readonly command: TeamCommandInput,
    readonly context: TeamCommandContext,
  ) {
    super();
  }
}
