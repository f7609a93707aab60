export interface DenialRateLimitOptions {
  /** Denials recorded in a burst per actor per team. Default 10. */
  burst?: number;
  /** Denials per minute the bucket refills. Default 10. */
  perMinute?: number;
  /** Buckets kept before the least recently used are forgotten. Default 10 000. */
  maxTrackedActors?: number;
}

export type DenialAdmission = { record: true; suppressedBefore: number } | { record: false };

interface Bucket {
  tokens: number;
  refilledAt: number;
  suppressed: number;
}

/**
 * A token bucket per (team, actor): denials beyond the rate are not recorded one by one; their number is carried into
 * the next recorded denial (`suppressedBefore`), so nobody can flood the log and nothing goes uncounted. Denials that
 * other instances recorded are taken from the buckets too (`take`), so the rate holds across instances on one store.
 */
export class DenialRateLimiter {
  readonly #burst: number;
  readonly #perMs: number;
  readonly #maxTracked: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: DenialRateLimitOptions = {}) {
    this.#burst = options.burst ?? 10;
    this.#perMs = (options.perMinute ?? 10) / 60_000;
    this.#maxTracked = options.maxTrackedActors ?? 10_000;
  }

  /** Takes a token for this denial; `nowMs` is the denial's time. */
  admit(teamId: string, actorId: string, nowMs: number): DenialAdmission {
    const bucket = this.#refilled(teamId, actorId, nowMs);
    if (bucket.tokens < 1) {
      bucket.suppressed += 1;
      return { record: false };
    }
    bucket.tokens -= 1;
    const suppressedBefore = bucket.suppressed;
    bucket.suppressed = 0;
    return { record: true, suppressedBefore };
  }

  /** Takes a token for a denial recorded by another instance on the shared store (never refused, never below zero). */
  take(teamId: string, actorId: string, atMs: number): void {
    const bucket = this.#refilled(teamId, actorId, atMs);
    bucket.tokens = Math.max(0, bucket.tokens - 1);
  }

  /** The (team, actor) bucket refilled up to `nowMs`, marked the most recently used. */
  #refilled(teamId: string, actorId: string, nowMs: number): Bucket {
    const key = `${teamId}\u0000${actorId}`;
    const bucket = this.#buckets.get(key) ?? { tokens: this.#burst, refilledAt: nowMs, suppressed: 0 };
    this.#buckets.delete(key);
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > this.#maxTracked) this.#buckets.delete(this.#buckets.keys().next().value as string);
    bucket.tokens = Math.min(this.#burst, bucket.tokens + Math.max(0, nowMs - bucket.refilledAt) * this.#perMs);
    bucket.refilledAt = Math.max(bucket.refilledAt, nowMs);
    return bucket;
  }

  /** How long an empty bucket takes to fill again. */
  get refillMs(): number {
    return this.#burst / this.#perMs;
  }

  /** Puts back a token taken for a denial that could not be appended, with its suppressed count. */
  restore(teamId: string, actorId: string, suppressedBefore: number): void {
    const bucket = this.#buckets.get(`${teamId}\u0000${actorId}`);
    if (!bucket) return;
    bucket.tokens = Math.min(this.#burst, bucket.tokens + 1);
    bucket.suppressed += suppressedBefore;
  }
}
