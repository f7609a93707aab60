import type { RecordedEvent, Subscription } from '../port';

export interface LogPage {
  events: RecordedEvent[];
  /** Everything up to this position has been looked at (matching or not); the next page starts after it. */
  scannedThrough: string | undefined;
  /** Committed events lie beyond `scannedThrough` that cannot be read yet (an older transaction is still open). */
  unreadableBeyond?: boolean;
}

/** A store's global log, as a catch-up subscription reads it. */
export interface PagedLog {
  /** Matching events strictly after `after`, in position order, at most `limit`. */
  readPage(after: string | undefined, limit: number): LogPage | Promise<LogPage>;
  /** Calls the listener after every append made through this store object; returns the unregistration. */
  onAppend(listener: () => void): () => void;
}

export interface CatchUpOptions {
  pageSize?: number;
  /** Interval at which an idle subscription looks for appends made by other processes; none when absent. */
  pollIntervalMs?: number;
}

/** First delay before looking again at events that were committed but not yet readable; doubles up to the poll. */
const UNREADABLE_RETRY_MS = 2;

/**
 * Catch-up then live: reads pages until the end of the log, then waits for an append announced to the store (at once)
 * or the next poll (appends by other processes), and reads on from the last position seen.
 */
export class CatchUpSubscription implements Subscription {
  #stopped = false;
  #started = false;
  #wake: (() => void) | undefined;
  readonly #pageSize: number;

  constructor(
    private readonly log: PagedLog,
    private readonly after: string | undefined,
    private readonly options: CatchUpOptions = {},
    private readonly onStop: (subscription: CatchUpSubscription) => void = () => undefined,
  ) {
    this.#pageSize = options.pageSize ?? 500;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#wake?.();
    this.onStop(this);
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    if (this.#started) throw new Error('a subscription can be iterated once');
    this.#started = true;
    return this.#run();
  }

  async *#run(): AsyncGenerator<RecordedEvent> {
    let appendedMeanwhile = false;
    const unregister = this.log.onAppend(() => {
      appendedMeanwhile = true;
      this.#wake?.();
    });
    try {
      let after = this.after;
      let unreadableRetryMs = UNREADABLE_RETRY_MS;
      while (!this.#stopped) {
        appendedMeanwhile = false;
        let page: LogPage;
        try {
          page = await this.log.readPage(after, this.#pageSize);
        } catch (error) {
          if (this.#stopped) return;
          throw error;
        }
        if (this.#stopped) return;
        for (const event of page.events) {
          yield event;
          if (this.#stopped) return;
          after = event.position;
        }
        if (page.scannedThrough !== undefined) after = page.scannedThrough;
        if (page.events.length === this.#pageSize || appendedMeanwhile) continue;
        if (page.unreadableBeyond) {
          await this.#waitForAppend(unreadableRetryMs);
          unreadableRetryMs = Math.min(unreadableRetryMs * 2, this.options.pollIntervalMs ?? unreadableRetryMs * 2);
          continue;
        }
        unreadableRetryMs = UNREADABLE_RETRY_MS;
        await this.#waitForAppend();
      }
    } finally {
      unregister();
      await this.stop();
    }
  }

  #waitForAppend(atMostMs?: number): Promise<void> {
    const waitMs =
      atMostMs === undefined
        ? this.options.pollIntervalMs
        : Math.min(atMostMs, this.options.pollIntervalMs ?? atMostMs);
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      if (waitMs !== undefined) timer = setTimeout(done, waitMs).unref();
      this.#wake = done;
    });
  }
}
