import { randomUUID } from 'node:crypto';
import { policyVersion, teamStreamId, teamStreamPrefix } from '@access-audit/domain';
import {
  DuplicateEventIdError,
  StreamLocks,
  WrongExpectedRevisionError,
  type EventMetadata,
  type EventStore,
  type RecordedEvent,
  type RequestContext,
} from '@access-audit/event-store';
import { isTeamEventType } from './actions';
import { sealEntry } from './chain';
import type { DeniedCommand } from './denial';
import { DenialRateLimiter, type DenialAdmission, type DenialRateLimitOptions } from './denial-rate-limit';
import {
  accessDeniedAction,
  auditEventTypes,
  auditStreamId,
  genesisHash,
  type AuditCheckpoint,
  type AuditEntry,
  type UnsealedAuditEntry,
} from './entry';
import { checkpointIdFor } from './ids';
import { accessReviewStreamPrefix, describeReviewEvent } from './review-actions';
import { verifyCheckpointSignature, type CheckpointSigner } from './signing';
import { contextOf, deriveChange, type DerivedChange } from './source-entry';
import { ChainVerifier } from './verify';
import { SourceVerifier } from './verify-sources';

/** The unsigned tail's bound: a checkpoint at the latest after this many entries… */
export const defaultCheckpointEvery = 100;
/** …or once the oldest unsigned entry has waited this long (see `signDue`). */
export const defaultCheckpointMaxAgeMs = 60_000;

export interface AuditTrailOptions {
  /** A signed checkpoint after this many entries. Default 100. */
  checkpointEvery?: number;
  /** A signed checkpoint once the oldest unsigned entry is this old, when `signDue` runs. Default 60 s. */
  checkpointMaxAgeMs?: number;
  denialRateLimit?: DenialRateLimitOptions;
  /** Time of checkpoints and of their due dates. Default: the system clock. */
  clock?: () => Date;
  /** Appends retried after another writer (another instance) appended first. Default 20. */
  maxRetries?: number;
  /** Told when a checkpoint is not signed because the entries it would vouch for do not verify (why, in words). */
  onSigningRefused?: (teamId: string, reason: string) => void;
}

/** The head of a team's chain as this trail last appended it: what the store must still hold at that sequence. */
export interface WitnessedHead {
  sequence: number;
  hash: string;
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
const segmentBatch = 500;

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
    event: Pick<RecordedEvent, 'id' | 'type' | 'position' | 'streamId' | 'revision'>,
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
 *
 * Before signing, the entries since the previous checkpoint are verified: their chain from that checkpoint's signed
 * head, each change entry against its source event, and the head against the one this trail appended. A checkpoint
 * therefore never vouches for entries rewritten since they were recorded, as far as these checks can tell.
 */
export class AuditTrail {
  readonly #locks = new StreamLocks();
  readonly #tails = new Map<string, AuditTail>();
  readonly #witnessed = new Map<string, WitnessedHead>();
  /**
   * Per team, the entries this trail appended since its last checkpoint (sequence → hash). Each was derived from its
   * source event as read from the store when it was appended, so once the stored entry still gives that hash, signing
   * need not derive it from its source again.
   */
  readonly #appendedUnsigned = new Map<string, Map<number, string>>();
  /** Teams whose chain has unsigned entries, and since when (clock ms). */
  readonly #unsignedSince = new Map<string, number>();
  readonly #refusals = new Map<string, { sequence: number; reason: string }>();
  readonly #rateLimiter: DenialRateLimiter;
  /** Per team, the audit stream's revision through which its denial entries are in the rate limiter's buckets. */
  readonly #denialsCountedThrough = new Map<string, number>();
  readonly #checkpointEvery: number;
  readonly #checkpointMaxAgeMs: number;
  readonly #clock: () => Date;
  readonly #maxRetries: number;
  readonly #onSigningRefused: (teamId: string, reason: string) => void;

  constructor(
    private readonly store: EventStore,
    private readonly signer: CheckpointSigner,
    options: AuditTrailOptions = {},
  ) {
    this.#checkpointEvery = options.checkpointEvery ?? defaultCheckpointEvery;
    this.#checkpointMaxAgeMs = options.checkpointMaxAgeMs ?? defaultCheckpointMaxAgeMs;
    this.#rateLimiter = new DenialRateLimiter(options.denialRateLimit);
    this.#clock = options.clock ?? (() => new Date());
    this.#maxRetries = options.maxRetries ?? 20;
    this.#onSigningRefused = options.onSigningRefused ?? (() => undefined);
  }

  /** The unsigned tail's bound this trail keeps. */
  get checkpointBound(): { entries: number; maxAgeMs: number } {
    return { entries: this.#checkpointEvery, maxAgeMs: this.#checkpointMaxAgeMs };
  }

  /**
   * Records a team event, after any earlier event of its team stream that has no entry yet (so the entries follow the
   * team stream's order whatever the caller saw). An event already recorded is skipped. `onAppended` is told the
   * entry's position as soon as it is durable (before a checkpoint the entry makes due is signed).
   */
  async recordTeamEvent(event: RecordedEvent, onAppended?: (position: string) => void): Promise<RecordOutcome> {
    if (!isTeamEventType(event.type)) return { recorded: false, why: 'not_audited' };
    const teamId = event.streamId.slice(teamStreamPrefix.length);
    return this.#locks.run(teamId, async () => {
      const tail = await this.#tail(teamId);
      if (event.revision <= tail.lastSourceRevision) return { recorded: false, why: 'already_recorded' };
      if (event.revision > tail.lastSourceRevision + 1) await this.#recordTeamStream(teamId, event.revision - 1);
      return this.#recordTeamChange(teamId, event, onAppended);
    });
  }

  /**
   * Records an event of an audited stream: a team event (see `recordTeamEvent`) or an access-review campaign event.
   * Campaign events are recorded in global log order; one at or before the last recorded source position is skipped.
   */
  async recordEvent(event: RecordedEvent, onAppended?: (position: string) => void): Promise<RecordOutcome> {
    if (event.streamId.startsWith(teamStreamPrefix)) return this.recordTeamEvent(event, onAppended);
    let review: ReturnType<typeof describeReviewEvent>;
    try {
      review = describeReviewEvent(event.streamId, event.type, event.data);
    } catch (error) {
      // describeReviewEvent reads the campaign's team id before anything else can throw.
      throw new UnauditableEventError(auditedTeamOf(event)!, event, error);
    }
    if (!review) return { recorded: false, why: 'not_audited' };
    const derived = deriveChange(event)!;
    return this.#locks.run(review.teamId, () =>
      this.#recordChange(
        review.teamId,
        event,
        derived,
        (tail) =>
          tail.lastSourcePosition === undefined
            ? false
            : this.store.comparePositions(event.position, tail.lastSourcePosition) <= 0,
        onAppended,
      ),
    );
  }

  /**
   * Records a refused command, unless its actor is over the denial rate for the team or the team does not exist. The
   * rate holds across instances: the buckets take every denial entry of the team's audit stream up to the revision the
   * append expects, so two instances deciding on the same state conflict, and the one that lost decides again.
   */
  async recordDenial(denied: DeniedCommand): Promise<RecordOutcome> {
    const { teamId, actorId } = denied;
    return this.#locks.run(teamId, async () => {
      // Attempts on teams that do not exist are not recorded: they would let anyone create audit streams.
      if ((await this.store.streamRevision(teamStreamId(teamId))) < 0) return { recorded: false, why: 'no_team' };
      const atMs = Date.parse(denied.at) || Date.now();
      const id = randomUUID();
      for (let attempt = 0; ; attempt++) {
        await this.#countDenials(teamId, (await this.#tail(teamId)).revision, atMs);
        let admission: DenialAdmission | undefined;
        let stale = false;
        let builtOn = -1;
        const giveBack = (): void => {
          if (admission?.record) this.#rateLimiter.restore(teamId, actorId, admission.suppressedBefore);
          admission = undefined;
        };
        let outcome: RecordOutcome;
        try {
          outcome = await this.#append(
            teamId,
            id,
            auditEventTypes.accessDenied,
            metadataOf(denied.requestContext),
            (tail) => {
              // Called again after a conflict: the token taken for the lost attempt goes back.
              giveBack();
              if (tail.revision !== this.#denialsCountedThrough.get(teamId)) {
                stale = true;
                return undefined;
              }
              admission = this.#rateLimiter.admit(teamId, actorId, atMs);
              if (!admission.record) return undefined;
              builtOn = tail.revision;
              return denialEntry(denied, id, tail, admission.suppressedBefore);
            },
          );
        } catch (error) {
          giveBack();
          throw error;
        }
        if (outcome.recorded) {
          if (this.#denialsCountedThrough.get(teamId) === builtOn) this.#denialsCountedThrough.set(teamId, builtOn + 1);
          return outcome;
        }
        if (!stale) return { recorded: false, why: 'rate_limited' };
        if (attempt >= this.#maxRetries)
          throw new Error(`the audit stream of team ${teamId} kept moving while a denial was being recorded`);
      }
    });
  }

  /**
   * Takes from the rate limiter's buckets the denial entries of the team's audit stream through `throughRevision` not
   * yet taken (those other instances appended); when they are many, those of the last refill period before `atMs` only.
   */
  async #countDenials(teamId: string, throughRevision: number, atMs: number): Promise<void> {
    const streamId = auditStreamId(teamId);
    const counted = this.#denialsCountedThrough.get(teamId);
    let from = counted === undefined ? 0 : counted + 1;
    // Far behind (or never counted): only the last refill period's denials, so one denial never reads a long stream.
    if (throughRevision - from >= tailScanWindow)
      from = Math.max(from, await this.#recentDenialsStart(teamId, throughRevision, atMs));
    while (from <= throughRevision) {
      const events = await this.store.readStream(streamId, {
        fromRevision: from,
        limit: Math.min(segmentBatch, throughRevision - from + 1),
      });
      if (events.length === 0) break;
      for (const event of events) {
        if (event.type !== auditEventTypes.accessDenied) continue;
        const entry = event.data as AuditEntry;
        this.#rateLimiter.take(teamId, entry.actor, Date.parse(entry.time) || atMs);
      }
      from = events[events.length - 1].revision + 1;
    }
    this.#denialsCountedThrough.set(teamId, throughRevision);
  }

  /** The first revision of the audit stream whose entry is not older than one refill period before `atMs`. */
  async #recentDenialsStart(teamId: string, throughRevision: number, atMs: number): Promise<number> {
    const since = atMs - this.#rateLimiter.refillMs;
    for (let end = throughRevision; end >= 0; end -= tailScanWindow) {
      const from = Math.max(0, end - tailScanWindow + 1);
      const events = await this.store.readStream(auditStreamId(teamId), { fromRevision: from, limit: end - from + 1 });
      for (let index = events.length - 1; index >= 0; index--) {
        const event = events[index];
        if (event.type === auditEventTypes.checkpointSigned) continue;
        if (Date.parse((event.data as AuditEntry).time) < since) return event.revision + 1;
      }
    }
    return 0;
  }

  /**
   * Signs the chain's head unless a checkpoint already covers it, or the entries since the last one do not verify (then
   * nothing is signed). Returns the audit stream's revision afterwards (the end of a complete export), or -1 when the
   * team has no audit stream.
   */
  async signHead(teamId: string): Promise<number> {
    return this.#locks.run(teamId, async () => {
      const tail = await this.#tail(teamId);
      if (tail.sequence > tail.signedThrough) await this.#signCheckpoint(teamId);
      return (await this.#tail(teamId)).revision;
    });
  }

  /**
   * Signs every team whose oldest unsigned entry has waited at least `olderThanMs` (default: the bound's age; 0: every
   * unsigned tail). A team refused before is tried again once its wait has passed anew. Returns the teams signed.
   */
  async signDue(olderThanMs = this.#checkpointMaxAgeMs): Promise<string[]> {
    const now = this.#clock().getTime();
    const due = [...this.#unsignedSince].filter(([, since]) => now - since >= olderThanMs).map(([teamId]) => teamId);
    const signed: string[] = [];
    for (const teamId of due) {
      const checkpoint = await this.#locks.run(teamId, async () => {
        const tail = await this.#tail(teamId);
        return tail.sequence > tail.signedThrough ? this.#signCheckpoint(teamId) : undefined;
      });
      if (checkpoint) signed.push(teamId);
    }
    return signed;
  }

  /** Marks a team as having an unsigned tail left by an earlier process (the next `signDue` signs it). */
  noteUnsigned(teamId: string): void {
    if (!this.#unsignedSince.has(teamId)) this.#unsignedSince.set(teamId, Number.NEGATIVE_INFINITY);
  }

  /** The head this trail last appended for the team; undefined when it appended nothing there. */
  witnessedHead(teamId: string): WitnessedHead | undefined {
    const witnessed = this.#witnessed.get(teamId);
    return witnessed && { ...witnessed };
  }

  /** Why the team's last checkpoint attempt was refused, while no checkpoint has been signed since. */
  signingRefusal(teamId: string): { sequence: number; reason: string } | undefined {
    return this.#refusals.get(teamId);
  }

  /** The end of a team's audit stream as last seen (loaded from the store when not known). */
  async tail(teamId: string): Promise<AuditTail> {
    return this.#locks.run(teamId, async () => ({ ...(await this.#tail(teamId)) }));
  }

  async #recordTeamStream(teamId: string, throughRevision: number): Promise<number> {
    let recorded = 0;
    // The read position is kept here, not taken from the tail: an event left out does not move the tail.
    let from = (await this.#tail(teamId)).lastSourceRevision + 1;
    while (from <= throughRevision) {
      const events = await this.store.readStream(teamStreamId(teamId), {
        fromRevision: from,
        limit: Math.min(500, throughRevision - from + 1),
      });
      if (events.length === 0) return recorded;
      for (const event of events) {
        if (event.revision > throughRevision) return recorded;
        from = event.revision + 1;
        // A type this version does not audit (written by newer code) is left out, as every team-stream reader does.
        if (!isTeamEventType(event.type)) continue;
        if ((await this.#recordTeamChange(teamId, event)).recorded) recorded += 1;
      }
    }
    return recorded;
  }

  #recordTeamChange(
    teamId: string,
    event: RecordedEvent,
    onAppended?: (position: string) => void,
  ): Promise<RecordOutcome> {
    let derived: DerivedChange | undefined;
    try {
      derived = deriveChange(event);
      if (derived) hasActorAndTime({ actorId: derived.actor, occurredAt: derived.time });
    } catch (error) {
      throw new UnauditableEventError(teamId, event, error);
    }
    if (!derived) throw new TypeError(`event ${event.id} (${event.type}) of ${event.streamId} is not a team event`);
    return this.#recordChange(
      teamId,
      event,
      derived,
      (tail) => event.streamId === teamStreamId(teamId) && event.revision <= tail.lastSourceRevision,
      onAppended,
    );
  }

  async #recordChange(
    teamId: string,
    event: RecordedEvent,
    derived: DerivedChange,
    alreadyRecorded: (tail: AuditTail) => boolean,
    onAppended?: (position: string) => void,
  ): Promise<RecordOutcome> {
    const metadata: EventMetadata = { ...metadataOf(event.metadata.requestContext), causationId: event.id };
    const { kind, id, time, actor, action, target, reason, context, before, after, cause, source } = derived;
    const build = (tail: AuditTail): UnsealedAuditEntry | undefined =>
      alreadyRecorded(tail)
        ? undefined
        : {
            kind,
            id,
            teamId,
            sequence: tail.sequence + 1,
            time,
            actor,
            action,
            target,
            reason,
            context,
            policyVersion: derived.policyVersion,
            prevHash: tail.headHash,
            before,
            after,
            cause,
            source,
          };
    return this.#append(
      teamId,
      id,
      auditEventTypes.entryRecorded,
      metadata,
      build,
      (error) => new UnauditableEventError(teamId, event, error),
      onAppended,
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
    onAppended?: (position: string) => void,
  ): Promise<RecordOutcome> {
    const streamId = auditStreamId(teamId);
    for (let attempt = 0; ; attempt++) {
      let tail = await this.#tail(teamId);
      // Never more unsigned entries than the bound, whoever appended them (a crash or another instance before signing).
      if (tail.sequence - tail.signedThrough >= this.#checkpointEvery && this.#countDue(teamId, tail.sequence)) {
        await this.#signCheckpoint(teamId);
        tail = await this.#tail(teamId);
      }
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
        this.#setTail(teamId, { ...this.#advance(tail, entry, teamId), revision: result.streamRevision });
        this.#witnessed.set(teamId, { sequence: entry.sequence, hash: entry.hash });
        this.#noteAppended(teamId, entry);
        onAppended?.(result.position);
        if (entry.sequence - tail.signedThrough >= this.#checkpointEvery && this.#countDue(teamId, entry.sequence)) {
          await this.#signCheckpoint(teamId);
        }
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

  /** Remembers an entry this trail appended, at most twice the bound per team (beyond, signing checks every source). */
  #noteAppended(teamId: string, entry: AuditEntry): void {
    let appended = this.#appendedUnsigned.get(teamId);
    if (!appended) this.#appendedUnsigned.set(teamId, (appended = new Map()));
    if (appended.size >= 2 * this.#checkpointEvery) appended.clear();
    appended.set(entry.sequence, entry.hash);
  }

  /** After a refusal, the count rule tries again only every `checkpointEvery` further entries. */
  #countDue(teamId: string, sequence: number): boolean {
    const refusal = this.#refusals.get(teamId);
    return !refusal || sequence - refusal.sequence >= this.#checkpointEvery;
  }

  async #signCheckpoint(teamId: string): Promise<AuditCheckpoint | undefined> {
    for (let attempt = 0; ; attempt++) {
      const tail = await this.#tail(teamId);
      if (tail.sequence === 0 || tail.signedThrough >= tail.sequence) return undefined;
      const refused = await this.#unsignedEntriesProblem(teamId, tail);
      if (refused !== undefined) {
        this.#refusals.set(teamId, { sequence: tail.sequence, reason: refused });
        // Tried again once the wait has passed anew, not at every tick.
        this.#unsignedSince.set(teamId, this.#clock().getTime());
        this.#onSigningRefused(teamId, refused);
        return undefined;
      }
      const checkpoint = this.signer.sign(teamId, tail.sequence, tail.headHash, this.#clock().toISOString());
      try {
        const result = await this.store.append(
          auditStreamId(teamId),
          [{ id: checkpointIdFor(teamId, tail.sequence), type: auditEventTypes.checkpointSigned, data: checkpoint }],
          expectedOf(tail),
        );
        this.#setTail(teamId, { ...tail, revision: result.streamRevision, signedThrough: tail.sequence });
        this.#appendedUnsigned.delete(teamId);
        this.#refusals.delete(teamId);
        return checkpoint;
      } catch (error) {
        const raced = error instanceof WrongExpectedRevisionError || error instanceof DuplicateEventIdError;
        this.#tails.delete(teamId);
        if (!raced || attempt >= this.#maxRetries) throw error;
      }
    }
  }

  /**
   * Why the entries after the last checkpoint must not be signed, or undefined when they verify: the checkpoint before
   * them is signed by this key, they chain from its head, each change entry is what its source event gives, the head is
   * the one in `tail`, and the store still holds at its sequence the entry this trail last appended.
   */
  async #unsignedEntriesProblem(teamId: string, tail: AuditTail): Promise<string | undefined> {
    const unsigned = tail.sequence - tail.signedThrough;
    if (unsigned > this.#checkpointEvery) {
      return `${unsigned} entries follow the last checkpoint (entry ${tail.signedThrough}), more than the ${this.#checkpointEvery} after which one is always signed: checkpoints were removed`;
    }
    const first = tail.revision - unsigned + 1;
    const streamId = auditStreamId(teamId);
    let start: { teamId: string; sequence: number; headHash: string } | undefined;
    if (tail.signedThrough > 0) {
      const [record] = await this.store.readStream(streamId, { fromRevision: first - 1, limit: 1 });
      const checkpoint = record?.data as AuditCheckpoint | undefined;
      if (
        record?.revision !== first - 1 ||
        checkpoint?.kind !== 'checkpoint' ||
        checkpoint.sequence !== tail.signedThrough
      )
        return `the audit stream does not hold the checkpoint of entry ${tail.signedThrough} where it was recorded`;
      const signature = verifyCheckpointSignature(checkpoint, this.signer.publicKey);
      if (!signature.valid) return `the checkpoint of entry ${tail.signedThrough}: ${signature.reason}`;
      start = { teamId, sequence: checkpoint.sequence, headHash: checkpoint.headHash };
    } else if (first !== 0) {
      return `the audit stream holds ${first} record(s) before its first unsigned entry, and no checkpoint`;
    }
    const chain = new ChainVerifier(this.signer.publicKey, start);
    const witnessed = this.#witnessed.get(teamId);
    let witnessedSeen = false;
    // The segment is at most the bound long (checked above), so its records can wait here for the source check.
    const records: Array<{ data: unknown; location: { streamRevision: number } }> = [];
    const appended = this.#appendedUnsigned.get(teamId);
    let allAppendedHere = appended !== undefined;
    for (let revision = first; revision <= tail.revision;) {
      const events = await this.store.readStream(streamId, {
        fromRevision: revision,
        limit: Math.min(segmentBatch, tail.revision - revision + 1),
      });
      if (events.length === 0) break;
      for (const event of events) {
        const location = { streamRevision: event.revision };
        if (!chain.push(event.data, location)) {
          const broken = chain.result().break;
          return `the chain breaks at entry ${broken?.sequence}: ${broken?.reason}`;
        }
        records.push({ data: event.data, location });
        const entry = event.data as AuditEntry;
        // The chain check above recomputed this entry's hash from its stored content.
        if (event.type !== auditEventTypes.checkpointSigned && appended?.get(entry.sequence) !== entry.hash) {
          allAppendedHere = false;
        }
        if (witnessed && event.type !== auditEventTypes.checkpointSigned && entry.sequence === witnessed.sequence) {
          if (entry.hash !== witnessed.hash)
            return `entry ${witnessed.sequence} is not the entry this service recorded: the chain was rewritten`;
          witnessedSeen = true;
        }
      }
      revision = events[events.length - 1].revision + 1;
    }
    const verified = chain.result();
    if (verified.entries !== tail.sequence || verified.head !== tail.headHash)
      return `the audit stream ends at entry ${verified.entries}, not at entry ${tail.sequence} as last read`;
    if (witnessed && witnessed.sequence > tail.signedThrough && witnessed.sequence <= tail.sequence && !witnessedSeen)
      return `entry ${witnessed.sequence}, which this service recorded, is gone`;
    // Every entry is one this trail derived from its source event and appended, its stored content giving that hash.
    if (allAppendedHere) return undefined;
    const sources = new SourceVerifier(this.store, { from: 'first-entry', teamId });
    for (const record of records) await sources.push(record.data, record.location);
    const found = await sources.finish({ drain: false });
    const mismatch = found.mismatches[0];
    if (mismatch) {
      const at = mismatch.sequence === null ? '' : ` at entry ${mismatch.sequence}`;
      return `${found.different + found.missing + found.extra} entr(ies) do not match their source events; first${at}: ${mismatch.reason}`;
    }
    return undefined;
  }

  async #tail(teamId: string): Promise<AuditTail> {
    const known = this.#tails.get(teamId);
    if (known) return known;
    const loaded = await this.#loadTail(teamId);
    this.#setTail(teamId, loaded);
    return loaded;
  }

  #setTail(teamId: string, tail: AuditTail): void {
    this.#tails.set(teamId, tail);
    if (tail.sequence <= tail.signedThrough) this.#unsignedSince.delete(teamId);
    else if (!this.#unsignedSince.has(teamId)) this.#unsignedSince.set(teamId, this.#clock().getTime());
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

/** The denial entry of a refused command, chained after `tail`. */
function denialEntry(denied: DeniedCommand, id: string, tail: AuditTail, suppressedBefore: number): UnsealedAuditEntry {
  return {
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
      suppressedBefore,
    },
  };
}

const expectedOf = (tail: AuditTail): number | 'no_stream' => (tail.revision < 0 ? 'no_stream' : tail.revision);

const metadataOf = (context: RequestContext | undefined): EventMetadata => ({
  ...(context?.requestId ? { correlationId: context.requestId } : {}),
});
