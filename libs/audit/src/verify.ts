import type { KeyObject } from 'node:crypto';
import { entryHash } from './chain';
import { genesisHash, type AuditCheckpoint, type AuditEntry } from './entry';
import { verifyCheckpointSignature } from './signing';

/** Where the chain first breaks. */
export interface ChainBreak {
  /** The sequence the chain breaks at: the altered or missing entry, or the entry a bad checkpoint vouches for. */
  sequence: number;
  /** The record found at that place (the entry in place of a missing one); null when there is none. */
  entryId: string | null;
  record: 'entry' | 'checkpoint' | 'unreadable';
  reason: string;
  /** Where the record sits: its audit stream revision (verify over the store) or its line (verify of an export). */
  streamRevision?: number;
  line?: number;
}

export interface ChainVerification {
  valid: boolean;
  teamId: string | null;
  entries: number;
  /** Hash of the last entry (the chain's head); null for an empty log. */
  head: string | null;
  checkpoints: number;
  /** Highest sequence a valid signed checkpoint vouches for (0: none). Entries after it are chained but not yet signed. */
  signedThrough: number;
  break?: ChainBreak;
}

/** Where a record was read from, for the break report. */
export interface RecordLocation {
  streamRevision?: number;
  line?: number;
  /** When the event store recorded it (verification over the store); unknown in an export. */
  recordedAt?: string;
}

/** A place in a team's chain vouched for by a signed checkpoint already checked: verification goes on from there. */
export interface ChainStart {
  teamId: string;
  sequence: number;
  headHash: string;
}

const recentHashesKept = 1024;

/**
 * Recomputes a team's chain record by record, in stream order, and stops at the first break: a sequence gap, a prevHash
 * that is not the previous entry's hash, an entry whose content no longer gives its hash, or a checkpoint whose head or
 * signature does not match. Memory stays bounded whatever the length of the log.
 */
export class ChainVerifier {
  #teamId: string | null = null;
  #entries = 0;
  #head = genesisHash;
  #checkpoints = 0;
  #signedThrough = 0;
  #break: ChainBreak | undefined;
  #firstUnsignedRecordedAt: string | null = null;
  #latestCheckpoint: AuditCheckpoint | null = null;
  readonly #recentHashes = new Map<number, string>();

  constructor(
    private readonly publicKey: KeyObject,
    start?: ChainStart,
  ) {
    if (!start) return;
    this.#teamId = start.teamId;
    this.#entries = start.sequence;
    this.#head = start.headHash;
    this.#signedThrough = start.sequence;
    this.#recentHashes.set(start.sequence, start.headHash);
  }

  get broken(): boolean {
    return this.#break !== undefined;
  }

  /** When the store recorded the first entry after the last valid checkpoint (null: none, or not known). */
  get firstUnsignedRecordedAt(): string | null {
    return this.#entries > this.#signedThrough ? this.#firstUnsignedRecordedAt : null;
  }

  /** The verified checkpoint that vouches for the most entries (`signedThrough`); null when none was verified here. */
  get latestCheckpoint(): AuditCheckpoint | null {
    return this.#latestCheckpoint;
  }

  /** Checks one record; returns false once the chain is broken (later records are not looked at). */
  push(record: unknown, location: RecordLocation = {}): boolean {
    if (this.#break) return false;
    if (!isObject(record))
      return this.#fail(this.#entries + 1, null, 'unreadable', 'the record is not a JSON object', location);
    if (record.kind === 'checkpoint') return this.#checkpoint(record as unknown as AuditCheckpoint, location);
    if (record.kind === 'change' || record.kind === 'denial')
      return this.#entry(record as unknown as AuditEntry, location);
    return this.#fail(
      this.#entries + 1,
      idOf(record),
      'unreadable',
      `unrecognised record kind ${JSON.stringify(record.kind)}`,
      location,
    );
  }

  /** A record that could not be read at all (e.g. a line that is not JSON). */
  unreadable(reason: string, location: RecordLocation = {}): false {
    if (this.#break) return false;
    return this.#fail(this.#entries + 1, null, 'unreadable', reason, location);
  }

  result(): ChainVerification {
    return {
      valid: this.#break === undefined,
      teamId: this.#teamId,
      entries: this.#entries,
      head: this.#entries === 0 ? null : this.#head,
      checkpoints: this.#checkpoints,
      signedThrough: this.#signedThrough,
      ...(this.#break ? { break: this.#break } : {}),
    };
  }

  #entry(entry: AuditEntry, location: RecordLocation): boolean {
    const expected = this.#entries + 1;
    const id = idOf(entry);
    if (!this.#sameTeam(entry.teamId, expected, id, 'entry', location)) return false;
    if (entry.sequence !== expected) {
      const reason =
        typeof entry.sequence === 'number' && entry.sequence > expected
          ? `entry ${expected} is missing: the next entry found is ${entry.sequence}`
          : `entry ${String(entry.sequence)} is out of order: expected ${expected}`;
      return this.#fail(expected, id, 'entry', reason, location);
    }
    if (entry.prevHash !== this.#head) {
      const previous = expected === 1 ? 'the genesis hash (64 zeros)' : `the hash of entry ${expected - 1}`;
      return this.#fail(
        expected,
        id,
        'entry',
        `prevHash is not ${previous}: an entry before it was removed or replaced`,
        location,
      );
    }
    let recomputed: string;
    try {
      recomputed = entryHash(entry);
    } catch (error) {
      return this.#fail(
        expected,
        id,
        'entry',
        `the entry cannot be canonicalised: ${(error as Error).message}`,
        location,
      );
    }
    if (recomputed !== entry.hash) {
      return this.#fail(expected, id, 'entry', 'the entry was altered: its content no longer gives its hash', location);
    }
    if (expected === this.#signedThrough + 1) this.#firstUnsignedRecordedAt = location.recordedAt ?? null;
    this.#entries = expected;
    this.#head = entry.hash;
    this.#recentHashes.set(expected, entry.hash);
    this.#recentHashes.delete(expected - recentHashesKept);
    return true;
  }

  #checkpoint(checkpoint: AuditCheckpoint, location: RecordLocation): boolean {
    const sequence = checkpoint.sequence;
    if (!this.#sameTeam(checkpoint.teamId, sequence, null, 'checkpoint', location)) return false;
    if (typeof sequence !== 'number' || sequence < 1 || sequence > this.#entries) {
      return this.#fail(
        this.#entries + 1,
        null,
        'checkpoint',
        `a signed checkpoint vouches for ${String(sequence)} entries but only ${this.#entries} precede it: entries were removed`,
        location,
      );
    }
    const signature = verifyCheckpointSignature(checkpoint, this.publicKey);
    if (!signature.valid) {
      return this.#fail(sequence, null, 'checkpoint', `checkpoint at entry ${sequence}: ${signature.reason}`, location);
    }
    const hashAtSequence = this.#recentHashes.get(sequence);
    if (hashAtSequence === undefined) {
      return this.#fail(
        sequence,
        null,
        'checkpoint',
        `checkpoint at entry ${sequence} is recorded too far after that entry`,
        location,
      );
    }
    if (hashAtSequence !== checkpoint.headHash) {
      return this.#fail(
        sequence,
        null,
        'checkpoint',
        `the signed head at entry ${sequence} differs from the chain: entries up to it were rewritten`,
        location,
      );
    }
    this.#checkpoints += 1;
    if (sequence >= this.#signedThrough) {
      const { kind, teamId, headHash, signedAt, algorithm, keyId, signature: signed } = checkpoint;
      this.#latestCheckpoint = { kind, teamId, sequence, headHash, signedAt, algorithm, keyId, signature: signed };
    }
    this.#signedThrough = Math.max(this.#signedThrough, sequence);
    return true;
  }

  #sameTeam(
    teamId: unknown,
    sequence: number,
    id: string | null,
    record: ChainBreak['record'],
    location: RecordLocation,
  ): boolean {
    if (typeof teamId !== 'string') return this.#fail(sequence, id, record, 'the record names no team', location);
    this.#teamId ??= teamId;
    if (teamId === this.#teamId) return true;
    return this.#fail(sequence, id, record, `the record belongs to team ${teamId}, not ${this.#teamId}`, location);
  }

  #fail(
    sequence: number,
    entryId: string | null,
    record: ChainBreak['record'],
    reason: string,
    { streamRevision, line }: RecordLocation,
  ): false {
    this.#break = {
      sequence,
      entryId,
      record,
      reason,
      ...(streamRevision !== undefined ? { streamRevision } : {}),
      ...(line !== undefined ? { line } : {}),
    };
    return false;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const idOf = (record: object): string | null => {
  const id = (record as { id?: unknown }).id;
  return typeof id === 'string' ? id : null;
};

/** Verifies a whole sequence of records (an export, or the audit stream). */
export async function verifyRecords(
  records:
    | AsyncIterable<{ record: unknown; location?: RecordLocation }>
    | Iterable<{ record: unknown; location?: RecordLocation }>,
  publicKey: KeyObject,
): Promise<ChainVerification> {
  const verifier = new ChainVerifier(publicKey);
  for await (const { record, location } of records) {
    if (!verifier.push(record, location)) break;
  }
  return verifier.result();
}
