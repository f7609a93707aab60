import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { validationProblem } from '../http/problem';
import { requestContextOf } from '../http/request-context';
import { isDryRun } from './command-query';
import type { TeamCommandContext } from './execute-team-command';

/** `If-Match: 7`, `If-Match: "7"` or `W/"7"`: the stream revision the client saw. */
const ifMatchPattern = /^\s*(?:W\/)?(?:"(-1|\d{1,15})"|(-1|\d{1,15}))\s*$/;

export function expectedRevisionOf(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined) return undefined;
  const match = ifMatchPattern.exec(ifMatch);
  if (!match) {
    throw validationProblem([
      {
        field: 'If-Match',
        rule: 'streamRevision',
        message: 'If-Match must be a stream revision such as "7" (the ETag of a command answer)',
      },
    ]);
  }
  return Number(match[1] ?? match[2]);
}

/** The entity tag of a team at a revision: the `ETag` of command answers, and what `If-Match` takes back. */
export const etagOf = (streamRevision: number): string => `"${streamRevision}"`;

/**
 * Route parameter decorator: actor, request context, correlation id and If-Match revision of a command request
 * (`@CommandContext() context: TeamCommandContext`), and whether it is an impact preview; add `reason` from the body.
 */
export const CommandContext = createParamDecorator(
  (_data: unknown, execution: ExecutionContext): TeamCommandContext => {
    const request = execution.switchToHttp().getRequest<FastifyRequest>();
    if (!request.principal) throw new Error('@CommandContext() needs an authenticated route');
    const ifMatch = request.headers['if-match'];
    const expectedRevision = expectedRevisionOf(Array.isArray(ifMatch) ? ifMatch.join(',') : ifMatch);
    return {
      actorId: request.principal.userId,
      requestContext: requestContextOf(request),
      correlationId: String(request.id),
      ...(expectedRevision !== undefined ? { expectedRevision } : {}),
      ...(isDryRun(request) ? { dryRun: true } : {}),
    };
  },
);
