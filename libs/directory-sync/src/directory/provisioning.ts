import { randomUUID } from 'node:crypto';
import {
  loadStream,
  WrongExpectedRevisionError,
  type EventStore,
  type LoadedStream,
  type RecordedEvent,
  type RequestContext,
  type StreamLocks,
} from '@access-audit/event-store';
import { directoryActorId } from '@access-audit/domain';
import {
  erasedText,
  isSealedValue,
  sealMetadata,
  type PersonalData,
  type PersonalDataSealer,
} from '@access-audit/privacy';
import type { ScimRejection } from '../scim/errors';
import { decideDirectory, type DirectoryCommand } from './decide';
import { directoryEventTypes, directoryStreamId, type DirectoryEvent } from './events';
import { evolveDirectory, initialDirectoryState, type DirectoryStreamState } from './state';

/** Who asked (the SCIM request), recorded in every event it appends and carried to the team commands it causes. */
export interface DirectoryRequestContext {
  teamId: string;
  /** The SCIM request id: the correlation of the directory's events and of the team commands they cause. */
  correlationId: string;
  requestContext?: RequestContext;
}

/** What bringing the team in line with the directory gave: done, or the first refusal (recorded as a denial). */
export type DirectoryTeamOutcome = { ok: true } | { ok: false; rejection: ScimRejection };

/**
 * After every write: brings the team's members named in `scope` in line with the directory's state; with
 * `sweepOutOfLine`, also every other user whose membership disagrees with the mappings (a deleted user, or a removed
 * group member, whose team change was refused or lost a race: the directory no longer names them, the team must follow).
 */
export type DirectoryTeamSync = (input: {
  directoryId: string;
  directory: DirectoryStreamState;
  scope: readonly string[];
  sweepOutOfLine?: boolean;
  context: DirectoryRequestContext;
}) => Promise<DirectoryTeamOutcome>;

export interface DirectoryProvisioningDeps {
  store: EventStore;
  locks: StreamLocks;
  now: () => Date;
  syncTeam: DirectoryTeamSync;
  /**
   * Seals each user's `personal` sub-object under the member's key just before append, and opens it when the stream is
   * loaded (an erased member's reads as "[erased]"); without it, stored as sent.
   */
  personalData?: PersonalData & PersonalDataSealer;
}

export type DirectoryWriteOutcome =
  | { ok: true; state: DirectoryStreamState; events: RecordedEvent[]; team: DirectoryTeamOutcome }
  | { ok: false; rejection: ScimRejection };

/** The schema version of directory events appended sealed (`metadata.schemaVersion`); absent reads as 1 (any shape). */
export const currentDirectoryEventSchemaVersion = 2;

const directorySchemaVersionOf = (recorded: RecordedEvent): number => {
  const version = recorded.metadata?.schemaVersion;
  return version === undefined ? 1 : Number.isSafeInteger(version) ? (version as number) : Number.NaN;
};

/**
 * Reads a stored directory event; one of a type or schema version this code does not know stops the fold (nothing
 * decided on it). Its personal sub-object needs no upcaster: v1 held it in clear, and the fold reads it opened.
 */
function decodeDirectoryEvent(recorded: RecordedEvent): DirectoryEvent {
  const version = directorySchemaVersionOf(recorded);
  if (!directoryEventTypes.has(recorded.type as DirectoryEvent['type']))
    throw new Error(
      `directory stream ${recorded.streamId} holds an event of unknown type ${recorded.type} at revision ${recorded.revision}`,
    );
  if (!(version >= 1 && version <= currentDirectoryEventSchemaVersion))
    throw new Error(
      `directory stream ${recorded.streamId} holds an event of unknown schema version at revision ${recorded.revision}`,
    );
  return { type: recorded.type, data: recorded.data } as DirectoryEvent;
}

/** Refuses an event recorded sealed (v2) whose personal sub-object is in clear: a sealing bug; names the field only. */
function assertSealedDirectoryEvent(recorded: RecordedEvent, personal: unknown): void {
  if (personal === undefined || isSealedValue(personal) || directorySchemaVersionOf(recorded) < 2) return;
  throw new Error(
    `directory stream ${recorded.streamId} holds an event at revision ${recorded.revision} whose data.personal is personal data in clear (not sealed)`,
  );
}

const decider = { initialState: initialDirectoryState, evolve: evolveDirectory };
const maxRetries = 5;
const cacheCapacity = 1_000;
/** As long as an opened subject key is cached (SubjectKeys' default): no longer does an erasure elsewhere go unseen here. */
const openedLifetimeMs = 30_000;

/** The member userIds a write may change the team membership of: its user, or every member of its group before and after. */
function scopeOf(command: DirectoryCommand, before: DirectoryStreamState, after: DirectoryStreamState): string[] {
  const scope = new Set<string>();
  const memberOf = (scimId: string) => {
    const user = after.users.get(scimId) ?? before.users.get(scimId);
    if (user) scope.add(user.memberUserId);
  };
  if (command.type.endsWith('User')) memberOf(command.scimId);
  else
    for (const state of [before, after])
      for (const scimId of state.groups.get(command.scimId)?.memberScimIds ?? []) memberOf(scimId);
  return [...scope];
}

const everyMemberUserId = (state: DirectoryStreamState): string[] => [
  ...new Set([...state.users.values()].map((user) => user.memberUserId)),
];

/**
 * The application layer of directory streams, as TeamCommands is of team streams: load (cached), decide, append with
 * the expected revision (retried on another instance's append), then the team brought in line, all under the
 * directory's lock so that each reconciliation sees the writes before it.
 */
export class DirectoryProvisioning {
  readonly #cache = new Map<string, LoadedStream<DirectoryStreamState>>();
  /** When each folded directory was first opened: past the key cache's lifetime it is opened afresh (another instance's erasure). */
  readonly #openedAt = new Map<string, number>();

  constructor(private readonly deps: DirectoryProvisioningDeps) {}

  /** Drops every folded directory (they hold opened personal data): after an erasure, the next read opens afresh. */
  forgetOpened(): void {
    this.#cache.clear();
    this.#openedAt.clear();
  }

  /** The directory as its stream holds it now. */
  async read(directoryId: string): Promise<DirectoryStreamState> {
    return (await this.#load(directoryStreamId(directoryId))).state;
  }

  async #load(streamId: string): Promise<LoadedStream<DirectoryStreamState>> {
    const personalData = this.deps.personalData;
    const store = personalData ? openedDirectoryStream(this.deps.store, personalData) : this.deps.store;
    const openedAt = this.#openedAt.get(streamId);
    if (personalData && openedAt !== undefined && Date.now() - openedAt > openedLifetimeMs) {
      this.#cache.delete(streamId);
      this.#openedAt.delete(streamId);
    }
    const cached = this.#cache.get(streamId);
    if (!cached) this.#openedAt.set(streamId, Date.now());
    const loaded = await loadStream(store, streamId, decider, decodeDirectoryEvent, cached);
    this.#remember(streamId, loaded);
    return loaded;
  }

  #remember(streamId: string, loaded: LoadedStream<DirectoryStreamState>): void {
    this.#cache.delete(streamId);
    this.#cache.set(streamId, loaded);
    if (this.#cache.size > cacheCapacity) {
      const oldest = this.#cache.keys().next().value!;
      this.#cache.delete(oldest);
      this.#openedAt.delete(oldest);
    }
  }

  write(command: DirectoryCommand, context: DirectoryRequestContext): Promise<DirectoryWriteOutcome> {
    const streamId = directoryStreamId(command.directoryId);
    return this.deps.locks.run(streamId, async () => {
      for (let retry = 0; ; retry++) {
        const loaded = await this.#load(streamId);
        const decision = decideDirectory(command, loaded.state);
        if (!decision.ok) {
          // A retried DELETE finds the resource gone (404), yet its first try may have left the team out of line:
          // a deleted user still a member, or a deleted group's members still holding what it gave.
          if ((command.type === 'DeleteUser' || command.type === 'DeleteGroup') && decision.rejection.status === 404) {
            const team = await this.deps.syncTeam({
              directoryId: command.directoryId,
              directory: loaded.state,
              scope: command.type === 'DeleteGroup' ? everyMemberUserId(loaded.state) : [],
              sweepOutOfLine: true,
              context,
            });
            if (!team.ok) return { ok: false, rejection: team.rejection };
          }
          return { ok: false, rejection: decision.rejection };
        }
        let recorded: RecordedEvent[] = [];
        let after = loaded;
        if (decision.events.length > 0) {
          const metadata = {
            actorId: directoryActorId(command.directoryId),
            correlationId: context.correlationId,
            causationId: context.correlationId,
            ...(context.requestContext ? { requestContext: context.requestContext } : {}),
          };
          const personalData = this.deps.personalData;
          const sealedMetadata = personalData
            ? {
                ...(await sealMetadata(metadata, metadata.actorId, personalData)),
                schemaVersion: currentDirectoryEventSchemaVersion,
              }
            : metadata;
          const toAppend = await Promise.all(
            decision.events.map(async (event) => ({
              id: randomUUID(),
              type: event.type,
              data: personalData ? await sealPersonal(event, loaded.state, personalData) : event.data,
              metadata: sealedMetadata,
            })),
          );
          try {
            const result = await this.deps.store.append(
              streamId,
              toAppend,
              loaded.revision === -1 ? 'no_stream' : loaded.revision,
            );
            const recordedAt = new Date().toISOString();
            recorded = toAppend.map((event, index) => ({
              ...event,
              streamId,
              revision: result.events[index]!.revision,
              position: result.events[index]!.position,
              recordedAt: result.events[index]!.recordedAt ?? recordedAt,
            }));
            after = {
              state: decision.events.reduce(evolveDirectory, loaded.state),
              revision: result.streamRevision,
              position: result.position,
            };
            this.#remember(streamId, after);
          } catch (error) {
            if (error instanceof WrongExpectedRevisionError && retry < maxRetries) continue;
            throw error;
          }
        }
        const scope = scopeOf(command, loaded.state, after.state);
        const team = await this.deps.syncTeam({
          directoryId: command.directoryId,
          directory: after.state,
          scope,
          // A retried group write appends nothing and names no removed member: the sweep repairs what the first try left.
          ...(command.type === 'DeleteUser' || command.type.endsWith('Group') ? { sweepOutOfLine: true } : {}),
          context,
        });
        return { ok: true, state: after.state, events: recorded, team };
      }
    });
  }

  /**
   * Brings the team in line with the whole directory (every user it knows), as after a change of the role mappings;
   * under the directory's lock, so no SCIM write of this process interleaves.
   */
  reconcileAll(directoryId: string, context: DirectoryRequestContext): Promise<DirectoryTeamOutcome> {
    const streamId = directoryStreamId(directoryId);
    return this.deps.locks.run(streamId, async () => {
      const { state } = await this.#load(streamId);
      const scope = everyMemberUserId(state);
      return this.deps.syncTeam({ directoryId, directory: state, scope, sweepOutOfLine: true, context });
    });
  }
}

/** Ids the directory mints for new resources. */
export const newScimId = (): string => randomUUID();

/** The event's `personal` sub-object sealed (as one JSON text) under the member's key; other events as they are. */
async function sealPersonal(
  event: DirectoryEvent,
  state: DirectoryStreamState,
  sealer: PersonalDataSealer,
): Promise<DirectoryEvent['data']> {
  if (!('personal' in event.data)) return event.data;
  const memberUserId =
    'memberUserId' in event.data ? event.data.memberUserId : state.users.get(event.data.scimId)?.memberUserId;
  if (memberUserId === undefined) throw new Error(`directory user ${event.data.scimId} has no member id to seal under`);
  const personal = await sealer.seal(JSON.stringify(event.data.personal), [memberUserId]);
  return { ...event.data, personal } as unknown as DirectoryEvent['data'];
}

/** What an erased member's personal data reads as: a userName no SCIM request can send, and no other attribute. */
const erasedPersonal = { userName: erasedText, attributes: {} };

/** The directory stream as the fold reads it: each sealed `personal` opened (or "[erased]"), everything else as stored. */
function openedDirectoryStream(store: EventStore, personalData: PersonalData): EventStore {
  const readStream: EventStore['readStream'] = async (id, options) => {
    const page = await store.readStream(id, options);
    return Promise.all(
      page.map(async (event) => {
        const personal = (event.data as { personal?: unknown }).personal;
        assertSealedDirectoryEvent(event, personal);
        if (!isSealedValue(personal)) return event;
        const text = await personalData.open(personal);
        const opened = text === erasedText ? erasedPersonal : (JSON.parse(text) as unknown);
        return { ...event, data: { ...(event.data as object), personal: opened } };
      }),
    );
  };
  // The fold reads pages through readStream only.
  return { readStream } as Pick<EventStore, 'readStream'> as EventStore;
}
