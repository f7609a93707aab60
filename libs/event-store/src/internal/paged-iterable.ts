import type { RecordedEvent } from '../port';

/** Reads up to `limit` events strictly after `after`, in position order. */
export type PageReader = (after: string | undefined, limit: number) => RecordedEvent[];

/**
 * The global log read page by page, lazily: each page is fetched when the previous one is consumed, so memory stays
 * bounded by one page. Hand-written rather than an async generator, which costs several promises per event.
 */
export function pagedEvents(
  readPage: PageReader,
  options: { after?: string; limit?: number; pageSize: number },
): AsyncIterable<RecordedEvent> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
      let after = options.after;
      let remaining = options.limit ?? Number.POSITIVE_INFINITY;
      let page: RecordedEvent[] = [];
      let index = 0;
      let exhausted = remaining <= 0;
      const finished: IteratorResult<RecordedEvent> = { done: true, value: undefined };
      return {
        next(): Promise<IteratorResult<RecordedEvent>> {
          if (index === page.length) {
            if (exhausted) return Promise.resolve(finished);
            const size = Math.min(options.pageSize, remaining);
            try {
              page = readPage(after, size);
            } catch (error) {
              exhausted = true;
              return Promise.reject(error);
            }
            index = 0;
            remaining -= page.length;
            if (page.length < size || remaining <= 0) exhausted = true;
            if (page.length === 0) return Promise.resolve(finished);
            after = page[page.length - 1].position;
          }
          return Promise.resolve({ done: false, value: page[index++] });
        },
        return(): Promise<IteratorResult<RecordedEvent>> {
          exhausted = true;
          page = [];
          index = 0;
          return Promise.resolve(finished);
        },
      };
    },
  };
}
