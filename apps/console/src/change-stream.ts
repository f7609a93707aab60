import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ApiRefusal, request, segment } from './api';

/** An entry of the change feed (`GET /v1/changes`). */
export interface PermissionChange {
  position: string;
  teamId: string;
  userId: string;
  projectId: string | null;
  permission: string;
  change: 'granted' | 'revoked';
  cause: { eventId: string; type: string; position: string; actorId: string; occurredAt: string; reason?: string };
}

export type StreamStatus =
  | { state: 'connecting' }
  | { state: 'live'; after: string | undefined }
  | { state: 'reconnecting'; after: string | undefined; why: string }
  | { state: 'refused'; message: string; status: number };

export interface ChangeStreamHandlers {
  /** The changes of one or more whole causing events, oldest first. */
  onChanges(changes: PermissionChange[]): void;
  onStatus(status: StreamStatus): void;
}

/** What the server asks (`retry:`) unless it says otherwise. */
const defaultRetryMs = 2000;

/**
 * Follows one team's change feed as Server-Sent Events over fetch (EventSource cannot send the Authorization header),
 * until `signal` aborts. Only the last change of each causing event carries `id:`, so changes are handed on per whole
 * event and a dropped stream resumes `after` the last id seen: no change is lost or shown twice.
 */
export async function followChangeStream(
  teamId: string,
  after: string | undefined,
  signal: AbortSignal,
  handlers: ChangeStreamHandlers,
): Promise<void> {
  let lastId = after;
  let retryMs = defaultRetryMs;
  handlers.onStatus({ state: 'connecting' });
  while (!signal.aborted) {
    let why = 'the stream ended';
    try {
      const query = `teamId=${segment(teamId)}${lastId !== undefined ? `&after=${segment(lastId)}` : ''}`;
      const response = await request(`/v1/changes?${query}`, { headers: { Accept: 'text/event-stream' }, signal });
      if (!response.body) throw new Error('the answer has no body to stream');
      handlers.onStatus({ state: 'live', after: lastId });
      let pending: PermissionChange[] = [];
      const parser = createParser({
        onEvent(message: EventSourceMessage) {
          if (message.event !== 'change') return;
          pending.push(JSON.parse(message.data) as PermissionChange);
          if (message.id === undefined) return;
          lastId = message.id;
          const whole = pending;
          pending = [];
          handlers.onChanges(whole);
        },
        onRetry(interval: number) {
          retryMs = interval;
        },
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(value);
      }
    } catch (error) {
      if (signal.aborted) return;
      // A refusal will not change by asking again (a lost sign-in, a missing permission, an unknown team).
      if (error instanceof ApiRefusal && error.status >= 400 && error.status < 500) {
        handlers.onStatus({ state: 'refused', message: error.message, status: error.status });
        return;
      }
      why = error instanceof Error ? error.message : String(error);
    }
    if (signal.aborted) return;
    handlers.onStatus({ state: 'reconnecting', after: lastId, why });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, retryMs);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
}
