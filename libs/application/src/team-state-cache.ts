import {
  decodeTeamState,
  encodeTeamState,
  policyVersion,
  teamStateVersion,
  type EncodedTeamState,
  type TeamState,
} from '@access-audit/domain';
import type { EventStore, LoadedStream, SnapshotStore, StreamStateCache } from '@access-audit/event-store';

/** Folded team states of the write side, least recently used forgotten first beyond `capacity`. */
export class TeamStateCache implements StreamStateCache<TeamState> {
  readonly #states = new Map<string, LoadedStream<TeamState>>();

  constructor(readonly capacity = 10_000) {}

  get(streamId: string): LoadedStream<TeamState> | undefined {
    const loaded = this.#states.get(streamId);
    if (loaded) {
      // A Map iterates in insertion order: re-inserting marks it the most recently used.
      this.#states.delete(streamId);
      this.#states.set(streamId, loaded);
    }
    return loaded;
  }

  set(streamId: string, loaded: LoadedStream<TeamState>): void {
    this.#states.delete(streamId);
    this.#states.set(streamId, loaded);
    if (this.#states.size > this.capacity) this.#states.delete(this.#states.keys().next().value!);
  }

  get size(): number {
    return this.#states.size;
  }
}

export const teamSnapshotEventType = 'TeamStateSnapshot';
/** Snapshots live in their own stream per team, outside the `team-` prefix every team-stream reader follows. */
export const teamSnapshotStreamId = (teamStreamId: string): string => `snapshots-${teamStreamId}`;

interface StoredSnapshot {
  /** Decider and policy the state was folded under; a snapshot of another is never used. */
  version: string;
  revision: number;
  position: string | undefined;
  state: EncodedTeamState;
}

/** Versioned by policy and state shape: a new decider or policy version folds from the start instead. */
export const teamSnapshotVersion = `${policyVersion}/state-${teamStateVersion}`;

/** Team-state snapshots in the event store (shared by every instance), one every `every` events of a team stream. */
export class TeamSnapshots implements SnapshotStore<TeamState> {
  constructor(
    private readonly store: EventStore,
    readonly every = 1_000,
    private readonly version = teamSnapshotVersion,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  async load(streamId: string): Promise<LoadedStream<TeamState> | undefined> {
    const snapshots = teamSnapshotStreamId(streamId);
    const revision = await this.store.streamRevision(snapshots);
    if (revision < 0) return undefined;
    const [last] = await this.store.readStream(snapshots, { fromRevision: revision, limit: 1 });
    const stored = last?.data as StoredSnapshot | undefined;
    if (!stored || stored.version !== this.version) return undefined;
    return { state: decodeTeamState(stored.state), revision: stored.revision, position: stored.position };
  }

  async save(streamId: string, loaded: LoadedStream<TeamState>): Promise<void> {
    const data: StoredSnapshot = {
      version: this.version,
      revision: loaded.revision,
      position: loaded.position,
      state: encodeTeamState(loaded.state),
    };
    try {
      await this.store.append(
        teamSnapshotStreamId(streamId),
        [{ id: globalThis.crypto.randomUUID(), type: teamSnapshotEventType, data }],
        'any',
      );
    } catch (error) {
      this.onError(error);
    }
  }
}
