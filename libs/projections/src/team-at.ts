import {
  evolve,
  initialTeamState,
  teamEventTypes,
  teamStreamId,
  type TeamEvent,
  type TeamState,
} from '@access-audit/domain';
import type { EventStore } from '@access-audit/event-store';
import { instantMs } from './instants';

const knownTeamEventTypes: ReadonlySet<string> = new Set(teamEventTypes);

/**
 * A team's state as it was at an instant: its stream folded up to the last event at or before it. An event stamped
 * earlier than its predecessor counts as happening at its predecessor's time, as in the temporal index.
 */
export async function teamStateAt(store: EventStore, teamId: string, atMs: number): Promise<TeamState> {
  let state = initialTeamState();
  let lastMs = -Infinity;
  for (const recorded of await store.readStream(teamStreamId(teamId))) {
    if (!knownTeamEventTypes.has(recorded.type)) continue;
    const event = { type: recorded.type, data: recorded.data } as TeamEvent;
    lastMs = Math.max(lastMs, instantMs(event.data.occurredAt) ?? instantMs(recorded.recordedAt) ?? lastMs);
    if (lastMs > atMs) break;
    state = evolve(state, event);
  }
  return state;
}
