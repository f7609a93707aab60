import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { scimErrorBody, type ScimRejection } from '@access-audit/directory-sync';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProblemException } from '../http/problem';

export const scimContentType = 'application/scim+json; charset=utf-8';

/** A SCIM request refused: answered in the SCIM error schema (RFC 7644 §3.12), never as problem+json. */
export class ScimException extends Error {
  constructor(readonly rejection: ScimRejection) {
    super(rejection.detail);
  }
}

/** Sends a SCIM answer (`application/scim+json`). */
export function sendScim(
  reply: FastifyReply,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  void reply.status(status).headers(headers).header('content-type', scimContentType);
  if (body === undefined) void reply.send();
  else void reply.send(JSON.stringify(body));
}

/** Every error of a SCIM route in the SCIM error schema: its own refusals, a refused body (400), anything else (500). */
@Catch()
export class ScimErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('SCIM');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    let rejection: ScimRejection;
    if (exception instanceof ScimException) rejection = exception.rejection;
    else if (exception instanceof ProblemException && exception.problem.status < 500) {
      const { status, detail } = exception.problem;
      rejection = {
        status: status as ScimRejection['status'],
        ...(status === 400 ? { scimType: 'invalidSyntax' as const } : {}),
        detail,
      };
    } else {
      const error = exception instanceof Error ? exception : new Error(String(exception));
      this.logger.error(
        `${request.method} ${request.routeOptions.url ?? ''} [${String(request.id)}] failed: ${error.message}`,
        error.stack,
      );
      rejection = { status: 500, detail: 'the request failed; see the service log under this request id' };
    }
    if (reply.sent) return;
    const headers: Record<string, string> =
      rejection.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="scim"' } : {};
    sendScim(reply, rejection.status, scimErrorBody(rejection), headers);
  }
}
