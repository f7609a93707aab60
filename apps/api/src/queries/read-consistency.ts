import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { AccessReadModels } from '@access-audit/projections';
import { problem, ProblemException, problemTypes, validationProblem } from '../http/problem';
import { ACCESS_READ_MODELS } from './read-models.provider';

/** How long a query waits for `minPosition` before answering 503 (API.md "Queries"). */
export const minPositionWaitMs = 5000;

/** `minPosition` and `X-Position`: read-your-writes across the write and read sides. */
@Injectable()
export class ReadConsistency {
  constructor(@Inject(ACCESS_READ_MODELS) private readonly models: AccessReadModels) {}

  /** Waits until the read models include everything up to `minPosition`; 503 with Retry-After after 5 s. */
  async settle(minPosition: string | undefined, field = 'minPosition'): Promise<void> {
    if (minPosition === undefined) return;
    let reached: boolean;
    try {
      reached = await this.models.runner.waitUntilReflects(minPosition, minPositionWaitMs);
    } catch {
      throw validationProblem([
        { field, rule: 'isPosition', message: `${field} must be a position this service returned` },
      ]);
    }
    if (!reached) {
      throw new ProblemException(
        problem(
          503,
          problemTypes.unavailable,
          `the read models have not reached position ${minPosition} yet; retry shortly`,
        ),
        { 'Retry-After': '1', ...this.#positionHeader() },
      );
    }
  }

  /** `answer()` once the read models include `minPosition`: at once, without waiting for a promise, when none is asked. */
  after<T>(minPosition: string | undefined, answer: () => T): T | Promise<T> {
    return minPosition === undefined ? answer() : this.settle(minPosition).then(answer);
  }

  /** Sets `X-Position`: the position the read models reflect as the answer is built. */
  stamp(reply: FastifyReply): void {
    const header = this.#positionHeader();
    if (header['X-Position'] !== undefined) void reply.header('X-Position', header['X-Position']);
  }

  #positionHeader(): Record<string, string> {
    const position = this.models.queries.position;
    return position === undefined ? {} : { 'X-Position': position };
  }
}
