import { HttpStatus, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { tap, type Observable } from 'rxjs';
import { validationProblem, type FieldError } from '../http/problem';

const queryOf = (request: FastifyRequest): Record<string, unknown> =>
  (request.query as Record<string, unknown> | undefined) ?? {};

/**
 * The one query parameter a command route takes: `dryRun=true` (the impact preview) or `dryRun=false` (the command).
 * Anything else is refused before anything is decided: a parameter a route ignored would still write.
 */
export function dryRunOf(request: FastifyRequest, options: { previewable: boolean }): boolean {
  const query = queryOf(request);
  const errors: FieldError[] = [];
  for (const [name, value] of Object.entries(query)) {
    if (name !== 'dryRun') {
      errors.push({
        field: name,
        rule: 'whitelistValidation',
        message: `command routes take no query parameter but dryRun; ${name} is not one`,
      });
    } else if (value !== 'true' && value !== 'false') {
      errors.push({ field: 'dryRun', rule: 'isBooleanString', message: 'dryRun must be given once, as true or false' });
    } else if (value === 'true' && !options.previewable) {
      errors.push({
        field: 'dryRun',
        rule: 'previewNotAvailable',
        message:
          'this route has no impact preview (a campaign is its own aggregate, not a team command); nothing was decided or appended',
      });
    }
  }
  if (errors.length > 0) throw validationProblem(errors);
  return query['dryRun'] === 'true';
}

/** Whether this (already validated) command request is an impact preview. */
export const isDryRun = (request: FastifyRequest): boolean => queryOf(request)['dryRun'] === 'true';

/** Checks a command route's query first, and answers a preview `200` (also on routes whose command answers `201`). */
@Injectable()
export class CommandQueryInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!dryRunOf(request, { previewable: true })) return next.handle();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(tap(() => void reply.status(HttpStatus.OK)));
  }
}

/** The query check of a command route without an impact preview: `dryRun=true` is refused (400) like any other. */
@Injectable()
export class NoPreviewQueryInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    dryRunOf(context.switchToHttp().getRequest<FastifyRequest>(), { previewable: false });
    return next.handle();
  }
}
