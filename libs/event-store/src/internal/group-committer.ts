/**
 * Group commit, apart from any database: requests that arrive while a commit is in flight (or, for a synchronous
 * driver, in the same turn of the event loop as one) wait and share the next transaction, and each is settled only
 * after the transaction holding it has committed. The first request of an idle period is committed at once.
 */

/** What one request of a committed group came to: its own result or its own error. */
export type Settled<Result> = { ok: true; value: Result } | { ok: false; error: unknown };

/**
 * Commits the requests in one transaction, in order, each apart (a failing one rolls back alone) and returns their
 * outcomes in the same order once the transaction has committed. Throws (or rejects) when the transaction as a whole
 * failed: then none of them is committed. Synchronous drivers return the outcomes directly.
 */
export type CommitGroup<Request, Result> = (
  requests: readonly Request[],
) => ReadonlyArray<Settled<Result>> | Promise<ReadonlyArray<Settled<Result>>>;

export interface GroupCommitLimits {
  /** At most this many requests per transaction. */
  maxRequests: number;
  /** At most this much weight (the store's unit: events) per transaction; a heavier request is committed alone. */
  maxWeight: number;
}

export interface CommittedGroup {
  requests: number;
  weight: number;
}

export interface GroupCommitterOptions extends Partial<GroupCommitLimits> {
  /** Told the size of every group once its transaction has ended (committed or not). */
  onGroup?: (group: CommittedGroup) => void;
}

interface Waiting<Request, Result> {
  request: Request;
  weight: number;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

export const DEFAULT_GROUP_COMMIT_LIMITS: GroupCommitLimits = { maxRequests: 256, maxWeight: 10_000 };

export class GroupCommitter<Request, Result> {
  readonly #commit: CommitGroup<Request, Result>;
  readonly #limits: GroupCommitLimits;
  readonly #onGroup: ((group: CommittedGroup) => void) | undefined;
  #waiting: Array<Waiting<Request, Result>> = [];
  /** A commit is in flight, or ended in this turn of the event loop: arrivals wait for the next group. */
  #busy = false;
  #idleWaiters: Array<() => void> = [];

  constructor(commit: CommitGroup<Request, Result>, options: GroupCommitterOptions = {}) {
    this.#commit = commit;
    this.#limits = {
      maxRequests: Math.max(1, options.maxRequests ?? DEFAULT_GROUP_COMMIT_LIMITS.maxRequests),
      maxWeight: Math.max(1, options.maxWeight ?? DEFAULT_GROUP_COMMIT_LIMITS.maxWeight),
    };
    this.#onGroup = options.onGroup;
  }

  /** Resolves with the request's result, or rejects with its error, once the transaction holding it has ended. */
  submit(request: Request, weight = 1): Promise<Result> {
    if (this.#busy) {
      return new Promise<Result>((resolve, reject) => this.#waiting.push({ request, weight, resolve, reject }));
    }
    // Idle (so nothing waits): this one is committed at once, alone, without the queue's bookkeeping.
    this.#busy = true;
    let outcomes: ReturnType<CommitGroup<Request, Result>>;
    try {
      outcomes = this.#commit([request]);
    } catch (error) {
      this.#ended(1, weight);
      return Promise.reject(error);
    }
    if (!isPromiseLike(outcomes)) {
      this.#ended(1, weight);
      return onlyOutcome(outcomes);
    }
    return outcomes.then(
      (settled) => {
        this.#ended(1, weight);
        return onlyOutcome(settled);
      },
      (error: unknown) => {
        this.#ended(1, weight);
        throw error;
      },
    );
  }

  /** Requests waiting for a transaction (not counting one in flight). */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves once nothing waits and no commit is in flight. */
  idle(): Promise<void> {
    if (!this.#busy && this.#waiting.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  #commitNext(): void {
    const group = this.#takeGroup();
    if (group.length === 0) {
      this.#busy = false;
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
      return;
    }
    this.#busy = true;
    let outcomes: ReturnType<CommitGroup<Request, Result>>;
    try {
      outcomes = this.#commit(group.map((waiting) => waiting.request));
    } catch (error) {
      this.#end(group, undefined, error);
      return;
    }
    if (isPromiseLike(outcomes)) {
      outcomes.then(
        (settled) => this.#end(group, settled, undefined),
        (error: unknown) => this.#end(group, undefined, error),
      );
    } else {
      this.#end(group, outcomes, undefined);
    }
  }

  /** Oldest first, within the limits; the first request always goes, however heavy. */
  #takeGroup(): Array<Waiting<Request, Result>> {
    const { maxRequests, maxWeight } = this.#limits;
    let count = 0;
    let weight = 0;
    while (count < this.#waiting.length && count < maxRequests) {
      const next = this.#waiting[count].weight;
      if (count > 0 && weight + next > maxWeight) break;
      weight += next;
      count += 1;
    }
    return this.#waiting.splice(0, count);
  }

  #end(group: Array<Waiting<Request, Result>>, outcomes: ReadonlyArray<Settled<Result>> | undefined, error: unknown) {
    if (outcomes !== undefined && outcomes.length !== group.length) {
      error = outcomeCountError(outcomes.length, group.length);
      outcomes = undefined;
    }
    group.forEach((waiting, index) => {
      const outcome = outcomes?.[index];
      if (outcome === undefined) waiting.reject(error);
      else if (outcome.ok) waiting.resolve(outcome.value);
      else waiting.reject(outcome.error);
    });
    this.#ended(
      group.length,
      group.reduce((sum, waiting) => sum + waiting.weight, 0),
    );
  }

  #ended(requests: number, weight: number): void {
    // The next group is taken on the next turn, so arrivals of this turn (and I/O callbacks due now) join it.
    setImmediate(() => this.#commitNext());
    this.#onGroup?.({ requests, weight });
  }
}

function onlyOutcome<Result>(outcomes: ReadonlyArray<Settled<Result>>): Promise<Result> {
  if (outcomes.length !== 1) return Promise.reject(outcomeCountError(outcomes.length, 1));
  const [outcome] = outcomes;
  return outcome.ok ? Promise.resolve(outcome.value) : Promise.reject(outcome.error);
}

function outcomeCountError(outcomes: number, requests: number): Error {
  return new Error(`group commit: ${outcomes} outcomes for ${requests} requests`);
}

function isPromiseLike<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
