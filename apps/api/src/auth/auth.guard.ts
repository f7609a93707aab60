import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { problem, ProblemException, problemTypes } from '../http/problem';
import type { SynchronousGuard } from '../http/synchronous-route';
import { AuthenticationError, JwtVerifier } from './jwt-verifier';
import { commandIssuePermission, PUBLIC_ROUTE, readerScope, type Principal } from './principal';

const maxTokenLength = 8192;
const readMethods = new Set(['GET', 'HEAD']);

const unauthenticated = (detail: string, error?: 'invalid_request' | 'invalid_token'): ProblemException =>
  new ProblemException(problem(401, problemTypes.unauthenticated, detail), {
    'WWW-Authenticate': error ? `Bearer realm="access-audit", error="${error}"` : 'Bearer realm="access-audit"',
  });

/** How many Authorization headers came (names and values alternate in `rawHeaders`), without allocating. */
function authorizationHeaderCount(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index]!;
    if (name.length === 13 && name.toLowerCase() === 'authorization') count++;
  }
  return count;
}

/** RFC 6750 §3.1: a request that repeats a parameter is `invalid_request`, answered 400. */
const repeatedAuthorization = (): ProblemException =>
  new ProblemException(
    problem(400, problemTypes.validation, 'the request has more than one Authorization header', {
      errors: [{ field: 'Authorization', rule: 'singleHeader', message: 'send exactly one Authorization header' }],
    }),
    { 'WWW-Authenticate': 'Bearer realm="access-audit", error="invalid_request"' },
  );

/**
 * The global guard: every route needs `Authorization: Bearer <JWT>` unless marked `@Public()`.
 * Machine readers (`access:read`) may only read: any other method is refused with 403 `command.issue`.
 * Read routes that readers must not see (the audit log) check `principal.isReader` themselves.
 */
@Injectable()
export class AuthGuard implements SynchronousGuard {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: JwtVerifier,
  ) {}

  /** Whether a handler (of a class) is `@Public()`: decorator metadata never changes once routes are registered. */
  readonly #publicRoutes = new WeakMap<object, WeakMap<object, boolean>>();

  /** Synchronous for a token that verified before, so the hot read routes wait for nothing. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const screened = this.#screen(context);
    return screened === true ? true : this.#verifyAndAdmit(screened.request, screened.token);
  }

  /** canActivate's answer when it needs no promise; undefined when the token has yet to be verified. */
  canActivateAtOnce(context: ExecutionContext): boolean | undefined {
    return this.#screen(context) === true ? true : undefined;
  }

  /** true when the caller goes on at once; else the token that still needs verifying. Refusals are thrown. */
  #screen(context: ExecutionContext): true | { request: FastifyRequest; token: string } {
    if (context.getType() !== 'http') return true;
    if (this.#isPublic(context.getHandler(), context.getClass())) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    // Node keeps the first of several Authorization headers; which credential was meant is not ours to guess.
    if (authorizationHeaderCount(request.raw.rawHeaders) > 1) throw repeatedAuthorization();
    const token = bearerTokenOf(request.headers.authorization);
    const remembered = this.verifier.remembered(token);
    return remembered ? admit(request, remembered) : { request, token };
  }

  async #verifyAndAdmit(request: FastifyRequest, token: string): Promise<boolean> {
    let principal: Principal;
    try {
      principal = await this.verifier.verify(token);
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      if (error.unavailable)
        throw new ProblemException(problem(503, problemTypes.unavailable, error.reason), { 'Retry-After': '5' });
      throw unauthenticated(error.reason, 'invalid_token');
    }
    return admit(request, principal);
  }

  #isPublic(
    handler: ReturnType<ExecutionContext['getHandler']>,
    controller: ReturnType<ExecutionContext['getClass']>,
  ): boolean {
    let handlers = this.#publicRoutes.get(controller);
    if (!handlers) this.#publicRoutes.set(controller, (handlers = new WeakMap()));
    let isPublic = handlers.get(handler);
    if (isPublic === undefined) {
      isPublic = Boolean(this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [handler, controller]));
      handlers.set(handler, isPublic);
    }
    return isPublic;
  }
}

/** The verified caller goes on, unless a machine reader calls anything but a read. */
function admit(request: FastifyRequest, principal: Principal): true {
  request.principal = principal;
  if (principal.isReader && !readMethods.has(request.method)) {
    throw new ProblemException(
      problem(
        403,
        problemTypes.forbidden,
        `a token with the ${readerScope} scope is a read-only machine consumer and may issue no command`,
        { permission: commandIssuePermission },
      ),
    );
  }
  return true;
}

function bearerTokenOf(header: string | undefined): string {
  if (!header) throw unauthenticated('this route needs an Authorization: Bearer <JWT> header');
  const match = /^Bearer +(\S+)\s*$/i.exec(header);
  if (!match) throw unauthenticated('the Authorization header must be "Bearer <JWT>"', 'invalid_request');
  if (match[1]!.length > maxTokenLength) throw unauthenticated('the token is too long', 'invalid_token');
  return match[1]!;
}
