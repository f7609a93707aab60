import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  WrongExpectedRevisionError,
  type EventMetadata,
  type EventStore,
  type RecordedEvent,
} from '@access-audit/event-store';
import { EVENT_STORE } from '../../event-store/event-store.module';
import { MetricsService } from '../../observability/metrics.service';

/**
 * Idempotency keys live in the event store, so they survive restarts and every instance on one store agrees on them.
 * One stream per (actor, key): `idempotency-<sha256(actorId:key)>`.
 */
export const idempotencyStreamPrefix = 'idempotency-';

export const idempotencyEventTypes = {
  started: 'IdempotentRequestStarted',
  completed: 'IdempotentRequestCompleted',
  failed: 'IdempotentRequestFailed',
} as const;

export interface IdempotentRequestStarted {
  method: string;
  path: string;
  /** sha256 of method, path and the canonical JSON body. */
  requestHash: string;
}

/** The answer given the first time; it holds no secret (command answers and problems never echo submitted values). */
export interface StoredResponse {
  status: number;
  body: unknown;
}

export type IdempotencyClaim =
  /** This request runs the command; record its answer with `complete` or `fail`. */
  | { kind: 'claimed'; streamId: string; revision: number }
  /** Seen before with the same request: answer exactly this. */
  | { kind: 'replay'; response: StoredResponse }
  /** Seen before with another method, path or body. */
  | { kind: 'mismatch' }
  /** The first request with this key is still running. */
  | { kind: 'in_progress' };

/** A started request older than this with no answer is taken to have died with its instance; the key may run again. */
export const abandonedAfterMs = 60_000;
const maxClaimAttempts = 5;

export const idempotencyStreamId = (actorId: string, key: string): string =>
  // JSON, not `actor:key`: user ids and keys may both contain ':', and ("a:b", "c") must not meet ("a", "b:c").
  `${idempotencyStreamPrefix}${createHash('sha256')
    .update(JSON.stringify([actorId, key]))
    .digest('hex')}`;

/** JSON with object keys sorted, so that key order does not make two identical bodies differ. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export const requestHashOf = (method: string, path: string, body: unknown): string =>
  createHash('sha256')
    .update(`${method.toUpperCase()} ${path}\n${canonicalJson(body)}`)
    .digest('hex');

@Injectable()
export class IdempotencyStore {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly metrics: MetricsService,
  ) {}

  async claim(
    actorId: string,
    key: string,
    request: IdempotentRequestStarted,
    metadata: EventMetadata,
    now: Date = new Date(),
  ): Promise<IdempotencyClaim> {
    const streamId = idempotencyStreamId(actorId, key);
    for (let attempt = 0; ; attempt++) {
      const events = await this.store.readStream(streamId);
      const verdict = judge(events, request, now);
      if (verdict.kind !== 'free') return verdict;
      try {
        const result = await this.store.append(
          streamId,
          [{ id: randomUUID(), type: idempotencyEventTypes.started, data: request, metadata }],
          verdict.expected,
        );
        this.metrics.appended([{ type: idempotencyEventTypes.started }]);
        return { kind: 'claimed', streamId, revision: result.streamRevision };
      } catch (error) {
        // Another request with this key claimed it first: judge again with its events.
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= maxClaimAttempts) throw error;
      }
    }
  }

  async complete(
    claim: { streamId: string; revision: number },
    response: StoredResponse,
    metadata: EventMetadata,
  ): Promise<void> {
    await this.record(claim, idempotencyEventTypes.completed, response, metadata);
  }

  /** The request failed on the server side (5xx): a retry with the same key runs it again. */
  async fail(claim: { streamId: string; revision: number }, status: number, metadata: EventMetadata): Promise<void> {
    await this.record(claim, idempotencyEventTypes.failed, { status }, metadata);
  }

  private async record(
    claim: { streamId: string; revision: number },
    type: string,
    data: unknown,
    metadata: EventMetadata,
  ): Promise<void> {
    await this.store.append(claim.streamId, [{ id: randomUUID(), type, data, metadata }], claim.revision);
    this.metrics.appended([{ type }]);
  }
}

type Verdict = Exclude<IdempotencyClaim, { kind: 'claimed' }> | { kind: 'free'; expected: 'no_stream' | number };

/** What the key's history says about this request. */
function judge(events: RecordedEvent[], request: IdempotentRequestStarted, now: Date): Verdict {
  const last = events[events.length - 1];
  if (!last) return { kind: 'free', expected: 'no_stream' };
  const started = [...events].reverse().find((e) => e.type === idempotencyEventTypes.started);
  if (started && (started.data as IdempotentRequestStarted).requestHash !== request.requestHash)
    return { kind: 'mismatch' };
  switch (last.type) {
    case idempotencyEventTypes.completed:
      return { kind: 'replay', response: last.data as StoredResponse };
    case idempotencyEventTypes.failed:
      return { kind: 'free', expected: last.revision };
    default: {
      const abandoned = now.getTime() - Date.parse(last.recordedAt) > abandonedAfterMs;
      return abandoned ? { kind: 'free', expected: last.revision } : { kind: 'in_progress' };
    }
  }
}
