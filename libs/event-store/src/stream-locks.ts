/**
 * A keyed async mutex: work queued under one key runs one at a time, in arrival order; different keys run freely.
 * Commands on one stream within one process are serialized with it, so they never conflict with each other.
 */
export class StreamLocks {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => held);
    this.#tails.set(key, tail);
    try {
      await previous;
      return await work();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Keys with work running or queued. */
  get activeKeys(): number {
    return this.#tails.size;
  }
}
