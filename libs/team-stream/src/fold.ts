import { evolve, initialTeamState, teamStreamId, type TeamEvent, type TeamState } from '@access-audit/domain';
import type { EventStore, RecordedEvent } from '@access-audit/event-store';
import { decodeTeamEvent, UndecodableTeamEventError } from './decode';

/** An instant as milliseconds, or undefined unless it is an ISO-8601 date or date-time. */
export function instantMs(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  // Date.parse also accepts forms like "March 3"; an instant must at least start with a full date.
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The one rule for when a team event happened: its `occurredAt` (else the store's time), but never earlier than the
 * event before it in the stream, so a stream's instants only move forward (as the temporal index reads them).
 */
export const effectiveMs = (event: TeamEvent, recorded: RecordedEvent, previousMs: number): number =>
  Math.max(previousMs, instantMs(event.data.occurredAt) ?? instantMs(recorded.recordedAt) ?? previousMs);

/** `effectiveMs` of a recorded event before it is decoded (its data's `occurredAt` when that is a string). */
const recordedMs = (recorded: RecordedEvent, previousMs: number): number => {
  const data = recorded.data as { occurredAt?: unknown } | null;
  const occurredAt =
    typeof data === 'object' && data !== null && typeof data.occurredAt === 'string' ? data.occurredAt : undefined;
  return Math.max(previousMs, instantMs(occurredAt) ?? instantMs(recorded.recordedAt) ?? previousMs);
};

export interface TeamAt {
  state: TeamState;
  /** Revision of the last event folded; -1 when none was. */
  revision: number;
  /** Position of the last event folded. */
  position: string | undefined;
}

export interface FoldUntil {
  /** Fold up to and including this revision. */
  revision?: number;
  /** Fold the events that happened at or before this instant (ms), by `effectiveMs`. */
  atMs?: number;
}

const pageSize = 1_000;

/** Folds one event; data that decodes but cannot be folded names the event, as an undecodable one does. */
function evolveRecorded(state: TeamState, event: TeamEvent, recorded: RecordedEvent): TeamState {
  try {
    return evolve(state, event);
  } catch (error) {
    throw new UndecodableTeamEventError(recorded, 'its data cannot be folded', { cause: error });
  }
}

/** A team folded from its stream, whole or up to a revision or an instant; read in pages, decoded by `decodeTeamEvent`. */
export async function foldTeamStream(store: EventStore, teamId: string, until: FoldUntil = {}): Promise<TeamAt> {
  const streamId = teamStreamId(teamId);
  let folded: TeamAt = { state: initialTeamState(), revision: -1, position: undefined };
  let lastMs = -Infinity;
  for (let from = 0; ;) {
    const page = await store.readStream(streamId, { fromRevision: from, limit: pageSize });
    for (const recorded of page) {
      if (until.revision !== undefined && recorded.revision > until.revision) return folded;
      // An event past the instant is never read, so a broken one after it cannot stop an earlier answer.
      if (until.atMs !== undefined && recordedMs(recorded, lastMs) > until.atMs) return folded;
      const event = decodeTeamEvent(recorded);
      if (event) {
        lastMs = effectiveMs(event, recorded, lastMs);
        folded = {
          state: evolveRecorded(folded.state, event, recorded),
          revision: recorded.revision,
          position: recorded.position,
        };
      } else {
        folded = { ...folded, revision: recorded.revision, position: recorded.position };
      }
    }
    if (page.length < pageSize) return folded;
    from = page[page.length - 1]!.revision + 1;
  }
}
