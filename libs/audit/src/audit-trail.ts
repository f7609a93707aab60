import { randomUUID } from 'node:crypto';
import { policyVersion, teamStreamId, teamStreamPrefix, type TeamEvent } from '@access-audit/domain';
import {
  DuplicateEventIdError,
  StreamLocks,
  WrongExpectedRevisionError,
  type EventMetadata,
  type EventStore,
  type RecordedEvent,
} from '@access-audit/event-store';
import { describeTeamEvent, isTeamEventType, type AccessChange } from './actions';
import { sealEntry } from './chain';
import type { DeniedCommand } from './denial';
import { DenialRateLimiter, type DenialRateLimitOptions } from './denial-rate-limit';
import {
  accessDeniedAction,
  auditEventTypes,
  auditStreamId,
  genesisHash,
  type AuditCheckpoint,
  type AuditEntry,
  type AuditRequestContext,
  type UnsealedAuditEntry,
} from './entry';
import { auditEntryIdFor, checkpointIdFor } from './ids';
import { accessReviewStreamPrefix, describeReviewEvent } from './review-actions';
import type { CheckpointSigner } from './signing';

export interface AuditTrailOptions {
  /** A signed checkpoint after this many entries. Default 100. */
  checkpointEvery?: number;
  denialRateLimit?: DenialRateLimitOptions;
  /** Time of checkpoints. Default: the system clock. */
  clock?: () => Date;
  /** Appends retried after another writer (another instance) appended first. Default 20. */
  maxRetries?: number;
}

/** The end of a team's audit stream, as the next append needs it. */
export interface AuditTail {
  /** Last revision of the audit stream; -1 when it does not exist. */
  revision: number;
  /** Sequence of the last entry; 0 when none. */
  sequence: number;
  headHash: string;
  /** Revision, in the team stream, of the last team event recorded; -1 when none. */
  lastSourceRevision: number;
  /** Global position of the last source event recorded (team or campaign event); undefined when none. */
  lastSourcePosition: string | undefined;
  /** Sequence of the last signed checkpoint; 0 when none. */
  signedThrough: number;
}

export type RecordOutcome =
  | { recorded: true; entry: AuditEntry; position: string }
  | { recorded: false; why: 'already_recorded' | 'rate_limited' | 'no_team' | 'not_audited' };

const tailScanWindow = 128;

/** The audited event an error names: never its data. */
export interface AuditedEventRef {
  id: string;
  type: string;
  position: string;
  streamId: string;
  streamRevision: number;
}

/**
 * An audited event the audit log cannot use, its data being malformed: its entry cannot be built (retrying cannot help,
 * so the audit log quarantines its team instead of waiting on it, see AuditLog), or the team cannot be folded past it.
 */
export class UnauditableEventError extends Error {
  readonly event: AuditedEventRef;

  constructor(
    readonly teamId: string,
    event: RecordedEvent,
    cause: unknown,
    what = 'its audit entry cannot be built',
  ) {
    super(
      `event ${event.id} (${event.type}, position ${event.position}) of team ${teamId}: ${what}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'UnauditableEventError';
    this.event = {
      id: event.id,
      type: event.type,
      position: event.position,
      streamId: event.streamId,
      streamRevision: event.revision,
    };
  }
}

/** The team whose audit stream records the event: from a team stream's id, or a campaign event's `teamId`. */
export function auditedTeamOf(event: RecordedEvent): string | undefined {
  if (event.streamId.startsWith(teamStreamPrefix)) return event.streamId.slice(teamStreamPrefix.length);
  if (!event.streamId.startsWith(accessReviewStreamPrefix)) return undefined;
  const teamId = (event.data as { teamId?: unknown } | null)?.teamId;
  return typeof teamId === 'string' ? teamId : undefined;
}

/**
 * Writes the team audit streams: one hash-chained entry per team event and per access-review campaign event (exactly
 * once, even across crashes and between instances), rate-limited denial entries, and signed checkpoints. Appends always
 * name the revision they expect; a conflict reloads the stream's end and tries again. A denial is chained where the
 * stream stands when it is recorded (the audit log lets the entries of the changes before it in first, see AuditLog).
 */
export class AuditTrail {
  readonly #locks = new StreamLocks();
  readonly #tails = new Map<string, AuditTail>();
  readonly #rateLimiter: DenialRateLimiter;
  readonly #checkpointEvery: number;
  readonly #clock: () => Date;
  readonly #maxRetries: number;

  constructor(
    private readonly store: EventStore,
    private readonly signer: CheckpointSigner,
    options: AuditTrailOptions = {},
  ) {
    this.#checkpointEvery = options.checkpointEvery ?? 100;
    this.#rateLimiter = new DenialRateLimiter(options.denialRateLimit);
    this.#clock = options.clock ?? (() => new Date());
    this.#maxRetries = options.maxRetries ?? 20;
  }

  /**
   * Records a team event, after any earlier event of its team stream that has no entry yet (so the entries follow the
   * team stream's order whatever the caller saw). An event already recorded is skipped.
   */
  async recordTeamEvent(event: RecordedEvent): Promise<RecordOutcome> {
    if (!isTeamEventType(event.type)) return { recorded: false, why: 'not_audited' };
    const teamId = event.streamId.slice(teamStreamPrefix.length);
    return this.#locks.run(teamId, async () => {
      const tail = await this.#tail(teamId);
      if (event.revision <= tail.lastSourceRevision) return { recorded: false, why: 'already_recorded' };
      if (event.revision > tail.lastSourceRevision + 1) await this.#recordTeamStream(teamId, event.revision - 1);
      return this.#recordTeamChange(teamId, event);
    });
  }

  /**
   * Records an event of an audited stream: a team event (see `recordTeamEvent`) or an access-review campaign event.
   * Campaign events are recorded in global log order; one at or before the last recorded source position is skipped.
   */
  async recordEvent(event: RecordedEvent): Promise<RecordOutcome> {
    if (event.streamId.startsWith(teamStreamPrefix)) return this.recordTeamEvent(event);
    let review: ReturnType<typeof describeReviewEvent>;
    try {
      review = describeReviewEvent(event.streamId, event.type, event.data);
    } catch (error) {
      // describeReviewEvent reads the campaign's team id before anything else can throw.
      throw new UnauditableEventError(auditedTeamOf(event)!, event, error);
    }
    if (!review) return { recorded: false, why: 'not_audited' };
    return this.#locks.run(review.teamId, () =>
      this.#recordChange(review.teamId, event, review.change, review.data, (tail) =>
        tail.lastSourcePosition === undefined
          ? false
          : this.store.comparePositions(event.position, tail.lastSourcePosition) <= 0,
      ),
    );
  }

  /** Records a refused command, unless its actor is over the denial rate for the team or the team does not exist. */
  async recordDenial(denied: DeniedCommand): Promise<RecordOutcome> {
    return this.#locks.run(denied.teamId, async () => {
      // Attempts on teams that do not exist are not recorded: they would let anyone create audit streams.
      if ((await this.store.streamRevision(teamStreamId(denied.teamId))) < 0)
        return { recorded: false, why: 'no_team' };
      const admission = this.#rateLimiter.admit(denied.teamId, denied.actorId, Date.parse(denied.at) || Date.now());
      if (!admission.record) return { recorded: false, why: 'rate_limited' };
      const id = randomUUID();
      try {
        return await this.#append(
          denied.teamId,
          id,
          auditEventTypes.accessDenied,
          metadataOf(denied.requestContext),
          (tail) => ({
            kind: 'denial',
            id,
            teamId: denied.teamId,
            sequence: tail.sequence + 1,
            time: denied.at,
            actor: denied.actorId,
            action: accessDeniedAction,
            target: denied.target,
            reason: denied.reason ?? null,
            context: contextOf(denied.requestContext),
            policyVersion,
            prevHash: tail.headHash,
            denial: {
              commandType: denied.commandType,
              rejection: denied.rejection.kind,
              permission: denied.rejection.permission ?? null,
              rule: denied.rejection.rule ?? null,
              message: denied.rejection.message,
              suppressedBefore: admission.suppressedBefore,
            },
          }),
        );
      } catch (error) {
        this.#rateLimiter.restore(denied.teamId, denied.actorId, admission.suppressedBefore);
        throw error;
      }
    });
  }

  /**
   * Signs the chain's head unless a checkpoint already covers it. Returns the audit stream's revision afterwards (the end
   * of a complete export), or -1 when the team has no audit stream.
   */
  async signHead(teamId: string): Promise<number> {
    return this.#locks.run(teamId, async () => {
      const tail = await this.#tail(teamId);
      if (tail.sequence > tail.signedThrough) await this.#signCheckpoint(teamId);
      return (await this.#tail(teamId)).revision;
    });
  }

  /** The end of a team's audit stream as last seen (loaded from the store when not known). */
  async tail(teamId: string): Promise<AuditTail> {
    return this.#locks.run(teamId, async () => ({ ...(await this.#tail(teamId)) }));
  }

  async #recordTeamStream(teamId: string, throughRevision: number): Promise<number> {
    let recorded = 0;
    for (;;) {
      const tail = await this.#tail(teamId);
      if (tail.lastSourceRevision >= throughRevision) return recorded;
      const limit = Math.min(500, throughRevision - tail.lastSourceRevision);
      const events = await this.store.readStream(teamStreamId(teamId), {
        fromRevision: tail.lastSourceRevision + 1,
        limit,
      });
      if (events.length === 0) return recorded;
      for (const event of events) {
        if (event.revision > throughRevision) return recorded;
        if ((await this.#recordTeamChange(teamId, event)).recorded) recorded += 1;
      }
    }
  }

  #recordTeamChange(teamId: string, event: RecordedEvent): Promise<RecordOutcome> {
    const teamEvent = { type: event.type, data: event.data } as TeamEvent;
    let change: AccessChange;
    try {
      change = describeTeamEvent(teamEvent);
    } catch (error) {
      throw new UnauditableEventError(teamId, event, error);
    }
    return this.#recordChange(
      teamId,
      event,
      change,
      teamEvent.data,
      (tail) => event.streamId === teamStreamId(teamId) && event.revision <= tail.lastSourceRevision,
    );
  }

  async #recordChange(
    teamId: string,
    event: RecordedEvent,
    change: AccessChange,
    base: { actorId: string; occurredAt: string; reason?: string; policyVersion: string },
    alreadyRecorded: (tail: AuditTail) => boolean,
  ): Promise<RecordOutcome> {
    const id = auditEntryIdFor(event.id);
    const metadata: EventMetadata = { ...metadataOf(event.metadata.requestContext), causationId: event.id };
    const build = (tail: AuditTail): UnsealedAuditEntry | undefined =>
      alreadyRecorded(tail) || !hasActorAndTime(base)
        ? undefined
        : {
            kind: 'change',
            id,
            teamId,
            sequence: tail.sequence + 1,
            time: base.occurredAt,
            actor: base.actorId,
            action: change.action,
            target: change.target,
            reason: base.reason ?? null,
            context: contextOf(event.metadata.requestContext, event.metadata.correlationId),
            policyVersion: base.policyVersion,
            prevHash: tail.headHash,
            before: change.before,
            after: change.after,
            cause: change.cause,
            source: {
              eventId: event.id,
              eventType: event.type,
              streamId: event.streamId,
              streamRevision: event.revision,
              position: event.position,
            },
          };
    return this.#append(
      teamId,
      id,
      auditEventTypes.entryRecorded,
      metadata,
      build,
      (error) => new UnauditableEventError(teamId, event, error),
    );
  }

  /**
   * Appends the entry `build` makes from the current tail (undefined: nothing to record any more), then signs if due.
   * `malformed` names what an entry that cannot be built or sealed is (the data it was built from is at fault).
   */
  async #append(
    teamId: string,
    id: string,
    type: string,
    metadata: EventMetadata,
    build: (tail: AuditTail) => UnsealedAuditEntry | undefined,
    malformed: (error: unknown) => Error = (error) => error as Error,
  ): Promise<RecordOutcome> {
    const streamId = auditStreamId(teamId);
    for (let attempt = 0; ; attempt++) {
      const tail = await this.#tail(teamId);
      let entry: AuditEntry;
      try {
        const unsealed = build(tail);
        if (!unsealed) return { recorded: false, why: 'already_recorded' };
        entry = sealEntry(unsealed);
      } catch (error) {
        throw malformed(error);
      }
      try {
        const result = await this.store.append(streamId, [{ id, type, data: entry, metadata }], expectedOf(tail));
        this.#tails.set(teamId, { ...this.#advance(tail, entry, teamId), revision: result.streamRevision });
        if (entry.sequence - tail.signedThrough >= this.#checkpointEvery) await this.#signCheckpoint(teamId);
        return { recorded: true, entry, position: result.position };
      } catch (error) {
        const raced = error instanceof WrongExpectedRevisionError || error instanceof DuplicateEventIdError;
        this.#tails.delete(teamId);
        if (!raced || attempt >= this.#maxRetries) throw error;
      }
    }
  }

  /** The tail once `entry` follows it. */
  #advance(tail: AuditTail, entry: AuditEntry, teamId: string): AuditTail {
    const next: AuditTail = { ...tail, sequence: entry.sequence, headHash: entry.hash };
    if (entry.kind !== 'change') return next;
    if (entry.source.streamId === teamStreamId(teamId)) {
      next.lastSourceRevision = Math.max(tail.lastSourceRevision, entry.source.streamRevision);
    }
    const position = entry.source.position;
    if (tail.lastSourcePosition === undefined || this.store.comparePositions(position, tail.lastSourcePosition) > 0) {
      next.lastSourcePosition = position;
    }
    return next;
  }

  async #signCheckpoint(teamId: string): Promise<AuditCheckpoint | undefined> {
    for (let attempt = 0; ; attempt++) {
      const tail = await this.#tail(teamId);
      if (tail.sequence === 0 || tail.signedThrough >= tail.sequence) return undefined;
      const checkpoint = this.signer.sign(teamId, tail.sequence, tail.headHash, this.#clock().toISOString());
      try {
        const result = await this.store.append(
          auditStreamId(teamId),
          [{ id: checkpointIdFor(teamId, tail.sequence), type: auditEventTypes.checkpointSigned, data: checkpoint }],
          expectedOf(tail),
        );
        this.#tails.set(teamId, { ...tail, revision: result.streamRevision, signedThrough: tail.sequence });
        return checkpoint;
      } catch (error) {
        const raced = error instanceof WrongExpectedRevisionError || error instanceof DuplicateEventIdError;
        this.#tails.delete(teamId);
        if (!raced || attempt >= this.#maxRetries) throw error;
      }
    }
  }

  async #tail(teamId: string): Promise<AuditTail> {
    const known = this.#tails.get(teamId);
    if (known) return known;
    const loaded = await this.#loadTail(teamId);
    this.#tails.set(teamId, loaded);
    return loaded;
  }

  /**
   * Reads the audit stream backwards until the last entry, the last change entry, the last team-event entry and the last
   * checkpoint are found (or the stream's start).
   */
  async #loadTail(teamId: string): Promise<AuditTail> {
    const streamId = auditStreamId(teamId);
    const revision = await this.store.streamRevision(streamId);
    const tail: AuditTail = {
      revision,
      sequence: 0,
      headHash: genesisHash,
      lastSourceRevision: -1,
      lastSourcePosition: undefined,
      signedThrough: 0,
    };
    let foundEntry = false;
    let foundChange = false;
    let foundTeamChange = false;
    let foundCheckpoint = false;
    const done = () => foundEntry && foundChange && foundTeamChange && foundCheckpoint;
    for (let end = revision; end >= 0 && !done(); end -= tailScanWindow) {
      const from = Math.max(0, end - tailScanWindow + 1);
      const events = await this.store.readStream(streamId, { fromRevision: from, limit: end - from + 1 });
      for (let index = events.length - 1; index >= 0; index--) {
        const event = events[index];
        if (event.type === auditEventTypes.checkpointSigned) {
          if (!foundCheckpoint) tail.signedThrough = (event.data as AuditCheckpoint).sequence;
          foundCheckpoint = true;
          continue;
        }
        const entry = event.data as AuditEntry;
        if (!foundEntry) {
          tail.sequence = entry.sequence;
          tail.headHash = entry.hash;
          foundEntry = true;
        }
        if (entry.kind !== 'change') continue;
        if (!foundChange) tail.lastSourcePosition = entry.source.position;
        foundChange = true;
        if (!foundTeamChange && entry.source.streamId === teamStreamId(teamId)) {
          tail.lastSourceRevision = entry.source.streamRevision;
          foundTeamChange = true;
        }
      }
    }
    return tail;
  }
}

/** Every entry names who and when; an event without them is malformed (thrown, so that it is never chained). */
function hasActorAndTime(base: { actorId?: unknown; occurredAt?: unknown } | null): true {
  if (
    typeof base?.actorId !== 'string' ||
    typeof base.occurredAt !== 'string' ||
    Number.isNaN(Date.parse(base.occurredAt))
  )
    throw new TypeError('the event names no actor or no valid occurredAt');
  return true;
}

const expectedOf = (tail: AuditTail): number | 'no_stream' => (tail.revision < 0 ? 'no_stream' : tail.revision);

const contextOf = (
  context: { ip?: string; userAgent?: string; requestId?: string } | undefined,
  correlationId?: string,
): AuditRequestContext => ({
  ip: context?.ip ?? null,
  userAgent: context?.userAgent ?? null,
  requestId: context?.requestId ?? correlationId ?? null,
});

const metadataOf = (context: { ip?: string; userAgent?: string; requestId?: string } | undefined): EventMetadata => ({
  ...(context?.requestId ? { correlationId: context.requestId } : {}),
});
