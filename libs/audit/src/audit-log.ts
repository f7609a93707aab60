import type { PersonalData } from '@access-audit/privacy';
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { teamStreamId, teamStreamPrefix, type TeamState } from '@access-audit/domain';
import type { EventStore, RecordedEvent, Subscription } from '@access-audit/event-store';
import { foldTeamStream, UndecodableTeamEventError } from '@access-audit/team-stream';
import { AuditIndex, normaliseInstant, type AuditFilter, type AuditPage } from './audit-index';
import {
  AuditTrail,
  auditedTeamOf,
  UnauditableEventError,
  type AuditedEventRef,
  type AuditTrailOptions,
  type RecordOutcome,
} from './audit-trail';
import type { DeniedCommand } from './denial';
import { auditStreamId, auditStreamPrefix, type AuditRecord } from './entry';
import { exportStream, type AuditExportFormat } from './export';
import { RecordedThrough } from './recorded-through';
import type { CheckpointSigner } from './signing';
import { accessReviewActions, accessReviewStreamPrefix } from './review-actions';
import { summarizeAudit, type AuditSummary } from './summary';
import { verifyAuditStream, type AuditVerification } from './verify-audit';

export interface AuditLogOptions extends AuditTrailOptions {
  store: EventStore;
  signer: CheckpointSigner;
  /** SQLite file of the query index (`$DATA_DIR/audit-index.db`), or `:memory:`. */
  indexPath: string;
  /** Where failures of the background work are reported. Default: console.error. */
  onError?: (message: string, error: unknown) => void;
  /** Pause before retrying an event whose entry could not be appended. Default 500 ms. */
  retryDelayMs?: number;
  /** Longest a denial waits for the entries of the changes before it. Default 1000 ms. */
  denialOrderWaitMs?: number;
  /** Opens the personal fields of exports (NDJSON `revealed`, CSV cells); without it they are exported as stored. */
  personalData?: PersonalData;
}

/** A team whose audit log did not verify: by `verify`, or before signing a checkpoint. */
export interface AuditIntegrityFailure {
  detectedAt: string;
  reason: string;
}

const batchSize = 500;
/** Events handed to team queues and not yet recorded, at most: bounds memory while a long log is caught up. */
const maxEventsInFlight = 1024;

/** The streams whose events get audit entries: team streams and access-review campaigns. */
export const auditedStreamPrefixes = [teamStreamPrefix, accessReviewStreamPrefix];

/**
 * A team whose audit entries stopped at an event whose entry cannot be built: its later events wait behind it, its audit
 * answers are refused, and every other team's entries go on. Names the event, never its data.
 */
export interface AuditQuarantine {
  teamId: string;
  event: AuditedEventRef;
  /** The team's last recorded source position when it was quarantined (null: none); a restart reads the log after it. */
  resumeAfter: string | null;
}

/**
 * The audit log of every team: the projection that turns team events into entries of `audit-<teamId>`, the query index
 * over those streams, and the reads (pages, exports, verification, summary) the API and the CLI serve.
 *
 * An event whose entry cannot be built quarantines its team (see AuditQuarantine) instead of stalling every team. The
 * quarantine is kept in the index; on start the projection reads the log again from before the earliest one, so the
 * failing event is tried once more: it quarantines its team again, or, if it is recorded now, the team moves on.
 */
export class AuditLog {
  readonly trail: AuditTrail;
  readonly index: AuditIndex;
  readonly #store: EventStore;
  readonly #signer: CheckpointSigner;
  readonly #onError: (message: string, error: unknown) => void;
  readonly #retryDelayMs: number;
  readonly #denialOrderWaitMs: number;
  /** Emits 'progress' whenever the projection or the index moved on. */
  readonly #progress = new EventEmitter().setMaxListeners(0);
  readonly #subscriptions: Subscription[] = [];
  readonly #loops: Promise<void>[] = [];
  readonly #quarantine = new Map<string, AuditQuarantine>();
  readonly #integrityFailures = new Map<string, AuditIntegrityFailure>();
  readonly #clock: () => Date;
  /** Per team (undefined: a campaign event naming none): the event being recorded and those waiting behind it. */
  readonly #teamQueues = new Map<string | undefined, Promise<void>>();
  #queued = 0;
  #slotFreed: (() => void) | undefined;
  #recording: RecordedThrough | undefined;
  #publishedThrough: string | undefined;
  #checkpointTimer: NodeJS.Timeout | undefined;
  #signing: Promise<void> | undefined;
  #running = false;

  readonly #personalData: PersonalData | undefined;

  constructor(options: AuditLogOptions) {
    this.#store = options.store;
    this.#personalData = options.personalData;
    this.#signer = options.signer;
    this.#onError = options.onError ?? ((message, error) => console.error(message, error));
    this.#retryDelayMs = options.retryDelayMs ?? 500;
    this.#denialOrderWaitMs = options.denialOrderWaitMs ?? 1000;
    this.#clock = options.clock ?? (() => new Date());
    this.trail = new AuditTrail(options.store, options.signer, {
      ...options,
      onSigningRefused: (teamId, reason) => {
        this.#integrityFailures.set(teamId, { detectedAt: this.#clock().toISOString(), reason });
        this.#onError(`audit: no checkpoint signed for team ${teamId}`, new Error(reason));
        options.onSigningRefused?.(teamId, reason);
      },
    });
    this.index = new AuditIndex(options.indexPath, (a, b) => options.store.comparePositions(a, b));
  }

  /** Teams whose audit log did not verify, the last time it was verified or a checkpoint was due (by team id). */
  get integrityFailures(): ReadonlyMap<string, AuditIntegrityFailure> {
    return this.#integrityFailures;
  }

  get publicKeyPem(): string {
    return this.#signer.publicKeyPem;
  }

  /** The id checkpoints name their signing key by. */
  get keyId(): string {
    return this.#signer.keyId;
  }

  /**
   * Brings the index up to the audit streams, then runs, until `stop()`, the projection (from just after the last team
   * event that has an entry) and the index, both live.
   */
  async start(): Promise<void> {
    if (this.#running) return;
    await this.#catchUpIndex();
    this.#loadQuarantine();
    await this.#signLeftUnsigned();
    this.#running = true;
    const after = this.#resumePosition();
    this.#publishedThrough = this.index.recordedThrough;
    this.#recording = new RecordedThrough((a, b) => this.#store.comparePositions(a, b), after);
    const projection = this.#store.subscribe({
      streamPrefixes: auditedStreamPrefixes,
      after,
    });
    const indexer = this.#store.subscribe({ streamPrefixes: [auditStreamPrefix], after: this.index.position });
    this.#subscriptions.push(projection, indexer);
    this.#loops.push(this.#runProjection(projection), this.#runIndexer(indexer));
    // Ticks often enough that no unsigned entry waits longer than the bound.
    const { maxAgeMs } = this.trail.checkpointBound;
    const tickMs = Math.max(10, Math.min(1000, Math.floor(maxAgeMs / 10)));
    this.#checkpointTimer = setInterval(() => void this.#signDue(maxAgeMs - tickMs), tickMs).unref();
  }

  /** Stops recording and indexing; on the way out signs every unsigned tail, so a clean stop leaves none. */
  async stop(): Promise<void> {
    const wasRunning = this.#running;
    this.#running = false;
    clearInterval(this.#checkpointTimer);
    this.#checkpointTimer = undefined;
    await Promise.all(this.#subscriptions.splice(0).map((subscription) => subscription.stop()));
    await Promise.all(this.#loops.splice(0));
    await this.#signing;
    if (wasRunning) await this.#signDue(0);
    this.index.close();
  }

  /** Without live subscriptions (the CLI): records every team event that has no entry yet, and indexes everything. */
  async catchUp(): Promise<void> {
    await this.#catchUpIndex();
    this.#loadQuarantine();
    await this.#signLeftUnsigned();
    this.#publishedThrough = this.index.recordedThrough;
    let last: string | undefined;
    for await (const event of this.#store.readAll({
      streamPrefixes: auditedStreamPrefixes,
      after: this.#resumePosition(),
    })) {
      await this.#record(event, false);
      last = event.position;
    }
    await this.#catchUpIndex();
    if (last !== undefined) this.#publishRecordedThrough(last);
  }

  /** Why the team's audit entries stopped, if they did. */
  quarantine(teamId: string): AuditQuarantine | undefined {
    return this.#quarantine.get(teamId);
  }

  quarantinedTeams(): AuditQuarantine[] {
    return [...this.#quarantine.values()];
  }

  /**
   * For the command path: records a refused command (rate-limited per actor and team). While the projection runs, the
   * entries of the team events the command was decided on are let in first (waiting at most `denialOrderWaitMs`), so
   * the chain shows the denial after the state that refused it.
   */
  async recordDenial(denied: DeniedCommand): Promise<RecordOutcome> {
    // A quarantined team's change entries wait behind its failed event: there is nothing to wait for.
    if (this.#running && !this.#quarantine.has(denied.teamId)) {
      const seen = denied.teamStreamRevision ?? (await this.#store.streamRevision(teamStreamId(denied.teamId)));
      await this.#waitFor(
        async () => (await this.trail.tail(denied.teamId)).lastSourceRevision >= seen,
        this.#denialOrderWaitMs,
      );
    }
    return this.trail.recordDenial(denied);
  }

  /** A position through which every audited event's entry is indexed (the `X-Position` of audit answers). */
  get indexedThrough(): string | undefined {
    return this.index.recordedThrough;
  }

  /** Whether the entry of every audited event (team or campaign) at or before `position` is indexed, quarantined teams aside. */
  async isIndexedThrough(position: string): Promise<boolean> {
    const head = await this.#store.headPosition();
    if (head === undefined || this.#store.comparePositions(position, head) > 0) return false;
    const indexed = this.index.recordedThrough;
    if (indexed !== undefined && this.#store.comparePositions(indexed, position) >= 0) return true;
    for await (const next of this.#store.readAll({
      streamPrefixes: auditedStreamPrefixes,
      after: indexed,
      ...(this.#quarantine.size === 0 ? { limit: 1 } : {}),
    })) {
      const teamId = auditedTeamOf(next);
      if (teamId !== undefined && this.#quarantine.has(teamId)) continue;
      return this.#store.comparePositions(next.position, position) > 0;
    }
    return true;
  }

  /**
   * Waits until `isIndexedThrough(position)`, at most `timeoutMs`; false when it did not happen in time. Throws (before
   * waiting) when `position` is not a position of this store.
   */
  async waitUntilIndexed(position: string, timeoutMs: number): Promise<boolean> {
    this.#store.comparePositions(position, position);
    return this.#waitFor(() => this.isIndexedThrough(position), timeoutMs);
  }

  /** Waits until the audit-stream event at `auditPosition` (e.g. a recorded denial's) is indexed. */
  waitUntilRecordIndexed(auditPosition: string, timeoutMs: number): Promise<boolean> {
    return this.#waitFor(async () => {
      const indexed = this.index.position;
      return indexed !== undefined && this.#store.comparePositions(indexed, auditPosition) >= 0;
    }, timeoutMs);
  }

  page(teamId: string, filter: AuditFilter, limit: number, cursor?: string): AuditPage {
    return this.index.page(teamId, filter, limit, cursor);
  }

  /**
   * The selection as NDJSON or CSV, produced as it is read. Without filters it is the whole audit stream read from the
   * event store, ending with a checkpoint signed for the export, so that `audit:verify` can check it on its own.
   */
  async export(teamId: string, format: AuditExportFormat, filter: AuditFilter = {}): Promise<Readable> {
    return exportStream(format, await this.exportRecords(teamId, filter), this.#personalData);
  }

  async exportRecords(teamId: string, filter: AuditFilter = {}): Promise<AsyncIterable<AuditRecord>> {
    if (Object.values(filter).some((value) => value !== undefined)) return toAsync(this.index.entries(teamId, filter));
    const through = await this.trail.signHead(teamId);
    return this.#auditRecords(teamId, through);
  }

  /**
   * Recomputes the team's chain and checkpoint signatures from the audit stream in the event store, each change entry
   * from its source event, and checks the unsigned tail against its bound and the head this process appended.
   */
  async verify(teamId: string): Promise<AuditVerification> {
    const witnessed = this.trail.witnessedHead(teamId);
    const recordedThrough = this.index.recordedThrough;
    const result = await verifyAuditStream(this.#store, teamId, this.#signer.publicKey, {
      bound: this.trail.checkpointBound,
      now: this.#clock,
      ...(witnessed ? { witnessed } : {}),
      ...(recordedThrough !== undefined ? { recordedThrough } : {}),
    });
    if (result.valid) this.#integrityFailures.delete(teamId);
    else this.#integrityFailures.set(teamId, { detectedAt: this.#clock().toISOString(), reason: failureOf(result) });
    return result;
  }

  /**
   * Changes by type and actor, privileged grants and denied attempts in the window; findings on the team at its end and
   * on the campaigns overdue by then.
   */
  async summary(teamId: string, window: { from?: string; to?: string }): Promise<AuditSummary> {
    const to = normaliseInstant(window.to ?? new Date().toISOString());
    const from = window.from === undefined ? null : normaliseInstant(window.from);
    const state = await this.teamStateAt(teamId, to);
    const campaignLifecycle = [
      accessReviewActions.opened,
      accessReviewActions.completed,
      accessReviewActions.expired,
    ].flatMap((type) => [...this.index.entries(teamId, { type, to })]);
    return summarizeAudit(
      teamId,
      { from, to },
      this.index.entries(teamId, { ...(from ? { from } : {}), to }),
      state,
      campaignLifecycle,
    );
  }

  /**
   * The team folded from its stream, with the events that happened at or before `at` (team-stream's one rule for
   * instants). Throws UnauditableEventError, naming the event, when the stream holds one that cannot be folded.
   */
  async teamStateAt(teamId: string, at?: string): Promise<TeamState> {
    try {
      return (await foldTeamStream(this.#store, teamId, at === undefined ? {} : { atMs: Date.parse(at) })).state;
    } catch (error) {
      if (!(error instanceof UndecodableTeamEventError)) throw error;
      throw new UnauditableEventError(teamId, error.event, error, 'the team cannot be folded past it');
    }
  }

  async #waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await condition()) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.#progress.off('progress', done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, 100));
        this.#progress.on('progress', done);
      });
    }
  }

  async *#auditRecords(teamId: string, throughRevision: number): AsyncGenerator<AuditRecord> {
    for (let revision = 0; revision <= throughRevision;) {
      const limit = Math.min(batchSize, throughRevision - revision + 1);
      const events = await this.#store.readStream(auditStreamId(teamId), { fromRevision: revision, limit });
      for (const event of events) yield event.data as AuditRecord;
      if (events.length < limit) return;
      revision = events[events.length - 1].revision + 1;
    }
  }

  /** Signs the tails an earlier process left unsigned (it stopped between an entry and its checkpoint). */
  async #signLeftUnsigned(): Promise<void> {
    for (const teamId of this.index.teamsWithUnsignedTail()) this.trail.noteUnsigned(teamId);
    await this.#signDue(0);
  }

  /** One signing round at a time; a failure is reported and the next round tries again. */
  async #signDue(olderThanMs: number): Promise<void> {
    if (this.#signing) return this.#signing;
    this.#signing = this.trail
      .signDue(olderThanMs)
      .then(
        () => undefined,
        (error: unknown) => this.#onError('audit: signing due checkpoints failed', error),
      )
      .finally(() => (this.#signing = undefined));
    return this.#signing;
  }

  async #catchUpIndex(): Promise<void> {
    let batch: RecordedEvent[] = [];
    for await (const event of this.#store.readAll({
      streamPrefixes: [auditStreamPrefix],
      after: this.index.position,
    })) {
      batch.push(event);
      if (batch.length === batchSize) {
        this.index.apply(batch);
        batch = [];
      }
    }
    this.index.apply(batch);
    this.#progress.emit('progress');
  }

  /**
   * Hands each event to its team's queue: one team's entries are recorded in its stream order, different teams' at the
   * same time (their appends share transactions). The recorded-through position only passes an event once it is done.
   */
  async #runProjection(subscription: Subscription): Promise<void> {
    const recording = this.#recording!;
    try {
      for await (const event of subscription) {
        while (this.#running && this.#queued >= maxEventsInFlight) {
          await new Promise<void>((resolve) => (this.#slotFreed = resolve));
        }
        if (!this.#running) break;
        const pending = recording.begin(event.position);
        const done = (appendedAt: string | undefined): void => {
          recording.done(pending, appendedAt);
          this.#publishRecordedThrough();
        };
        this.#enqueue(auditedTeamOf(event), async () => {
          // Done once the entry is durable, not only once a checkpoint it made due is signed too.
          const recorded = await this.#record(event, true, done);
          if (recorded !== false) done(recorded.appendedAt);
        });
      }
    } catch (error) {
      if (this.#running) this.#onError('audit: the projection subscription ended', error);
    }
    await Promise.all([...this.#teamQueues.values()]);
  }

  #enqueue(teamId: string | undefined, work: () => Promise<void>): void {
    this.#queued += 1;
    const step = (this.#teamQueues.get(teamId) ?? Promise.resolve())
      .then(work)
      .catch((error: unknown) => this.#onError(`audit: recording for team ${teamId} failed`, error))
      .finally(() => {
        this.#queued -= 1;
        const freed = this.#slotFreed;
        this.#slotFreed = undefined;
        freed?.();
        if (this.#teamQueues.get(teamId) === step) this.#teamQueues.delete(teamId);
      });
    this.#teamQueues.set(teamId, step);
  }

  /** Stores the furthest recorded-through position whose entries the index holds (or `through`, known to be held). */
  #publishRecordedThrough(through = this.#recording?.takeIndexed(this.index.position)): void {
    if (through === undefined) return;
    const published = this.#publishedThrough;
    if (published !== undefined && this.#store.comparePositions(through, published) <= 0) return;
    this.index.recordedThrough = through;
    this.#publishedThrough = through;
    this.#progress.emit('progress');
  }

  /**
   * Records one audited event. A store failure is retried while the projection runs (`live`; the CLI gives up); an event
   * whose entry cannot be built quarantines its team. A quarantined team's events are skipped, except the one that
   * failed (read again after a restart), which lifts the quarantine once it is recorded. False once stopped.
   */
  async #record(
    event: RecordedEvent,
    live: boolean,
    onAppended?: (position: string) => void,
  ): Promise<false | { appendedAt: string | undefined }> {
    const teamId = auditedTeamOf(event);
    const held = teamId === undefined ? undefined : this.#quarantine.get(teamId);
    if (held && held.event.id !== event.id) return { appendedAt: undefined };
    for (;;) {
      if (live && !this.#running) return false;
      try {
        const outcome = await this.trail.recordEvent(event, onAppended);
        if (held) this.#setQuarantine(held.teamId, undefined);
        this.#progress.emit('progress');
        if (outcome.recorded) return { appendedAt: outcome.position };
        return { appendedAt: outcome.why === 'already_recorded' ? await this.#auditEnd(teamId!) : undefined };
      } catch (error) {
        if (error instanceof UnauditableEventError) {
          await this.#quarantineTeam(error);
          return { appendedAt: await this.#store.headPosition() };
        }
        if (!live) throw error;
        if (!this.#running) return false;
        this.#onError(`audit: recording event ${event.id} (${event.type}) failed; retrying`, error);
        await delay(this.#retryDelayMs);
      }
    }
  }

  /**
   * Where the team's audit stream ends: an entry recorded before (by another instance too) precedes it. Not the log's
   * head, which may be a non-audit event (an idempotency record) that the index, following audit streams, never reaches.
   */
  async #auditEnd(teamId: string): Promise<string | undefined> {
    const { revision } = await this.trail.tail(teamId);
    if (revision < 0) return undefined;
    const [last] = await this.#store.readStream(auditStreamId(teamId), { fromRevision: revision, limit: 1 });
    return last?.position;
  }

  async #quarantineTeam(error: UnauditableEventError): Promise<void> {
    let resumeAfter: string | null = null;
    try {
      resumeAfter = (await this.trail.tail(error.teamId)).lastSourcePosition ?? null;
    } catch {
      // Unknown: a restart reads the log from the start.
    }
    this.#setQuarantine(error.teamId, { teamId: error.teamId, event: error.event, resumeAfter });
    this.#onError(`audit: team ${error.teamId} quarantined; the other teams' entries go on`, error);
  }

  #setQuarantine(teamId: string, quarantine: AuditQuarantine | undefined): void {
    if (quarantine) this.#quarantine.set(teamId, quarantine);
    else this.#quarantine.delete(teamId);
    this.index.quarantined = [...this.#quarantine.values()];
  }

  #loadQuarantine(): void {
    this.#quarantine.clear();
    for (const quarantine of this.index.quarantined) this.#quarantine.set(quarantine.teamId, quarantine);
  }

  /** Where the projection reads on from: after the last recorded source, or before the earliest quarantined team's. */
  #resumePosition(): string | undefined {
    let after = this.index.recordedThrough;
    if (after === undefined) return undefined;
    for (const { resumeAfter } of this.#quarantine.values()) {
      if (resumeAfter === null) return undefined;
      if (this.#store.comparePositions(resumeAfter, after) < 0) after = resumeAfter;
    }
    return after;
  }

  /**
   * Indexes the audit streams as they grow: the events at hand in one transaction (a batch ends when the subscription
   * has nothing more this turn, or at `batchSize`), since a transaction per event costs far more than its rows.
   */
  async #runIndexer(subscription: Subscription): Promise<void> {
    const iterator = subscription[Symbol.asyncIterator]();
    const batch: RecordedEvent[] = [];
    const flush = (): void => {
      if (batch.length === 0) return;
      this.index.apply(batch);
      batch.length = 0;
      this.#publishRecordedThrough();
      this.#progress.emit('progress');
    };
    const pull = () => {
      const pending = iterator.next();
      // Awaited below unless a failure ends the loop first; then its outcome no longer matters.
      pending.catch(() => undefined);
      return pending;
    };
    try {
      let next = pull();
      for (;;) {
        const result = batch.length === 0 ? await next : await Promise.race([next, nextTurn()]);
        if (result === idle) {
          flush();
          continue;
        }
        if (result.done) break;
        batch.push(result.value);
        if (batch.length >= batchSize) flush();
        next = pull();
      }
      flush();
    } catch (error) {
      if (this.#running) this.#onError('audit: the index subscription ended', error);
      await subscription.stop();
    } finally {
      // As a for-await loop would: the subscription's own clean-up runs however the loop ended.
      await iterator.return?.(undefined);
    }
  }
}

/** One line on what failed first: the chain, the sources, or the unsigned tail. */
function failureOf(result: AuditVerification): string {
  if (result.break) return `the chain breaks at entry ${result.break.sequence}: ${result.break.reason}`;
  const first = result.sources?.mismatches[0];
  if (first) return `${first.kind} entry${first.sequence === null ? '' : ` at ${first.sequence}`}: ${first.reason}`;
  return result.unsignedTail.beyondBound ?? 'the audit log does not verify';
}

const idle = Symbol('idle');
/** Resolves after the I/O and microtasks of this turn of the event loop. */
const nextTurn = (): Promise<typeof idle> => new Promise((resolve) => setImmediate(() => resolve(idle)));

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  for (const item of items) yield item;
}
