import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { pathParamMaxLength } from './ids';
import { problem, problemContentType, problemTypes, statusTitle, type Problem } from './problem';

/** The path of a request target, never its query (which may carry anything). */
const pathOf = (url: string): string => url.split('?')[0]!;

/** The problem for what Fastify refuses before routing: a path that does not decode, or a parameter over the limit. */
export function frameworkProblem(error: Pick<FastifyError, 'code' | 'statusCode'>, url: string): Problem {
  const instance = pathOf(url);
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      return problem(400, problemTypes.validation, 'the URL path is not validly percent-encoded', {
        instance,
        errors: [{ field: 'url', rule: 'percentEncoding', message: 'the URL path must be validly percent-encoded' }],
      });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return problem(414, problemTypes.uriTooLong, `a path segment is longer than ${pathParamMaxLength} characters`, {
        instance,
      });
    default:
      return problem(500, problemTypes.internal, 'the server could not answer the request', { instance });
  }
}

/** Fastify's `frameworkErrors`: its router's refusals in this API's problem+json, instead of Fastify's own body. */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const body = frameworkProblem(error, request.url);
  // The query is dropped as everywhere else; nothing of a path that failed to decode is logged beyond its code.
  if (body.status >= 500) request.log.error({ code: error.code }, 'the router failed a request');
  void reply
    .code(body.status)
    .header('X-Request-Id', String(request.id))
    .type(problemContentType)
    .send(JSON.stringify(body));
}

/** The problem for a request Node's HTTP parser refused. */
export function connectionProblem(error: { code?: string }): Problem {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return problem(408, problemTypes.requestTimeout, 'the request did not arrive in time');
    case 'HPE_HEADER_OVERFLOW':
      return problem(
        431,
        problemTypes.headerFieldsTooLarge,
        'the request line and headers are larger than the server accepts',
      );
    default:
      return problem(400, problemTypes.validation, 'the request is not well-formed HTTP/1.1', {
        errors: [{ field: 'request', rule: 'wellFormed', message: 'the request must be well-formed HTTP/1.1' }],
      });
  }
}

/**
 * Fastify's `clientErrorHandler`: a request Node's parser refused (a NUL in the request line, headers over the limit)
 * is answered with problem+json on the raw socket, which is then closed, as Fastify's default handler does.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection, or one already gone: there is no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const body = connectionProblem(error);
    const payload = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${body.status} ${statusTitle(body.status)}\r\n` +
        `Content-Type: ${problemContentType}\r\n` +
        `Content-Length: ${Buffer.byteLength(payload)}\r\n` +
        'Connection: close\r\n\r\n' +
        payload,
    );
  }
  socket.destroy(error);
}
