import { EventEmitter } from 'node:events';
import { teamStreamId, teamStreamPrefix } from '@access-audit/domain';
import type { EventStore, RecordedEvent, Subscription } from '@access-audit/event-store';
import type { AccessProjection, AppliedBatch } from './projection';
import type { QuarantinedTeam } from './quarantine';

export interface ProjectionRunnerOptions {
  /** Most events per read-model transaction. Default 1000. */
  batchSize?: number;
  /** Wait before resubscribing after a failure. Default 1000 ms. */
  retryDelayMs?: number;
  onError?: (error: unknown) => void;
  /** A team was quarantined: applying `team.event` failed with `error`. Default: console.error. */
  onQuarantine?: (team: QuarantinedTeam, error: unknown) => void;
}

const IDLE = Symbol('idle');
const nextTurn = (): Promise<typeof IDLE> => new Promise((resolve) => setImmediate(() => resolve(IDLE)));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * Feeds the projection from the global log: subscribes to the team streams after the stored checkpoint, applies
 * events in batches (a batch ends when the subscription has nothing more at hand, or at `batchSize`), and
 * resubscribes from the checkpoint after a failure. An event that fails quarantines its team only (see AccessProjection).
 *
 * On start, each quarantined team's failing event is applied again (and rolled back): if it still fails, the quarantine
 * stands; if it applies now (the cause was fixed), the read models are emptied and rebuilt from the start of the log,
 * since the team's later events were skipped and cannot be slotted back in between the other teams'.
 */
export class ProjectionRunner {
  readonly #committed = new EventEmitter().setMaxListeners(0);
  readonly #batchSize: number;
  readonly #retryDelayMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #onQuarantine: (team: QuarantinedTeam, error: unknown) => void;
  #subscription: Subscription | undefined;
  #loop: Promise<void> | undefined;
  /** Settles once the quarantined teams were checked on start: until then the checkpoint may yet be reset. */
  #rechecked: Promise<void> = Promise.resolve();
  #stopping = false;
  #lastError: unknown;

  constructor(
    private readonly store: EventStore,
    readonly projection: AccessProjection,
    options: ProjectionRunnerOptions = {},
  ) {
    this.#batchSize = options.batchSize ?? 1000;
    this.#retryDelayMs = options.retryDelayMs ?? 1000;
    this.#onError = options.onError ?? ((error) => console.error('projection runner:', error));
    this.#onQuarantine =
      options.onQuarantine ??
      ((team, error) =>
        console.error(
          `projection runner: team ${team.teamId} quarantined at event ${team.event.id} (${team.event.type}, position ${team.event.position}):`,
          error,
        ));
  }

  get running(): boolean {
    return this.#loop !== undefined && !this.#stopping;
  }

  /** The last failure, cleared by the next successful batch. */
  get lastError(): unknown {
    return this.#lastError;
  }

  start(): void {
    if (this.#loop) return;
    this.#stopping = false;
    this.#rechecked = this.#recheckQuarantine();
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#subscription?.stop();
    await this.#loop;
    this.#loop = undefined;
  }

  /** Called after every committed batch that moved the checkpoint. */
  onCommit(listener: (batch: AppliedBatch) => void): () => void {
    this.#committed.on('commit', listener);
    return () => this.#committed.off('commit', listener);
  }

  /** Whether the read models reflect every team event in the log right now. */
  async caughtUp(): Promise<boolean> {
    await this.#rechecked;
    const after = this.projection.position;
    for await (const pending of this.store.readAll({
      streamPrefixes: [teamStreamPrefix],
      limit: 1,
      ...(after ? { after } : {}),
    })) {
      void pending;
      return false;
    }
    return true;
  }

  /** Whether the read models reflect every event up to and including `position`; throws if the store did not issue it. */
  reflects(position: string): boolean {
    const at = this.projection.position;
    return at !== undefined && this.store.comparePositions(at, position) >= 0;
  }

  /**
   * Resolves true once the read models reflect everything up to `position` (also when the events between the
   * checkpoint and it belong to no team stream), false after `timeoutMs`.
   */
  async waitUntilReflects(position: string, timeoutMs: number): Promise<boolean> {
    this.store.comparePositions(position, position);
    await this.#rechecked;
    if (this.reflects(position)) return true;
    const deadline = Date.now() + timeoutMs;
    let wake: () => void = () => undefined;
    const unsubscribe = this.onCommit(() => wake());
    try {
      while (Date.now() < deadline) {
        if (this.reflects(position) || (await this.#noTeamEventsThrough(position))) return true;
        const remaining = deadline - Date.now();
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(100, Math.max(0, remaining))).unref();
        });
      }
      return this.reflects(position);
    } finally {
      unsubscribe();
    }
  }

  async #noTeamEventsThrough(position: string): Promise<boolean> {
    const head = await this.store.headPosition();
    if (head === undefined || this.store.comparePositions(head, position) < 0) return false;
    const after = this.projection.position;
    for await (const next of this.store.readAll({
      streamPrefixes: [teamStreamPrefix],
      limit: 1,
      ...(after ? { after } : {}),
    })) {
      return this.store.comparePositions(next.position, position) > 0;
    }
    return true;
  }

  async #run(): Promise<void> {
    await this.#rechecked;
    while (!this.#stopping) {
      try {
        const after = this.projection.position;
        const subscription = this.store.subscribe({ streamPrefixes: [teamStreamPrefix], ...(after ? { after } : {}) });
        this.#subscription = subscription;
        if (this.#stopping) await subscription.stop();
        await this.#consume(subscription);
      } catch (error) {
        this.#lastError = error;
        if (this.#stopping) return;
        this.#onError(error);
        await sleep(this.#retryDelayMs);
      } finally {
        await this.#subscription?.stop();
        this.#subscription = undefined;
      }
    }
  }

  /** Applies each quarantined team's failing event again; rebuilds everything if one of them applies now. */
  async #recheckQuarantine(): Promise<void> {
    for (const team of this.projection.quarantinedTeams()) {
      try {
        const [event] = await this.store.readStream(teamStreamId(team.teamId), {
          fromRevision: team.event.streamRevision,
          limit: 1,
        });
        const failure = event?.id === team.event.id ? this.projection.probe(team.teamId, event) : undefined;
        if (failure) {
          this.#onQuarantine(team, failure.error);
          continue;
        }
        this.projection.reset();
        return;
      } catch (error) {
        // The quarantine stands; the next start checks again.
        this.#onError(error);
      }
    }
  }

  async #consume(subscription: Subscription): Promise<void> {
    const iterator = subscription[Symbol.asyncIterator]();
    const batch: RecordedEvent[] = [];
    const pull = () => {
      const pending = iterator.next();
      // Awaited below unless a failure ends the loop first; then its outcome no longer matters.
      pending.catch(() => undefined);
      return pending;
    };
    let next = pull();
    for (;;) {
      const result = batch.length === 0 ? await next : await Promise.race([next, nextTurn()]);
      if (result === IDLE) {
        this.#commit(batch);
        continue;
      }
      if (result.done) {
        this.#commit(batch);
        return;
      }
      batch.push(result.value);
      if (batch.length >= this.#batchSize) this.#commit(batch);
      next = pull();
    }
  }

  #commit(batch: RecordedEvent[]): void {
    if (batch.length === 0) return;
    const applied = this.projection.apply(batch);
    batch.length = 0;
    this.#lastError = undefined;
    for (const { team, error } of applied.quarantined) this.#onQuarantine(team, error);
    if (applied.applied > 0) this.#committed.emit('commit', applied);
  }
}
