import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestContext } from '@access-audit/event-store';
import type { FastifyRequest } from 'fastify';

export const requestIdHeader = 'x-request-id';
const saneRequestId = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** The request id: the client's `X-Request-Id` when it is a sane token of at most 128 characters, else a new UUID. */
export function requestIdFor(request: IncomingMessage): string {
  const given = request.headers[requestIdHeader];
  return typeof given === 'string' && saneRequestId.test(given) ? given : randomUUID();
}

const userAgentMaxLength = 512;

/** What event metadata records about the request that caused a command. */
export function requestContextOf(request: FastifyRequest): RequestContext {
  const userAgent = request.headers['user-agent'];
  return {
    ip: request.ip,
    ...(typeof userAgent === 'string' ? { userAgent: userAgent.slice(0, userAgentMaxLength) } : {}),
    requestId: String(request.id),
  };
}
