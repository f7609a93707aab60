import {
  permissionChanges,
  teamDecider,
  teamStreamId,
  type EffectivePermissionChange,
  type PersonalText,
  type Rejection,
  type TeamCommand,
  type TeamEvent,
  type TeamState,
} from '@access-audit/domain';
import {
  handleCommand,
  loadStream,
  WrongExpectedRevisionError,
  type EventStore,
  type LoadedStream,
  type RecordedEvent,
  type RequestContext,
  type StreamLocks,
} from '@access-audit/event-store';
import { sealRequestContext, sealTeamEvent, sealText, type PersonalDataSealer } from '@access-audit/privacy';
import { currentTeamEventSchemaVersion, decodeTeamEvent, UndecodableTeamEventError } from '@access-audit/team-stream';
import { teamReadRefusal } from './read-authorization';
import { TeamStateCache, type TeamSnapshots } from './team-state-cache';

type WithoutMetadata<C> = C extends TeamCommand ? Omit<C, 'metadata'> : never;

/** A team command as an entry point builds it; actor, time and reason come from the context. */
export type TeamCommandInput = WithoutMetadata<TeamCommand>;

/** Who and what caused the command; recorded in the metadata of every event it appends. */
export interface TeamCommandContext {
  /** The authenticated caller (a JWT `sub`, a campaign's completer, a directory), never a body field. */
  actorId: string;
  reason?: string;
  requestContext?: RequestContext;
  /** Ties every event of one request (or one workflow) together; the request id for HTTP commands. */
  correlationId: string;
  /** What caused these events (a request id, or an event id such as a review decision). Default: correlationId. */
  causationId?: string;
  /** The team stream's revision the caller saw (HTTP `If-Match`); a mismatch is a conflict, never retried. */
  expectedRevision?: number;
  /** ISO-8601 instant of a workflow that acts at one instant (a campaign's closing). Default: the clock's now. */
  now?: string;
  /** Further metadata on every event it appends, tying it to what it enforces (a campaign item: `accessReview`). */
  links?: Readonly<Record<string, unknown>>;
  /** Decide only (API.md "Impact preview"): nothing appended, no denial recorded, no metric counted. */
  dryRun?: boolean;
}

export type TeamCommandOutcome =
  | { ok: true; position: string; streamRevision: number; events: RecordedEvent[] }
  /** The domain refused it; nothing was appended to the team stream (the denial record aside). */
  | { ok: false; kind: 'refused'; rejection: Rejection; streamRevision: number; command: TeamCommand }
  /** The stream was not at the revision the caller pinned (or kept moving past every retry). */
  | { ok: false; kind: 'conflict'; error: WrongExpectedRevisionError; pinned: boolean }
  /** The team's stream holds an event this code cannot read: nothing is decided on a state it cannot know. */
  | { ok: false; kind: 'unreadable'; error: UndecodableTeamEventError };

/** What a command would do, decided on the team's current state exactly as if issued, and appended nowhere. */
export interface TeamCommandPreview {
  ok: true;
  dryRun: true;
  /** The events it would append, as the domain decided them (no id, position or metadata: none exists yet). */
  events: TeamEvent[];
  /** Every effective permission the events would grant or revoke, folded onto the current state. */
  permissionChanges: EffectivePermissionChange[];
  /** The revision it was decided on: the real command pinned to it (If-Match) is decided on the same state. */
  streamRevision: number;
}

/** A preview, or the very refusal (conflict, unreadable stream) the command itself would get. */
export type TeamCommandPreviewOutcome = TeamCommandPreview | Exclude<TeamCommandOutcome, { ok: true }>;

/** Counts what happened to each command and what it appended (the API's Prometheus metrics, for one). */
export interface CommandObserver {
  handled(type: TeamCommand['type'], outcome: 'accepted' | 'rejected' | 'conflict' | 'error'): void;
  appended(events: ReadonlyArray<{ type: string }>): void;
}

/** Where a refused command is recorded (the audit log's denial record); never throws. */
export interface DenialSink {
  record(
    command: TeamCommand,
    rejection: Rejection,
    /** The request context and reason as stored (sealed when the commands seal personal data). */
    context: { requestContext?: RequestContext; teamStreamRevision?: number; reason?: PersonalText },
  ): Promise<void>;
}

export interface TeamCommandsDeps {
  store: EventStore;
  /** Serializes commands on one team within this process. */
  locks: StreamLocks;
  /** Where commands get their time from (`metadata.now`); the domain never reads a clock. */
  now: () => Date;
  observer?: CommandObserver;
  denials?: DenialSink;
  /** Folded team states kept between commands (default: 10,000 teams, least recently used forgotten first). */
  cache?: TeamStateCache;
  /** Stored snapshots for cold starts of long team streams (default: none). */
  snapshots?: TeamSnapshots;
  /** Seals every personal field (reason, note, IP, user agent) just before append; without it they are stored clear. */
  personalData?: PersonalDataSealer;
}

/**
 * Issuing a team command, the one way every entry point does it (HTTP, review completion, the CLI, directory sync):
 * the context becomes the command's metadata and its events' metadata; load, fold, decide, append with the expected
 * revision (retried on a conflict with another instance unless the caller pinned it); metrics; the denial record.
 * With `dryRun`, the same load and decision, then the events folded onto the state and the effective permissions diffed.
 */
export class TeamCommands {
  readonly #cache: TeamStateCache;

  constructor(private readonly deps: TeamCommandsDeps) {
    this.#cache = deps.cache ?? new TeamStateCache();
  }

  /** With `context.dryRun`, the impact preview: authorized and decided as the command would be, nothing written. */
  issue(input: TeamCommandInput, context: TeamCommandContext & { dryRun: true }): Promise<TeamCommandPreviewOutcome>;
  issue(input: TeamCommandInput, context: TeamCommandContext & { dryRun?: false }): Promise<TeamCommandOutcome>;
  issue(input: TeamCommandInput, context: TeamCommandContext): Promise<TeamCommandOutcome | TeamCommandPreviewOutcome>;
  issue(input: TeamCommandInput, context: TeamCommandContext): Promise<TeamCommandOutcome | TeamCommandPreviewOutcome> {
    const command = {
      ...input,
      metadata: {
        actorId: context.actorId,
        now: context.now ?? this.deps.now().toISOString(),
        ...(context.reason !== undefined ? { reason: context.reason } : {}),
      },
    } as TeamCommand;
    return context.dryRun ? this.#preview(command, context) : this.#issue(command, context);
  }

  async #issue(command: TeamCommand, context: TeamCommandContext): Promise<TeamCommandOutcome> {
    const { store, locks, observer, denials, personalData } = this.deps;
    const actorId = context.actorId;
    const requestContext = personalData
      ? await sealRequestContext(context.requestContext, actorId, personalData)
      : context.requestContext;
    let outcome;
    try {
      outcome = await handleCommand(store, teamStreamId(command.teamId), teamDecider, command, {
        locks,
        decode: decodeTeamEvent,
        cache: this.#cache,
        ...(this.deps.snapshots ? { snapshots: this.deps.snapshots } : {}),
        ...(context.expectedRevision !== undefined ? { expectedRevision: context.expectedRevision } : {}),
        ...(personalData
          ? { prepareAppend: (events: TeamEvent[]) => Promise.all(events.map((e) => sealTeamEvent(e, personalData))) }
          : {}),
        metadata: {
          ...context.links,
          actorId: context.actorId,
          correlationId: context.correlationId,
          causationId: context.causationId ?? context.correlationId,
          ...(requestContext ? { requestContext } : {}),
          // Sealed events are of the current schema, whose decode refuses a personal field in clear; clear ones stay v1.
          ...(personalData ? { schemaVersion: currentTeamEventSchemaVersion } : {}),
        },
      });
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) {
        observer?.handled(command.type, 'conflict');
        return { ok: false, kind: 'conflict', error, pinned: context.expectedRevision !== undefined };
      }
      if (error instanceof UndecodableTeamEventError) {
        observer?.handled(command.type, 'error');
        return { ok: false, kind: 'unreadable', error };
      }
      observer?.handled(command.type, 'error');
      throw error;
    }
    if (!outcome.ok) {
      observer?.handled(command.type, 'rejected');
      // Evidence of the attempt goes to the team's audit stream only; the team stream stays untouched.
      if (denials) {
        const target = (command.data as { userId?: unknown }).userId;
        const reason = await sealText(
          command.metadata.reason,
          typeof target === 'string' ? [actorId, target] : [actorId],
          personalData,
        );
        await denials.record(command, outcome.rejection, {
          ...(requestContext ? { requestContext } : {}),
          teamStreamRevision: outcome.streamRevision,
          ...(reason !== undefined ? { reason } : {}),
        });
      }
      return {
        ok: false,
        kind: 'refused',
        rejection: outcome.rejection,
        streamRevision: outcome.streamRevision,
        command,
      };
    }
    observer?.handled(command.type, 'accepted');
    observer?.appended(outcome.events);
    return { ok: true, position: outcome.position, streamRevision: outcome.streamRevision, events: outcome.events };
  }

  /**
   * The team's state at its current revision, loaded under its lock like a command (never a lagging read model), for a
   * workflow that decides which commands to issue (directory sync). Throws UndecodableTeamEventError on an unreadable stream.
   */
  current(teamId: string): Promise<{ state: TeamState; streamRevision: number }> {
    const streamId = teamStreamId(teamId);
    return this.deps.locks.run(streamId, async () => {
      const loaded = await this.#load(streamId);
      return { state: loaded.state, streamRevision: loaded.revision };
    });
  }

  async #load(streamId: string): Promise<LoadedStream<TeamState>> {
    const from = this.#cache.get(streamId) ?? (await this.deps.snapshots?.load(streamId));
    const loaded = await loadStream(this.deps.store, streamId, teamDecider, decodeTeamEvent, from);
    this.#cache.set(streamId, loaded);
    return loaded;
  }

  /**
   * Loads and decides under the team's lock like a command (so it sees every command of this process before it); the
   * fold onto the loaded state leaves the cached one as it was, as the domain's states are immutable.
   */
  async #preview(command: TeamCommand, context: TeamCommandContext): Promise<TeamCommandPreviewOutcome> {
    const { locks } = this.deps;
    const streamId = teamStreamId(command.teamId);
    let decided;
    try {
      decided = await locks.run(streamId, async () => {
        const loaded = await this.#load(streamId);
        if (context.expectedRevision !== undefined && context.expectedRevision !== loaded.revision) {
          throw new WrongExpectedRevisionError(streamId, context.expectedRevision, loaded.revision);
        }
        return { loaded, decision: teamDecider.decide(command, loaded.state) };
      });
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) return { ok: false, kind: 'conflict', error, pinned: true };
      if (error instanceof UndecodableTeamEventError) return { ok: false, kind: 'unreadable', error };
      throw error;
    }
    const { loaded, decision } = decided;
    const refused = (rejection: Rejection): TeamCommandPreviewOutcome => ({
      ok: false,
      kind: 'refused',
      rejection,
      streamRevision: loaded.revision,
      command,
    });
    // A preview is not an attempt: no denial record, as nothing was asked to happen.
    if (!decision.ok) return refused(decision.rejection);
    // Outside the lock: the diff may visit every member, and the states are immutable.
    const after = decision.events.reduce(teamDecider.evolve, loaded.state);
    const actor = { userId: command.metadata.actorId, isReader: false };
    const team = { kind: 'team', teamId: command.teamId } as const;
    // It tells whose access changes, which the command's own answer never does: that is a read of the team.
    if (teamReadRefusal(loaded.state, actor, team) && teamReadRefusal(after, actor, team)) {
      return refused({
        kind: 'forbidden',
        permission: 'team.view',
        message: `${actor.userId} may issue this command but lacks team.view (or team.audit.view) on team ${command.teamId}, which its impact preview needs: it shows other members' access`,
      });
    }
    return {
      ok: true,
      dryRun: true,
      events: decision.events,
      permissionChanges: permissionChanges(loaded.state, after),
      streamRevision: loaded.revision,
    };
  }
}
