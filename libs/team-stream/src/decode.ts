import {
  teamEventTypes,
  teamStreamPrefix,
  type LegacyClearText,
  type TeamEvent,
  type TeamEventType,
} from '@access-audit/domain';
import type { RecordedEvent } from '@access-audit/event-store';
import { isSealedValue, teamEventPersonalFields } from '@access-audit/privacy';
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

/** The schema version of team events this code appends (`metadata.schemaVersion`) and reads every event as. */
export const currentTeamEventSchemaVersion = 2;

/** A recorded team event's schema version: `metadata.schemaVersion`, or 1 for events recorded before it existed. */
export const teamEventSchemaVersionOf = (recorded: Pick<RecordedEvent, 'metadata'>): number => {
  const version = recorded.metadata?.schemaVersion;
  return version === undefined ? 1 : Number.isSafeInteger(version) ? (version as number) : Number.NaN;
};

/** Turns an event of one schema version (as older code recorded it) into the shape of the next version. */
export type TeamEventUpcaster = (event: { type: string; data: unknown }) => { type: string; data: unknown };

/** Upcasters by event type, then by the version they read (each yields the next version). */
export type TeamEventUpcasters = ReadonlyMap<string, ReadonlyMap<number, TeamEventUpcaster>>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** v1 → v2: a personal field recorded in clear before sealing becomes an explicit legacy clear value. */
const legacyClearFields =
  (fields: readonly string[]): TeamEventUpcaster =>
  (event) => {
    if (!isObject(event.data)) return event;
    let data: Record<string, unknown> | undefined;
    for (const field of fields) {
      const value = event.data[field];
      if (typeof value !== 'string') continue;
      data ??= { ...event.data };
      data[field] = { $clear: 1, text: value } satisfies LegacyClearText;
    }
    return data ? { type: event.type, data } : event;
  };

/** Whether the store event belongs to a team stream. */
export const isTeamStreamEvent = (event: Pick<RecordedEvent, 'streamId'>): boolean =>
  event.streamId.startsWith(teamStreamPrefix);

/** What every fold relies on in a team event's data. */
const requiredStringFields = ['teamId', 'actorId', 'occurredAt'] as const;

/** Where schema changes register their upcasters: every team event type's v1 → v2 (personal fields as legacy clear). */
export const teamEventUpcasters: TeamEventUpcasters = new Map(
  teamEventTypes.map((type) => [
    type,
    new Map([[1, legacyClearFields(teamEventPersonalFields[type].map(({ field }) => field))]]),
  ]),
);

/** Why a personal field of an event recorded at version 2 is not sealed (a sealing bug), by path; never its value. */
function unsealedPersonalField(recorded: RecordedEvent, type: TeamEventType, data: Record<string, unknown>) {
  const context = recorded.metadata?.requestContext;
  const fields: [string, unknown][] = teamEventPersonalFields[type].map(({ field }) => [`data.${field}`, data[field]]);
  if (isObject(context))
    fields.push(['metadata.requestContext.ip', context.ip], ['metadata.requestContext.userAgent', context.userAgent]);
  for (const [path, value] of fields) {
    if (value === undefined || isSealedValue(value)) continue;
    return typeof value === 'string'
      ? `${path} is personal data in clear (not sealed)`
      : `${path} is not a sealed value`;
  }
  return undefined;
}

/**
 * The one decode of a recorded team event: upcast from its schema version to the current one, then checked for what
 * every fold relies on (a known type, the team, actor and time as strings, and every field of its type that a fold, a
 * read model or the audit log reads), and that no personal field holds a bare string. `undefined` for a type or a
 * schema version this code does not know (written by newer code, or not a team event); a known type with unreadable
 * data throws `UndecodableTeamEventError`.
 */
export function decodeTeamEvent(recorded: RecordedEvent, upcasters = teamEventUpcasters): TeamEvent | undefined {
  const recordedVersion = teamEventSchemaVersionOf(recorded);
  if (!(recordedVersion >= 1 && recordedVersion <= currentTeamEventSchemaVersion)) return undefined;
  let version = recordedVersion;
  let event: { type: string; data: unknown } = { type: recorded.type, data: recorded.data };
  for (; version < currentTeamEventSchemaVersion; version++) {
    const upcast = upcasters.get(event.type)?.get(version);
    if (upcast) event = upcast(event);
  }
  if (!knownTeamEventTypes.has(event.type)) return undefined;
  const data = event.data;
  if (!isObject(data)) throw new UndecodableTeamEventError(recorded, 'its data is not an object');
  for (const field of requiredStringFields) {
    if (typeof data[field] !== 'string') throw new UndecodableTeamEventError(recorded, `data.${field} is not a string`);
  }
  const type = event.type as TeamEventType;
  const problem = teamEventDataProblem(type, data);
  if (problem) throw new UndecodableTeamEventError(recorded, problem);
  // Recorded since sealing: a personal field in clear is a sealing bug, never read as if it were sealed.
  const unsealed = recordedVersion >= 2 ? unsealedPersonalField(recorded, type, data) : undefined;
  if (unsealed) throw new UndecodableTeamEventError(recorded, unsealed);
  return event as TeamEvent;
}
