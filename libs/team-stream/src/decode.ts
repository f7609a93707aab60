import { teamEventTypes, teamStreamPrefix, type TeamEvent } from '@access-audit/domain';
import type { RecordedEvent } from '@access-audit/event-store';
import { teamEventDataProblem } from './shapes';

const knownTeamEventTypes: ReadonlySet<string> = new Set(teamEventTypes);

/**
 * A recorded team event that cannot be read as a domain event; names the event, never its data. A TypeError: its data
 * is not of the type its event type says, as when a fold would have met it.
 */
export class UndecodableTeamEventError extends TypeError {
  constructor(
    readonly event: Pick<RecordedEvent, 'id' | 'streamId' | 'revision' | 'position' | 'type'>,
    readonly why: string,
    options?: { cause?: unknown },
  ) {
    super(
      `team event ${event.id} (${event.type}, ${event.streamId}@${event.revision}) cannot be decoded: ${why}`,
      options,
    );
    this.name = 'UndecodableTeamEventError';
  }
}

/** Turns an event as an older version of the code recorded it into the shape of today's; none is needed yet. */
export type TeamEventUpcaster = (event: { type: string; data: unknown }) => { type: string; data: unknown };

/** Applied in order to every recorded team event before it is read; where schema changes register their upcaster. */
export const teamEventUpcasters: readonly TeamEventUpcaster[] = [];

/** Whether the store event belongs to a team stream. */
export const isTeamStreamEvent = (event: Pick<RecordedEvent, 'streamId'>): boolean =>
  event.streamId.startsWith(teamStreamPrefix);

/** What every fold relies on in a team event's data. */
const requiredStringFields = ['teamId', 'actorId', 'occurredAt'] as const;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The one decode of a recorded team event: upcast, then checked for what every fold relies on (a known type, the team,
 * actor and time as strings, and every field of its type that a fold, a read model or the audit log reads). `undefined` for a type this code does not know (written by newer code,
 * or not a team event); a known type with unreadable data throws `UndecodableTeamEventError`.
 */
export function decodeTeamEvent(recorded: RecordedEvent, upcasters = teamEventUpcasters): TeamEvent | undefined {
  let event: { type: string; data: unknown } = { type: recorded.type, data: recorded.data };
  for (const upcast of upcasters) event = upcast(event);
  if (!knownTeamEventTypes.has(event.type)) return undefined;
  const data = event.data;
  if (!isObject(data)) throw new UndecodableTeamEventError(recorded, 'its data is not an object');
  for (const field of requiredStringFields) {
    if (typeof data[field] !== 'string') throw new UndecodableTeamEventError(recorded, `data.${field} is not a string`);
  }
  const problem = teamEventDataProblem(event.type as TeamEvent['type'], data);
  if (problem) throw new UndecodableTeamEventError(recorded, problem);
  return event as TeamEvent;
}
