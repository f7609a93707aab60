import type { KeyObject } from 'node:crypto';
import type { EventStore, RecordedEvent } from '@access-audit/event-store';
import { withoutRevealed } from './export';
import { defaultCheckpointEvery, defaultCheckpointMaxAgeMs, type WitnessedHead } from './audit-trail';
import { auditStreamId, type AuditCheckpoint } from './entry';
import { ChainVerifier, type ChainBreak, type ChainVerification, type RecordLocation } from './verify';
import { SourceVerifier, type SourceVerification } from './verify-sources';

/** The entries after the last valid signed checkpoint: chained, but no signature vouches for them yet. */
export interface UnsignedTail {
  entries: number;
  /** When the event store recorded the first of them; null when there are none or it is not known (an export). */
  since: string | null;
  /**
   * Why the tail is longer or older than the audit log ever leaves it (checkpoints were removed, or signing was
   * refused because the entries did not verify); absent within the bound.
   */
  beyondBound?: string;
}

/**
 * A team's audit log verified: the chain and its checkpoint signatures (`break`: the first failure), every change entry
 * against its source event (`sources`), and the unsigned tail against its bound. `valid` only when all three hold.
 */
export interface AuditVerification extends ChainVerification {
  unsignedTail: UnsignedTail;
  /** The verified signed checkpoint that vouches for entries 1..`signedThrough` (the signed head); null when none. */
  checkpoint: AuditCheckpoint | null;
  /** Null when no event store was at hand (an export verified on its own): the entries were not compared with events. */
  sources: SourceVerification | null;
}

export interface AuditVerifierOptions {
  /** The event store holding the source events; without it entries are not compared with events. */
  sources?: EventStore;
  teamId?: string;
  /** The audit log signs at the latest after `entries` entries or `maxAgeMs`. Default 100 entries, 60 s. */
  bound?: { entries: number; maxAgeMs: number };
  /** Slack for the age bound (clocks, timers). Default 30 s. */
  ageGraceMs?: number;
  /** The head the running audit log last appended: the chain must still hold it. */
  witnessed?: WitnessedHead;
  /** Audited events at or before this position should have their entry (see SourceFinishOptions). */
  recordedThrough?: string;
  now?: () => Date;
}

/** Chain, checkpoints, sources and the unsigned tail, record by record in stream order; memory stays bounded. */
export class AuditVerifier {
  readonly #chain: ChainVerifier;
  readonly #sources: SourceVerifier | undefined;
  #witnessedBreak: ChainBreak | undefined;
  #witnessedSeen = false;

  constructor(
    publicKey: KeyObject,
    private readonly options: AuditVerifierOptions = {},
  ) {
    this.#chain = new ChainVerifier(publicKey);
    this.#sources =
      options.sources &&
      new SourceVerifier(options.sources, {
        from: 'start',
        ...(options.teamId !== undefined ? { teamId: options.teamId } : {}),
      });
  }

  async push(line: unknown, location: RecordLocation = {}): Promise<void> {
    // The opened personal fields ride beside an exported entry; its hash covers the sealed values, not these.
    const record = withoutRevealed(line);
    this.#chain.push(record, location);
    await this.#sources?.push(record, location);
    const witnessed = this.options.witnessed;
    const entry = record as { kind?: unknown; sequence?: unknown; hash?: unknown; id?: unknown } | null;
    if (!witnessed || entry?.sequence !== witnessed.sequence) return;
    if (entry.kind !== 'change' && entry.kind !== 'denial') return;
    this.#witnessedSeen = true;
    if (entry.hash === witnessed.hash) return;
    this.#witnessedBreak ??= {
      sequence: witnessed.sequence,
      entryId: typeof entry.id === 'string' ? entry.id : null,
      record: 'entry',
      reason: `entry ${witnessed.sequence} is not the entry this service recorded there: the chain was rewritten up to it`,
      ...(location.streamRevision !== undefined ? { streamRevision: location.streamRevision } : {}),
    };
  }

  unreadable(reason: string, location: RecordLocation = {}): void {
    this.#chain.unreadable(reason, location);
  }

  async result(): Promise<AuditVerification> {
    const chain = this.#chain.result();
    const witnessed = this.options.witnessed;
    if (!chain.break && witnessed && !this.#witnessedSeen && !this.#witnessedBreak) {
      this.#witnessedBreak = {
        sequence: witnessed.sequence,
        entryId: null,
        record: 'entry',
        reason: `entry ${witnessed.sequence}, which this service recorded, is gone: the chain ends at entry ${chain.entries}`,
      };
    }
    const chainBreak = chain.break ?? this.#witnessedBreak;
    const sources = this.#sources
      ? await this.#sources.finish({
          drain: true,
          ...(this.options.recordedThrough !== undefined ? { recordedThrough: this.options.recordedThrough } : {}),
        })
      : null;
    const unsignedTail = this.#unsignedTail(chain);
    const mismatched = sources !== null && sources.different + sources.missing + sources.extra > 0;
    const { break: _chainBreak, ...rest } = chain;
    return {
      ...rest,
      valid: chainBreak === undefined && !mismatched && unsignedTail.beyondBound === undefined,
      ...(chainBreak ? { break: chainBreak } : {}),
      unsignedTail,
      checkpoint: this.#chain.latestCheckpoint,
      sources,
    };
  }

  #unsignedTail(chain: ChainVerification): UnsignedTail {
    const entries = chain.entries - chain.signedThrough;
    const since = this.#chain.firstUnsignedRecordedAt;
    const tail: UnsignedTail = { entries, since };
    const bound = this.options.bound ?? { entries: defaultCheckpointEvery, maxAgeMs: defaultCheckpointMaxAgeMs };
    const signed =
      chain.signedThrough === 0 ? 'no signed checkpoint' : `the last checkpoint (entry ${chain.signedThrough})`;
    if (entries > bound.entries) {
      tail.beyondBound =
        `${entries} entries follow ${signed}; the audit log signs one at least every ${bound.entries} entries: ` +
        'checkpoints were removed, or signing was refused because the entries did not verify';
      return tail;
    }
    const now = (this.options.now ?? (() => new Date()))().getTime();
    const age = since === null ? 0 : now - Date.parse(since);
    const allowed = bound.maxAgeMs + (this.options.ageGraceMs ?? defaultAgeGraceMs);
    if (entries > 0 && age > allowed) {
      tail.beyondBound =
        `entry ${chain.signedThrough + 1}, the first after ${signed}, was recorded at ${since}, ${Math.round(age / 1000)} s ago; ` +
        `the audit log signs within ${bound.maxAgeMs / 1000} s while it runs: checkpoints were removed, signing was ` +
        'refused, or the service stopped without signing (a restart signs it)';
    }
    return tail;
  }
}

const defaultAgeGraceMs = 30_000;
const batchSize = 500;

/**
 * Verifies a team's audit stream as the event store holds it, against the team's and its campaigns' events in the
 * same store. A batch that cannot be read is read again record by record, to name the bad one.
 */
export async function verifyAuditStream(
  store: EventStore,
  teamId: string,
  publicKey: KeyObject,
  options: Omit<AuditVerifierOptions, 'sources' | 'teamId'> = {},
): Promise<AuditVerification> {
  const verifier = new AuditVerifier(publicKey, { ...options, sources: store, teamId });
  const streamId = auditStreamId(teamId);
  const push = (event: RecordedEvent) =>
    verifier.push(event.data, { streamRevision: event.revision, recordedAt: event.recordedAt });
  for (let revision = 0; ;) {
    let events: RecordedEvent[];
    try {
      events = await store.readStream(streamId, { fromRevision: revision, limit: batchSize });
    } catch {
      // A stored event that cannot be read: this batch record by record, to name it and go on past it.
      for (const end = revision + batchSize; revision < end; revision++) {
        try {
          const [event] = await store.readStream(streamId, { fromRevision: revision, limit: 1 });
          if (!event) return verifier.result();
          await push(event);
          revision = event.revision;
        } catch (error) {
          verifier.unreadable(`the stored event cannot be read: ${(error as Error).message}`, {
            streamRevision: revision,
          });
        }
      }
      continue;
    }
    for (const event of events) await push(event);
    if (events.length < batchSize) return verifier.result();
    revision = events[events.length - 1].revision + 1;
  }
}
