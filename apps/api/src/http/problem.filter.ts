import {
  Catch,
  HttpException,
  Logger,
  NotFoundException,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { otherMethodsAt } from './allowed-methods';
import { problem, problemContentType, problemTypes, ProblemException, statusTitle, type Problem } from './problem';

export interface ProblemResponse {
  problem: Problem;
  headers: Readonly<Record<string, string>>;
}

const typeByStatus: Record<number, string> = {
  400: problemTypes.validation,
  401: problemTypes.unauthenticated,
  403: problemTypes.forbidden,
  404: problemTypes.notFound,
  405: problemTypes.methodNotAllowed,
  408: problemTypes.requestTimeout,
  409: problemTypes.conflict,
  413: problemTypes.payloadTooLarge,
  414: problemTypes.uriTooLong,
  415: problemTypes.unsupportedMediaType,
  431: problemTypes.headerFieldsTooLarge,
  503: problemTypes.unavailable,
};

/** Details for the errors fastify raises before a route runs (Nest hands them over as HttpExceptions). */
const detailByStatus: Record<number, string> = {
  413: 'the request body is larger than the API accepts (64 KiB)',
  415: 'request bodies must be JSON (Content-Type: application/json)',
};

/** Anything else carrying a 4xx status code (a fastify error from a hook, say): its status, with a generic detail. */
const clientErrorStatusOf = (exception: unknown): number | undefined => {
  const statusCode = (exception as { statusCode?: unknown } | null)?.statusCode;
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 ? statusCode : undefined;
};

/** Turns anything thrown while serving a request into the problem+json the client gets. Never exposes internals. */
export function toProblemResponse(
  exception: unknown,
  request: Pick<FastifyRequest, 'method' | 'url'>,
): ProblemResponse {
  const instance = request.url.split('?')[0];
  if (exception instanceof ProblemException) {
    return {
      problem: { ...exception.problem, instance: exception.problem.instance ?? instance },
      headers: exception.headers,
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const detail =
      status === 404 && /^Cannot /.test(exception.message)
        ? `no route ${request.method} ${instance}`
        : status >= 500
          ? 'the server could not answer the request'
          : (detailByStatus[status] ?? exception.message);
    // A 400 always lists what failed; here the body as a whole (not JSON, empty…).
    const errors = status === 400 ? { errors: [{ field: 'body', rule: 'wellFormed', message: detail }] } : {};
    return {
      problem: problem(status, typeByStatus[status] ?? problemTypes.http, detail, { instance, ...errors }),
      headers: {},
    };
  }
  const status = clientErrorStatusOf(exception);
  if (status !== undefined) {
    const detail = detailByStatus[status] ?? statusTitle(status).toLowerCase();
    return { problem: problem(status, typeByStatus[status] ?? problemTypes.http, detail, { instance }), headers: {} };
  }
  return {
    problem: problem(500, problemTypes.internal, 'the server could not answer the request', { instance }),
    headers: {},
  };
}

/** Nest's not-found answer (`Cannot GET /path`) for a path that some route serves with other methods: 405 with `Allow`. */
export function methodNotAllowed(exception: unknown, request: FastifyRequest): ProblemResponse | undefined {
  if (!(exception instanceof NotFoundException) || !/^Cannot /.test(exception.message)) return undefined;
  const allowed = otherMethodsAt(request);
  if (allowed.length === 0) return undefined;
  const instance = request.url.split('?')[0];
  const detail = `${instance} is served with ${allowed.join(', ')}, not ${request.method}`;
  return {
    problem: problem(405, problemTypes.methodNotAllowed, detail, { instance }),
    headers: { Allow: allowed.join(', ') },
  };
}

/** The one exception filter: every error answer is `application/problem+json` (RFC 9457). */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { problem: body, headers } = methodNotAllowed(exception, request) ?? toProblemResponse(exception, request);
    if (body.status >= 500) {
      const error = exception instanceof Error ? exception : new Error(String(exception));
      this.logger.error(
        `${request.method} ${body.instance ?? ''} [${String(request.id)}] failed: ${error.message}`,
        error.stack,
      );
    }
    if (reply.sent) return;
    void reply.status(body.status).headers(headers).type(problemContentType).send(body);
  }
}
