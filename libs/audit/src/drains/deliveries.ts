import type { PersonalData } from '@access-audit/privacy';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { teamStreamPrefix } from '@access-audit/domain';
import {
  WrongExpectedRevisionError,
  type EventStore,
  type RecordedEvent,
  type Subscription,
} from '@access-audit/event-store';
import { exportLine } from '../export';
import { auditStreamId, auditStreamPrefix, type AuditRecord } from '../entry';
import {
  appendDeliveryState,
  drainDeliveryEventTypes,
  readDeliveryState,
  type DrainDeliveryEventType,
  type DrainDeliveryState,
} from './delivery-state';
import type { DrainCredentials, DrainSecrets } from './secrets';
import { DrainSender, defaultDeliveryTimeoutMs, type DeliveryResult } from './sender';
import { drainIdHeader, drainSignatureHeader, signDrainBody } from './signature';
import type { DrainAllowList } from './target';

/** API.md: at most 1,000 entries or 1 MiB a batch. */
export const maxBatchRecords = 1000;
export const maxBatchBytes = 1024 * 1024;

const drainEventTypes = ['AuditDrainAdded', 'AuditDrainRemoved', 'AuditDrainResumed'];

export interface DrainBackoff {
  /** The first retry waits about this long; each further one twice as long, up to `maxMs`. */
  initialMs: number;
  maxMs: number;
}

/** Counts what delivery did, for the API's metrics; called on the delivering instance only. */
export interface DrainDeliveryObserver {
  delivered(drainId: string, records: number, bytes: number, seconds: number): void;
  failed(drainId: string): void;
  paused(drainId: string): void;
}

export interface DrainDeliveriesOptions {
  store: EventStore;
  secrets: DrainSecrets;
  allow: DrainAllowList;
  /** Names this instance in leases. Default: host name, process id and a random part. */
  instanceId?: string;
  clock?: () => Date;
  /** How long a lease lasts without being renewed. Default 30 s (longer than a delivery's timeout). */
  leaseMs?: number;
  /** Default 10 s. */
  timeoutMs?: number;
  /** A drain failing this long is paused. Default 24 h. */
  pauseAfterMs?: number;
  /** Default 1 s doubling to 5 min, each wait drawn between half and all of it (jitter). */
  backoff?: DrainBackoff;
  /** How often an idle worker looks at its drain again without being woken. Default 5 s. */
  idlePollMs?: number;
  random?: () => number;
  observer?: DrainDeliveryObserver;
  onError?: (message: string, error: unknown) => void;
  /** Opens the personal fields of each line (`revealed`), as the NDJSON export does. */
  personalData?: PersonalData;
}

/** A drain as the team streams configure it. */
export interface DrainConfig {
  drainId: string;
  teamId: string;
  url: string;
  /** How many times the drain was resumed (AuditDrainResumed). */
  resumes: number;
  /** When AuditDrainAdded was recorded (ms): its secret is sealed just after, so a missing one is awaited a while. */
  addedAtMs?: number;
}

/** A drain's delivery state as GET …/audit/drains answers it (API.md). */
export interface DrainStatus {
  drainId: string;
  url: string;
  description?: string;
  status: 'active' | 'paused' | 'failing';
  deliveredThrough: number;
  lagEntries: number;
  /** Seconds since the oldest record not yet delivered was appended; 0 when none waits. */
  lagSeconds: number;
  lastError?: string;
  lastDeliveryAt?: string;
  failingSince?: string;
  pausedAt?: string;
  nextAttemptAt?: string;
}

interface Batch {
  body: Buffer;
  records: number;
  lastRevision: number;
  lastSequence: number;
}

/** Exponential backoff with jitter: between half and all of initial·2^(attempts-1), capped at `maxMs`. */
export function backoffDelay(attempts: number, backoff: DrainBackoff, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(Math.max(attempts, 1) - 1, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

type ResolvedOptions = DrainDeliveriesOptions &
  Required<
    Pick<DrainDeliveriesOptions, 'leaseMs' | 'timeoutMs' | 'pauseAfterMs' | 'backoff' | 'idlePollMs' | 'random'>
  >;

const recordedTime = (value: string | null): number => (value === null ? 0 : Date.parse(value));

/**
 * Delivers every team's audit stream to its drains: one worker per drain in each instance, of which only the lease
 * holder sends. Drain configuration comes from the team streams; cursors and leases from the delivery streams.
 */
export class DrainDeliveries {
  readonly instanceId: string;
  readonly #store: EventStore;
  readonly #sender: DrainSender;
  readonly #options: ResolvedOptions;
  readonly #clock: () => Date;
  readonly #drains = new Map<string, DrainConfig>();
  readonly #workers = new Map<string, DrainWorker>();
  /** Drain ids by team id, to wake a team's workers when its audit stream grows. */
  readonly #byTeam = new Map<string, Set<string>>();
  readonly #subscriptions: Subscription[] = [];
  readonly #loops: Promise<void>[] = [];
  #running = false;

  constructor(options: DrainDeliveriesOptions) {
    this.#options = {
      leaseMs: 30_000,
      timeoutMs: defaultDeliveryTimeoutMs,
      pauseAfterMs: 24 * 60 * 60 * 1000,
      backoff: { initialMs: 1000, maxMs: 5 * 60 * 1000 },
      idlePollMs: 5000,
      random: Math.random,
      ...options,
    };
    this.#store = options.store;
    this.#clock = options.clock ?? (() => new Date());
    this.instanceId = options.instanceId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#sender = new DrainSender(options.allow, this.#options.timeoutMs);
  }

  /** Reads the drains configured so far, starts their workers, then follows drain and audit events live. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    const auditHead = await this.#store.headPosition();
    let after: string | undefined;
    const removed = new Set<string>();
    for await (const event of this.#store.readAll({
      streamPrefixes: [teamStreamPrefix],
      eventTypes: drainEventTypes,
    })) {
      const drainId = this.#apply(event);
      if (drainId !== undefined && event.type === 'AuditDrainRemoved') removed.add(drainId);
      after = event.position;
    }
    // A removed drain's key that is still here (its removal's destroy failed, or it is this instance's own store).
    void this.#destroyKeys([...removed]);
    for (const drain of this.#drains.values()) this.#startWorker(drain);
    const config = this.#store.subscribe({
      streamPrefixes: [teamStreamPrefix],
      eventTypes: drainEventTypes,
      ...(after !== undefined ? { after } : {}),
    });
    const audit = this.#store.subscribe({
      streamPrefixes: [auditStreamPrefix],
      ...(auditHead !== undefined ? { after: auditHead } : {}),
    });
    this.#subscriptions.push(config, audit);
    this.#loops.push(
      this.#follow(config, (event) => {
        const drainId = this.#apply(event);
        const drain = drainId === undefined ? undefined : this.#drains.get(drainId);
        if (drain && !this.#workers.has(drain.drainId)) this.#startWorker(drain);
        if (drainId !== undefined && !drain) void this.#stopWorker(drainId);
        if (drainId !== undefined && event.type === 'AuditDrainRemoved') void this.#destroyKeys([drainId]);
        if (drainId !== undefined) this.#workers.get(drainId)?.wake();
      }),
      this.#follow(audit, (event) => {
        const teamId = event.streamId.slice(auditStreamPrefix.length);
        for (const drainId of this.#byTeam.get(teamId) ?? []) this.#workers.get(drainId)?.wake();
      }),
    );
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    await Promise.all(this.#subscriptions.splice(0).map((subscription) => subscription.stop()));
    await Promise.all(this.#loops.splice(0));
    const stopping = [...this.#workers.keys()].map((drainId) => this.#stopWorker(drainId));
    // A batch in flight is abandoned, not awaited for up to the timeout: unacknowledged, it is sent again later.
    this.#sender.close();
    await Promise.all(stopping);
  }

  /** The drain's delivery state and lag as every instance sees it (read from the event store, not this process). */
  async status(drain: {
    drainId: string;
    teamId: string;
    url: string;
    description?: string;
    resumes: number;
  }): Promise<DrainStatus> {
    const { state } = await readDeliveryState(this.#store, drain.drainId, drain.teamId);
    const lag = await this.lag(drain.teamId, state);
    const paused = state.pausedAt !== null && state.resumesSeen >= drain.resumes;
    return {
      drainId: drain.drainId,
      url: drain.url,
      ...(drain.description !== undefined ? { description: drain.description } : {}),
      status: paused ? 'paused' : state.failingSince !== null ? 'failing' : 'active',
      deliveredThrough: state.deliveredThrough,
      lagEntries: lag.entries,
      lagSeconds: lag.seconds,
      ...(state.lastError !== null ? { lastError: state.lastError } : {}),
      ...(state.lastDeliveryAt !== null ? { lastDeliveryAt: state.lastDeliveryAt } : {}),
      ...(state.failingSince !== null ? { failingSince: state.failingSince } : {}),
      ...(paused ? { pausedAt: state.pausedAt! } : {}),
      ...(state.nextAttemptAt !== null && !paused ? { nextAttemptAt: state.nextAttemptAt } : {}),
    };
  }

  /** Entries appended after the cursor, and how long the oldest record after it has waited. */
  async lag(teamId: string, state: DrainDeliveryState): Promise<{ entries: number; seconds: number }> {
    const streamId = auditStreamId(teamId);
    const head = await this.#store.streamRevision(streamId);
    if (head <= state.deliveredRevision) return { entries: 0, seconds: 0 };
    const [last] = await this.#store.readStream(streamId, { fromRevision: head, limit: 1 });
    const [next] = await this.#store.readStream(streamId, { fromRevision: state.deliveredRevision + 1, limit: 1 });
    const headSequence = (last?.data as AuditRecord | undefined)?.sequence ?? state.deliveredThrough;
    const waited = next ? (this.#clock().getTime() - Date.parse(next.recordedAt)) / 1000 : 0;
    return { entries: Math.max(0, headSequence - state.deliveredThrough), seconds: Math.max(0, waited) };
  }

  /** The drains this instance knows of (for metrics). */
  drains(): DrainConfig[] {
    return [...this.#drains.values()];
  }

  #apply(event: RecordedEvent): string | undefined {
    const data = event.data as { teamId?: string; drainId?: string; after?: { url?: string } | null };
    const drainId = data.drainId;
    const teamId = event.streamId.slice(teamStreamPrefix.length);
    if (typeof drainId !== 'string') return undefined;
    if (event.type === 'AuditDrainAdded' && typeof data.after?.url === 'string') {
      this.#drains.set(drainId, {
        drainId,
        teamId,
        url: data.after.url,
        resumes: 0,
        addedAtMs: Date.parse(event.recordedAt),
      });
      const team = this.#byTeam.get(teamId) ?? new Set<string>();
      this.#byTeam.set(teamId, team.add(drainId));
    } else if (event.type === 'AuditDrainRemoved') {
      this.#drains.delete(drainId);
      this.#byTeam.get(teamId)?.delete(drainId);
    } else if (event.type === 'AuditDrainResumed') {
      const drain = this.#drains.get(drainId);
      if (drain) drain.resumes += 1;
    }
    return drainId;
  }

  #startWorker(drain: DrainConfig): void {
    if (!this.#running || this.#workers.has(drain.drainId)) return;
    const worker = new DrainWorker(drain, {
      store: this.#store,
      sender: this.#sender,
      clock: this.#clock,
      instanceId: this.instanceId,
      options: this.#options,
    });
    this.#workers.set(drain.drainId, worker);
    worker.start();
  }

  /** Destroys what is left of removed drains' keys here; a failure is tried again at the next start. */
  async #destroyKeys(drainIds: readonly string[]): Promise<void> {
    for (const drainId of drainIds) {
      if (!this.#running) return;
      await this.#options.secrets.destroyIfPresent(drainId).catch(() => undefined);
    }
  }

  async #stopWorker(drainId: string): Promise<void> {
    const worker = this.#workers.get(drainId);
    this.#workers.delete(drainId);
    this.#options.secrets.forget(drainId);
    await worker?.stop();
  }

  async #follow(subscription: Subscription, apply: (event: RecordedEvent) => void): Promise<void> {
    try {
      for await (const event of subscription) apply(event);
    } catch (error) {
      if (this.#running) this.#options.onError?.('audit drains: a subscription ended', error);
    }
  }
}

interface WorkerDeps {
  store: EventStore;
  sender: DrainSender;
  clock: () => Date;
  instanceId: string;
  options: ResolvedOptions;
}

/** How long after a drain is added a missing secret is awaited (polled) rather than reported. */
const secretGraceMs = 30_000;
const secretPollMs = 100;

/** Slack kept on a lease before a delivery starts: the delivery must end (timeout) before the lease can. */
const leaseMarginMs = 1000;

/** One drain's delivery loop in this instance. */
class DrainWorker {
  #stopped = false;
  #woken = false;
  #wakeUp: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(
    private readonly drain: DrainConfig,
    private readonly deps: WorkerDeps,
  ) {}

  start(): void {
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.wake();
    await this.#loop;
  }

  wake(): void {
    this.#woken = true;
    this.#wakeUp?.();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      let waitMs: number;
      try {
        this.#woken = false;
        waitMs = await this.#step();
      } catch (error) {
        this.deps.options.onError?.(`audit drain ${this.drain.drainId}: delivery step failed`, error);
        waitMs = this.deps.options.idlePollMs;
      }
      await this.#sleep(Math.min(waitMs, this.deps.options.idlePollMs));
    }
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopped || this.#woken || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakeUp = done;
    });
  }

  /** One look at the drain: take or keep the lease, send the next batch, record the outcome. Returns how long to wait. */
  async #step(): Promise<number> {
    const { store, clock, instanceId, options } = this.deps;
    const { drainId, teamId } = this.drain;
    const idle = options.idlePollMs;
    let { state, revision } = await readDeliveryState(store, drainId, teamId);
    const resumed = this.drain.resumes > state.resumesSeen;
    if (state.pausedAt !== null && !resumed) return idle;
    const head = await store.streamRevision(auditStreamId(teamId));
    const pending = head > state.deliveredRevision;
    if (!pending && !resumed) return idle;
    const now = clock().getTime();
    const leaseEnds = recordedTime(state.leaseExpiresAt);
    const mine = state.holder === instanceId && leaseEnds > now;
    if (!mine && state.holder !== null && leaseEnds > now) return leaseEnds - now + 10;
    if (!resumed && state.nextAttemptAt !== null && recordedTime(state.nextAttemptAt) > now && mine) {
      return recordedTime(state.nextAttemptAt) - now;
    }
    if (!mine || resumed || leaseEnds - now < options.timeoutMs + leaseMarginMs) {
      state = {
        ...state,
        holder: instanceId,
        leaseExpiresAt: new Date(now + options.leaseMs).toISOString(),
        ...(resumed
          ? { pausedAt: null, failingSince: null, attempts: 0, nextAttemptAt: null, resumesSeen: this.drain.resumes }
          : {}),
      };
      const taken = await this.#record(drainDeliveryEventTypes.leaseTaken, state, revision);
      if (taken === undefined) return 0;
      revision = taken;
    }
    if (!pending) return idle;
    const batch = await this.#readBatch(state.deliveredRevision + 1);
    if (!batch) return idle;
    let credentials: DrainCredentials | undefined;
    let unreadable: string | undefined;
    try {
      credentials = await options.secrets.get(drainId);
    } catch (error) {
      unreadable = `this instance cannot open the drain's credentials: ${(error as Error).message}`;
    }
    // The secret is sealed right after the drain is added: awaited, not a failure, for the first moments.
    if (!credentials && !unreadable && now - (this.drain.addedAtMs ?? 0) < secretGraceMs) return secretPollMs;
    const started = clock();
    // The batch read and the secret fetch took time since the lease was checked: the send must still end before it can.
    if (!unreadable && recordedTime(state.leaseExpiresAt) - started.getTime() < options.timeoutMs + leaseMarginMs) {
      state = {
        ...state,
        holder: instanceId,
        leaseExpiresAt: new Date(started.getTime() + options.leaseMs).toISOString(),
      };
      const renewed = await this.#record(drainDeliveryEventTypes.leaseTaken, state, revision);
      if (renewed === undefined) return 0;
      revision = renewed;
    }
    const result: DeliveryResult = unreadable
      ? { ok: false, error: unreadable }
      : await this.#send(batch, started, credentials);
    const ended = clock();
    if (this.#stopped) return 0;
    if (result.ok) {
      options.observer?.delivered(
        drainId,
        batch.records,
        batch.body.length,
        (ended.getTime() - started.getTime()) / 1000,
      );
      const delivered: DrainDeliveryState = {
        ...state,
        deliveredRevision: batch.lastRevision,
        deliveredThrough: batch.lastSequence,
        lastDeliveryAt: ended.toISOString(),
        failingSince: null,
        attempts: 0,
        lastError: null,
        nextAttemptAt: null,
        leaseExpiresAt: new Date(ended.getTime() + options.leaseMs).toISOString(),
      };
      await this.#record(drainDeliveryEventTypes.delivered, delivered, revision);
      return 0;
    }
    options.observer?.failed(drainId);
    const failingSince = state.failingSince ?? started.toISOString();
    const attempts = state.attempts + 1;
    if (ended.getTime() - Date.parse(failingSince) >= options.pauseAfterMs) {
      const hours = Math.round((options.pauseAfterMs / 3_600_000) * 100) / 100;
      const paused: DrainDeliveryState = {
        ...state,
        holder: null,
        leaseExpiresAt: null,
        failingSince,
        attempts,
        lastError: `paused after failing for ${hours} h (${attempts} attempts); last: ${result.error}`,
        nextAttemptAt: null,
        pausedAt: ended.toISOString(),
      };
      if ((await this.#record(drainDeliveryEventTypes.paused, paused, revision)) !== undefined) {
        options.observer?.paused(drainId);
      }
      return idle;
    }
    const delay = backoffDelay(attempts, options.backoff, options.random);
    const failed: DrainDeliveryState = {
      ...state,
      failingSince,
      attempts,
      lastError: result.error,
      nextAttemptAt: new Date(ended.getTime() + delay).toISOString(),
      // The lease outlasts the wait, so the retry stays with this instance unless it dies, or cannot deliver at all
      // (its key does not open the credentials): then the lease is given up for an instance that can.
      ...(unreadable
        ? { holder: null, leaseExpiresAt: null }
        : { leaseExpiresAt: new Date(ended.getTime() + delay + options.leaseMs).toISOString() }),
    };
    await this.#record(drainDeliveryEventTypes.failed, failed, revision);
    return delay;
  }

  /** The new revision, or undefined when another instance appended first (its lease stands; this one stops sending). */
  async #record(
    type: DrainDeliveryEventType,
    state: DrainDeliveryState,
    revision: number,
  ): Promise<number | undefined> {
    try {
      return await appendDeliveryState(this.deps.store, type, state, revision);
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) return undefined;
      throw error;
    }
  }

  async #readBatch(fromRevision: number): Promise<Batch | undefined> {
    const events = await this.deps.store.readStream(auditStreamId(this.drain.teamId), {
      fromRevision,
      limit: maxBatchRecords,
    });
    const lines: Buffer[] = [];
    let bytes = 0;
    let last: RecordedEvent | undefined;
    for (const event of events) {
      // Byte for byte the NDJSON export's line (sealed values, and `revealed` beside them): it verifies like an export.
      const line = Buffer.from(await exportLine(event.data as AuditRecord, this.deps.options.personalData), 'utf8');
      if (lines.length > 0 && bytes + line.length > maxBatchBytes) break;
      lines.push(line);
      bytes += line.length;
      last = event;
    }
    if (!last) return undefined;
    return {
      body: Buffer.concat(lines, bytes),
      records: lines.length,
      lastRevision: last.revision,
      lastSequence: (last.data as AuditRecord).sequence,
    };
  }

  async #send(batch: Batch, at: Date, credentials: DrainCredentials | undefined): Promise<DeliveryResult> {
    if (!credentials) return { ok: false, error: 'no signing secret is stored for this drain' };
    return this.deps.sender.send({
      url: this.drain.url,
      body: batch.body,
      headers: {
        'content-type': 'application/x-ndjson',
        [drainIdHeader]: this.drain.drainId,
        [drainSignatureHeader]: signDrainBody(credentials.secret, batch.body, Math.floor(at.getTime() / 1000)),
        ...(credentials.authorization !== undefined ? { authorization: credentials.authorization } : {}),
      },
    });
  }
}
