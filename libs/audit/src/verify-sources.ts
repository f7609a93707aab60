import { teamStreamId } from '@access-audit/domain';
import type { EventStore, RecordedEvent } from '@access-audit/event-store';
import { canonicalJson } from './canonical-json';
import type { AccessChangeEntry } from './entry';
import { accessReviewStreamPrefix } from './review-actions';
import { deriveChange, isAuditedSource } from './source-entry';
import type { RecordLocation } from './verify';

/** One field of an entry that is not what its source event gives. */
export interface SourceFieldDifference {
  /** Dotted path in the entry, e.g. `after.role`. */
  field: string;
  /** The value in the audit entry (absent when the entry lacks the field). */
  entry?: unknown;
  /** The value recomputed from the source event (absent when it gives none). */
  source?: unknown;
}

/** The source event of a mismatch, as far as it is known. */
export interface SourceEventRef {
  streamId: string;
  streamRevision: number;
  eventId: string | null;
  eventType: string | null;
  position: string | null;
}

/**
 * `different`: the entry is not what its source event gives (a forged event, or a forged entry); `missing`: an audited
 * event has no entry although later events of its stream have one; `extra`: an entry whose source event is not there.
 */
export type SourceMismatchKind = 'different' | 'missing' | 'extra';

export interface SourceMismatch {
  kind: SourceMismatchKind;
  /** The entry's sequence; for a missing entry, that of the next entry of the same source stream (null: none). */
  sequence: number | null;
  entryId: string | null;
  /** Where that entry sits: its audit stream revision (over the store) or its line (an export). */
  streamRevision?: number;
  line?: number;
  source: SourceEventRef;
  /** `different`: the fields that differ (the first 20). */
  fields: SourceFieldDifference[];
  reason: string;
}

export interface SourceVerification {
  /** Change entries compared with their source event. */
  compared: number;
  different: number;
  missing: number;
  extra: number;
  /** Audited events after the last recorded event of their stream that the audit log has not recorded yet. */
  unrecorded: number;
  /**
   * Of the compared entries, those recorded before entries committed to their whole source event (`source.digest`):
   * compared field by field only, so a forged field of their event that the entry does not show goes unseen.
   */
  uncommitted: number;
  /** The first mismatches (at most 100), in chain order. */
  mismatches: SourceMismatch[];
}

export interface SourceVerifierOptions {
  /**
   * `start`: every stream from its first event, the team stream even without any entry (a whole chain); `first-entry`:
   * each stream from the first entry naming it (a segment of the chain, as before signing a checkpoint).
   */
  from: 'start' | 'first-entry';
  /** The team when known in advance (else the first entry's). */
  teamId?: string;
}

export interface SourceFinishOptions {
  /** Read each stream to its end and count what follows the last recorded event. */
  drain: boolean;
  /** Audited events at or before this position ought to be recorded: after the last entry of their stream they are missing. */
  recordedThrough?: string;
}

const mismatchesListed = 100;
const fieldsListed = 20;
const teamBatch = 500;
const campaignBatch = 50;

type SourceRead = { revision: number; event: RecordedEvent } | { revision: number; event?: undefined; error: string };

/** Reads one stream forward in batches, one event at a time when a batch cannot be read (to name the bad one). */
class StreamCursor {
  lastPaired = -1;
  #buffer: SourceRead[] = [];
  #index = 0;
  #exhausted = false;

  constructor(
    private readonly store: EventStore,
    readonly streamId: string,
    private next: number,
    private readonly batch: number,
  ) {}

  async peek(): Promise<SourceRead | undefined> {
    if (this.#index < this.#buffer.length) return this.#buffer[this.#index];
    if (this.#exhausted) return undefined;
    this.#buffer = await this.#read();
    this.#index = 0;
    if (this.#buffer.length === 0) this.#exhausted = true;
    return this.#buffer[0];
  }

  take(): void {
    this.#index += 1;
  }

  async #read(): Promise<SourceRead[]> {
    try {
      const events = await this.store.readStream(this.streamId, { fromRevision: this.next, limit: this.batch });
      if (events.length > 0) this.next = events[events.length - 1].revision + 1;
      return events.map((event) => ({ revision: event.revision, event }));
    } catch {
      const reads: SourceRead[] = [];
      while (reads.length < this.batch) {
        try {
          const [event] = await this.store.readStream(this.streamId, { fromRevision: this.next, limit: 1 });
          if (!event) break;
          reads.push({ revision: event.revision, event });
          this.next = event.revision + 1;
        } catch (error) {
          reads.push({ revision: this.next, error: `the stored event cannot be read: ${(error as Error).message}` });
          this.next += 1;
        }
      }
      return reads;
    }
  }
}

/**
 * Recomputes each change entry of a team's chain from its source event (the team event or campaign event it was
 * derived from, read from the event store) and names every difference, every audited event without an entry and every
 * entry without its event. Entries of one source stream follow that stream's order, so each stream is read once,
 * forward, beside the chain: memory stays bounded whatever the length of either.
 */
export class SourceVerifier {
  readonly #cursors = new Map<string, StreamCursor>();
  readonly #result: SourceVerification = {
    compared: 0,
    different: 0,
    missing: 0,
    extra: 0,
    unrecorded: 0,
    uncommitted: 0,
    mismatches: [],
  };
  #teamId: string | undefined;
  /** Sequence of the first entry seen that commits to its whole source event: no later entry may lack the digest. */
  #firstCommitted: number | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly options: SourceVerifierOptions,
  ) {
    this.#teamId = options.teamId;
  }

  get mismatched(): boolean {
    return this.#result.different + this.#result.missing + this.#result.extra > 0;
  }

  /** Checks one entry of the chain (denials have no source event and are skipped). */
  async push(record: unknown, location: RecordLocation = {}): Promise<void> {
    if (!isChangeEntry(record)) return;
    const teamId = (this.#teamId ??= record.teamId);
    const where = { sequence: record.sequence, entryId: typeof record.id === 'string' ? record.id : null, location };
    const claimed = record.source;
    const ref: SourceEventRef = {
      streamId: String(claimed?.streamId),
      streamRevision: Number(claimed?.streamRevision),
      eventId: typeof claimed?.eventId === 'string' ? claimed.eventId : null,
      eventType: typeof claimed?.eventType === 'string' ? claimed.eventType : null,
      position: typeof claimed?.position === 'string' ? claimed.position : null,
    };
    if (typeof claimed?.streamId !== 'string' || !Number.isSafeInteger(claimed.streamRevision)) {
      return this.#mismatch('extra', where, ref, [], 'the entry names no source event (stream and revision)');
    }
    if (!this.#recordedFor(teamId, ref.streamId)) {
      return this.#mismatch(
        'extra',
        where,
        ref,
        [],
        `its source stream ${ref.streamId} is not one recorded in the audit log of team ${teamId}`,
      );
    }
    const cursor = this.#cursor(ref.streamId, ref.streamRevision);
    if (ref.streamRevision <= cursor.lastPaired) {
      return this.#mismatch(
        'extra',
        where,
        ref,
        [],
        `a second entry for revision ${ref.streamRevision} of ${ref.streamId}, or one out of that stream's order`,
      );
    }
    let next = await cursor.peek();
    while (next && next.revision < ref.streamRevision) {
      this.#missed(next, cursor.streamId, where);
      cursor.take();
      next = await cursor.peek();
    }
    if (!next || next.revision > ref.streamRevision) {
      return this.#mismatch(
        'extra',
        where,
        ref,
        [],
        `${ref.streamId} has no event at revision ${ref.streamRevision}: the source event was removed`,
      );
    }
    cursor.take();
    cursor.lastPaired = ref.streamRevision;
    this.#result.compared += 1;
    this.#compare(record, next, where, ref);
  }

  /** What was found. With `drain`, each stream is first read to its end. */
  async finish(options: SourceFinishOptions): Promise<SourceVerification> {
    if (options.drain) {
      if (this.#teamId !== undefined && this.options.from === 'start') this.#cursor(teamStreamId(this.#teamId), 0);
      for (const cursor of this.#cursors.values()) {
        for (let next = await cursor.peek(); next; cursor.take(), next = await cursor.peek()) {
          if (next.event && !isAuditedSource(cursor.streamId, next.event.type)) continue;
          const due =
            options.recordedThrough !== undefined &&
            next.event !== undefined &&
            this.store.comparePositions(next.event.position, options.recordedThrough) <= 0;
          if (due || next.event === undefined) this.#missed(next, cursor.streamId, undefined);
          else this.#result.unrecorded += 1;
        }
      }
    }
    return { ...this.#result, mismatches: [...this.#result.mismatches] };
  }

  #recordedFor(teamId: string, streamId: string): boolean {
    return streamId === teamStreamId(teamId) || streamId.startsWith(accessReviewStreamPrefix);
  }

  #cursor(streamId: string, firstRevision: number): StreamCursor {
    let cursor = this.#cursors.get(streamId);
    if (!cursor) {
      const from = this.options.from === 'start' ? 0 : firstRevision;
      const batch = streamId.startsWith(accessReviewStreamPrefix) ? campaignBatch : teamBatch;
      cursor = new StreamCursor(this.store, streamId, from, batch);
      this.#cursors.set(streamId, cursor);
    }
    return cursor;
  }

  #compare(entry: AccessChangeEntry, read: SourceRead, where: Where, claimed: SourceEventRef): void {
    if (!read.event) return this.#mismatch('different', where, claimed, [], read.error);
    const event = read.event;
    const ref = refOf(event);
    let derived;
    try {
      derived = deriveChange(event);
    } catch (error) {
      const reason = `the source event is not a readable ${event.type}: ${(error as Error).message}`;
      return this.#mismatch('different', where, ref, [], reason);
    }
    if (!derived) {
      return this.#mismatch(
        'different',
        where,
        ref,
        [{ field: 'source.eventType', entry: claimed.eventType, source: event.type }],
        `the source event is a ${event.type}, which the audit log does not record`,
      );
    }
    const { sequence: _sequence, prevHash: _prevHash, hash: _hash, ...recorded } = entry;
    const committed = isPlainObject(recorded.source) && Object.hasOwn(recorded.source, 'digest');
    if (committed) this.#firstCommitted ??= entry.sequence;
    const legacy = !committed && this.#firstCommitted === undefined;
    if (legacy) {
      // Recorded before entries committed to their whole event: only the fields the entry shows can be compared.
      this.#result.uncommitted += 1;
      const { digest: _digest, ...source } = derived.source;
      derived = { ...derived, source };
    }
    const fields: SourceFieldDifference[] = [];
    collectDifferences(recorded, derived, '', fields);
    if (fields.length === 0) return;
    const names = fields.map((difference) => difference.field).join(', ');
    const reason =
      !committed && !legacy
        ? `the entry carries no source.digest although entry ${this.#firstCommitted} before it does: the entry was rewritten without its commitment to the source event`
        : `the entry differs from its source event in ${names}: the event or the entry was altered after it was recorded`;
    this.#mismatch('different', where, ref, fields.slice(0, fieldsListed), reason);
  }

  #missed(read: SourceRead, streamId: string, where: Where | undefined): void {
    const ref: SourceEventRef = read.event
      ? refOf(read.event)
      : { streamId, streamRevision: read.revision, eventId: null, eventType: null, position: null };
    const reason = read.event
      ? `${read.event.type} at revision ${read.revision} of ${streamId} has no audit entry`
      : `revision ${read.revision} of ${streamId} has no audit entry (${read.error})`;
    const next = where ? { sequence: where.sequence, entryId: null, location: {} } : undefined;
    this.#mismatch('missing', next, ref, [], reason);
  }

  #mismatch(
    kind: SourceMismatchKind,
    where: Where | undefined,
    source: SourceEventRef,
    fields: SourceFieldDifference[],
    reason: string,
  ): void {
    this.#result[kind] += 1;
    if (this.#result.mismatches.length >= mismatchesListed) return;
    const { streamRevision, line } = where?.location ?? {};
    this.#result.mismatches.push({
      kind,
      sequence: where?.sequence ?? null,
      entryId: where?.entryId ?? null,
      ...(streamRevision !== undefined ? { streamRevision } : {}),
      ...(line !== undefined ? { line } : {}),
      source,
      fields,
      reason,
    });
  }
}

interface Where {
  sequence: number;
  entryId: string | null;
  location: RecordLocation;
}

const refOf = (event: RecordedEvent): SourceEventRef => ({
  streamId: event.streamId,
  streamRevision: event.revision,
  eventId: event.id,
  eventType: event.type,
  position: event.position,
});

function isChangeEntry(record: unknown): record is AccessChangeEntry {
  return isPlainObject(record) && record.kind === 'change' && typeof record.teamId === 'string';
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The leaves where `entry` and `source` differ, named by their dotted path; `undefined` members count as absent. */
function collectDifferences(entry: unknown, source: unknown, path: string, into: SourceFieldDifference[]): void {
  if (sameJson(entry, source)) return;
  if (isPlainObject(entry) && isPlainObject(source)) {
    const keys = [...new Set([...Object.keys(entry), ...Object.keys(source)])].sort();
    for (const key of keys) collectDifferences(own(entry, key), own(source, key), path ? `${path}.${key}` : key, into);
    return;
  }
  into.push({
    field: path,
    ...(entry !== undefined ? { entry } : {}),
    ...(source !== undefined ? { source } : {}),
  });
}

/** Member names come from stored data: only own members count (`__proto__` is a name like any other). */
const own = (object: Record<string, unknown>, key: string): unknown =>
  Object.hasOwn(object, key) ? object[key] : undefined;

function sameJson(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return false;
  }
}
