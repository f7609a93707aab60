/** One audited event handed to its team's queue, in log order. */
interface Pending {
  position: string;
  done: boolean;
}

/** A position through which every audited event has its entry, once the index holds the audit stream up to `indexAt`. */
export interface RecordedThroughCandidate {
  through: string;
  /** The highest audit-stream position appended for these events (undefined: nothing to wait for). */
  indexAt: string | undefined;
}

/**
 * Where the audit projection has got when teams' entries are recorded concurrently: events are begun in log order and
 * may finish in any order; `through` is the last position before which every begun event is done, so it never passes an
 * event whose entry is not yet appended. Each advance is offered as a candidate to publish once the index reaches it.
 */
export class RecordedThrough {
  readonly #compare: (a: string, b: string) => number;
  #pending: Pending[] = [];
  #head = 0;
  #through: string | undefined;
  /** Highest audit position appended for any finished event (conservative for `through`). */
  #appendedThrough: string | undefined;
  readonly #candidates: RecordedThroughCandidate[] = [];

  constructor(comparePositions: (a: string, b: string) => number, through?: string) {
    this.#compare = comparePositions;
    this.#through = through;
  }

  /** Every begun event at or before this position is done. */
  get through(): string | undefined {
    return this.#through;
  }

  /** Events begun and not yet done. */
  get inFlight(): number {
    return this.#pending.length - this.#head;
  }

  begin(position: string): Pending {
    const pending = { position, done: false };
    this.#pending.push(pending);
    return pending;
  }

  /** The event is recorded (its entry appended at `appendedAt`, when any), or needs no entry; once per event. */
  done(pending: Pending, appendedAt: string | undefined): void {
    if (pending.done) return;
    pending.done = true;
    if (
      appendedAt !== undefined &&
      (this.#appendedThrough === undefined || this.#compare(appendedAt, this.#appendedThrough) > 0)
    )
      this.#appendedThrough = appendedAt;
    const before = this.#head;
    while (this.#head < this.#pending.length && this.#pending[this.#head].done) {
      this.#through = this.#pending[this.#head].position;
      this.#head += 1;
    }
    if (this.#head === before) return;
    if (this.#head > 1024 && this.#head * 2 > this.#pending.length) {
      this.#pending = this.#pending.slice(this.#head);
      this.#head = 0;
    }
    const last = this.#candidates[this.#candidates.length - 1];
    // Same audit position to wait for: the later `through` replaces the earlier one.
    if (last && last.indexAt === this.#appendedThrough) last.through = this.#through!;
    else this.#candidates.push({ through: this.#through!, indexAt: this.#appendedThrough });
  }

  /** The latest candidate the index (at audit position `indexed`) holds every entry of; each is returned once. */
  takeIndexed(indexed: string | undefined): string | undefined {
    let taken: string | undefined;
    while (this.#candidates.length > 0) {
      const { through, indexAt } = this.#candidates[0];
      if (indexAt !== undefined && (indexed === undefined || this.#compare(indexAt, indexed) > 0)) break;
      taken = through;
      this.#candidates.shift();
    }
    return taken;
  }
}
