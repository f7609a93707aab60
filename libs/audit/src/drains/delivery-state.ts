import { randomUUID } from 'node:crypto';
import type { EventStore } from '@access-audit/event-store';

export const drainDeliveryStreamPrefix = 'drain-delivery-';
export const drainDeliveryStreamId = (drainId: string): string => `${drainDeliveryStreamPrefix}${drainId}`;

/** What each event of a delivery stream records; every event holds the whole state, so the last one is the state. */
export const drainDeliveryEventTypes = {
  leaseTaken: 'AuditDrainLeaseTaken',
  delivered: 'AuditDrainBatchDelivered',
  failed: 'AuditDrainDeliveryFailed',
  paused: 'AuditDrainPaused',
} as const;
export type DrainDeliveryEventType = (typeof drainDeliveryEventTypes)[keyof typeof drainDeliveryEventTypes];

/**
 * A drain's delivery state, shared by every instance through the event store: the durable cursor, the lease (who may
 * deliver, until when), and the failure record. Appends carry the expected revision, so an instance whose lease was
 * taken over cannot move the cursor: its append fails and it stops delivering.
 */
export interface DrainDeliveryState {
  drainId: string;
  teamId: string;
  /** The instance holding the lease, or null. */
  holder: string | null;
  leaseExpiresAt: string | null;
  /** Revision of the last record of `audit-<teamId>` acknowledged by the receiver; -1: none yet. */
  deliveredRevision: number;
  /** Sequence of the last entry acknowledged; 0: none yet. */
  deliveredThrough: number;
  lastDeliveryAt: string | null;
  /** When the current run of failures began; null while delivering. */
  failingSince: string | null;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  pausedAt: string | null;
  /** The drain's count of resumes (team stream) this state has taken in: a pause holds until a later resume. */
  resumesSeen: number;
}

export interface StoredDeliveryState {
  state: DrainDeliveryState;
  /** The delivery stream's revision; -1: no state recorded yet. */
  revision: number;
}

export const initialDeliveryState = (drainId: string, teamId: string): DrainDeliveryState => ({
  drainId,
  teamId,
  holder: null,
  leaseExpiresAt: null,
  deliveredRevision: -1,
  deliveredThrough: 0,
  lastDeliveryAt: null,
  failingSince: null,
  attempts: 0,
  lastError: null,
  nextAttemptAt: null,
  pausedAt: null,
  resumesSeen: 0,
});

/** The drain's current delivery state: the last event of its stream (two reads, however long the stream is). */
export async function readDeliveryState(
  store: EventStore,
  drainId: string,
  teamId: string,
): Promise<StoredDeliveryState> {
  const streamId = drainDeliveryStreamId(drainId);
  const revision = await store.streamRevision(streamId);
  if (revision < 0) return { state: initialDeliveryState(drainId, teamId), revision: -1 };
  const [last] = await store.readStream(streamId, { fromRevision: revision, limit: 1 });
  if (!last) return { state: initialDeliveryState(drainId, teamId), revision: -1 };
  return { state: last.data as DrainDeliveryState, revision: last.revision };
}

/** Appends the next state if the stream is still at `revision`; throws WrongExpectedRevisionError otherwise. */
export async function appendDeliveryState(
  store: EventStore,
  type: DrainDeliveryEventType,
  state: DrainDeliveryState,
  revision: number,
): Promise<number> {
  const result = await store.append(
    drainDeliveryStreamId(state.drainId),
    [{ id: randomUUID(), type, data: state }],
    revision < 0 ? 'no_stream' : revision,
  );
  return result.streamRevision;
}
