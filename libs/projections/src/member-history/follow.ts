import type { PermissionChange } from '../model';
import type { ProjectionRunner } from '../projection/runner';
import type { MemberHistoryReader } from './reader';

export interface FollowOptions {
  after?: string;
  teamId?: string;
  pageSize?: number;
  signal?: AbortSignal;
}

/**
 * The change feed from `after` on, as it grows: yields the changes of each committed batch (never splitting one
 * event's changes) and waits for the next commit when there is nothing new. Ends when the signal aborts.
 */
export async function* followChanges(
  queries: Pick<MemberHistoryReader, 'changes'>,
  runner: Pick<ProjectionRunner, 'onCommit'>,
  options: FollowOptions = {},
): AsyncGenerator<PermissionChange[]> {
  const { signal, teamId } = options;
  let cursor = options.after;
  let committed = false;
  let wake: () => void = () => undefined;
  const onWake = (): void => {
    committed = true;
    wake();
  };
  const unsubscribe = runner.onCommit(onWake);
  signal?.addEventListener('abort', onWake);
  try {
    while (!signal?.aborted) {
      committed = false;
      const page = queries.changes({
        limit: options.pageSize ?? 500,
        ...(cursor !== undefined ? { after: cursor } : {}),
        ...(teamId !== undefined ? { teamId } : {}),
      });
      cursor = page.next ?? cursor;
      if (page.changes.length) yield page.changes;
      if (page.hasMore || committed) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (committed || signal?.aborted) resolve();
      });
    }
  } finally {
    unsubscribe();
    signal?.removeEventListener('abort', onWake);
  }
}
