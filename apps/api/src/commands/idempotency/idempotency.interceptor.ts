import {
  HttpStatus,
  Injectable,
  Logger,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import type { EventMetadata } from '@access-audit/event-store';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { problem, ProblemException, problemTypes, validationProblem, type Problem } from '../../http/problem';
import { toProblemResponse } from '../../http/problem.filter';
import { etagOf } from '../command-context';
import { isDryRun } from '../command-query';
import { IdempotencyStore, requestHashOf, type StoredResponse } from './idempotency-store';

export const idempotencyKeyHeader = 'idempotency-key';
export const idempotentReplayedHeader = 'Idempotent-Replayed';
const keyPattern = /^[\x21-\x7e]{1,255}$/;

const streamRevisionOf = (body: unknown): number | undefined => {
  const revision = (body as { streamRevision?: unknown } | null)?.streamRevision;
  return typeof revision === 'number' ? revision : undefined;
};

/**
 * `Idempotency-Key`: the first request with a key runs and its answer (success or refusal) is stored in the event store;
 * the same key with the same method, path and body gets that answer again (`Idempotent-Replayed: true`) and appends
 * nothing; with anything else, 409. Keys are per actor. An impact preview (`dryRun=true`) ignores the key.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Idempotency');

  constructor(private readonly keys: IdempotencyStore) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers[idempotencyKeyHeader];
    // A preview writes nothing, so nothing is kept for a replay: the real command with the same key still runs.
    if (header === undefined || !request.principal || isDryRun(request)) return next.handle();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const successStatus =
      (Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) as number | undefined) ??
      (request.method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK);
    return from(this.run(request, reply, String(header), successStatus, next));
  }

  private async run(
    request: FastifyRequest,
    reply: FastifyReply,
    key: string,
    successStatus: number,
    next: CallHandler,
  ): Promise<unknown> {
    if (!keyPattern.test(key)) {
      throw validationProblem([
        {
          field: 'Idempotency-Key',
          rule: 'idempotencyKey',
          message: 'Idempotency-Key must be 1-255 visible ASCII characters',
        },
      ]);
    }
    const actorId = request.principal!.userId;
    const path = request.url;
    const metadata: EventMetadata = {
      actorId,
      correlationId: String(request.id),
      causationId: String(request.id),
      // The request id only: this record is never sealed nor reached by an erasure, so it keeps no IP or user agent.
      requestContext: { requestId: String(request.id) },
    };
    const claim = await this.keys.claim(
      actorId,
      key,
      { method: request.method, path, requestHash: requestHashOf(request.method, path, request.body) },
      metadata,
    );
    switch (claim.kind) {
      case 'replay':
        return replay(reply, claim.response);
      case 'mismatch':
        throw new ProblemException(
          problem(
            409,
            problemTypes.idempotencyKeyReused,
            'this Idempotency-Key was used with another request (method, path or body)',
          ),
        );
      case 'in_progress':
        throw new ProblemException(
          problem(
            409,
            problemTypes.idempotentRequestInProgress,
            'the first request with this Idempotency-Key is still running; retry shortly',
          ),
          { 'Retry-After': '1' },
        );
      case 'claimed':
        break;
    }
    let body: unknown;
    try {
      body = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } catch (error) {
      const { problem: answer } = toProblemResponse(error, request);
      await this.settle(() =>
        answer.status >= 500
          ? this.keys.fail(claim, answer.status, metadata)
          : this.keys.complete(claim, { status: answer.status, body: answer }, metadata),
      );
      throw error;
    }
    await this.settle(() => this.keys.complete(claim, { status: successStatus, body }, metadata));
    return body;
  }

  /** Recording the answer must not turn a done command into an error; a lost record only means a later retry runs again. */
  private async settle(record: () => Promise<void>): Promise<void> {
    try {
      await record();
    } catch (error) {
      this.logger.warn(
        `could not record the answer of an idempotent request: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

function replay(reply: FastifyReply, response: StoredResponse): unknown {
  void reply.header(idempotentReplayedHeader, 'true');
  if (response.status >= 400) throw new ProblemException(response.body as Problem);
  const revision = streamRevisionOf(response.body);
  if (revision !== undefined) void reply.header('ETag', etagOf(revision));
  void reply.status(response.status);
  return response.body;
}

/** Refuses `Idempotency-Key` on a route whose answer holds a secret shown once (it would be stored to replay it). */
@Injectable()
export class NoIdempotencyKeyInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    // A preview mints no secret, so there is nothing to refuse storing.
    if (request.headers[idempotencyKeyHeader] !== undefined && !isDryRun(request)) {
      throw validationProblem([
        {
          field: 'Idempotency-Key',
          rule: 'notAccepted',
          message:
            'Idempotency-Key is not accepted here: the answer holds a token shown once, never stored for a replay',
        },
      ]);
    }
    return next.handle();
  }
}
