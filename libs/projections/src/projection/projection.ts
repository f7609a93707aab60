import type Database from 'better-sqlite3';
import { effectivePermissions, evolve, initialTeamState, teamStreamPrefix, type TeamState } from '@access-audit/domain';
import type { RecordedEvent } from '@access-audit/event-store';
import { decodeTeamEvent, effectiveMs, isTeamStreamEvent } from '@access-audit/team-stream';
import { MemberHistoryReader } from '../member-history/reader';
import type { MemberEvent } from '../member-history/rows';
import { changesOf, memberEventOf, MemberHistoryWriter } from '../member-history/writer';
import type { PermissionChange } from '../model';
import { OPEN_END, readModelTables } from '../schema';
import { TeamMembershipsReader } from '../team-states/memberships';
import { TeamStatesReader } from '../team-states/reader';
import { TeamStatesWriter, type ProjectedTeam } from '../team-states/writer';
import { TemporalIndexReader } from '../temporal-index/reader';
import { TemporalIndexWriter, type IntervalInstant } from '../temporal-index/writer';
import { grantsByScope } from '../temporal-index/scope-diff';
import { CheckpointStore } from './checkpoint';
import { MemberGrants, type GrantsByScope } from './member-grants';
import { membersInScope, permissionScope, projectOfScope, subjectOf } from './permission-scope';
import { isStorageFailure, QuarantinedTeams, type NewlyQuarantined, type QuarantinedTeam } from './quarantine';

const BEFORE_ANY_INSTANT = -OPEN_END;

export interface AppliedBatch {
  /** The checkpoint after the batch. */
  position: string | undefined;
  /** Events of the batch that were new (after the checkpoint). */
  applied: number;
  changes: PermissionChange[];
  /** Teams this batch quarantined, with why their event failed. */
  quarantined: NewlyQuarantined[];
}

/** The reader of each read model, answering from what the projection has committed. */
export interface AccessReaders {
  teamStates: TeamStatesReader;
  temporalIndex: TemporalIndexReader;
  memberHistory: MemberHistoryReader;
  memberships: TeamMembershipsReader;
}

/** Thrown to roll a probe back. */
const probeDone = Symbol('probe done');

/**
 * The access read models of every team, fed one batch of recorded events at a time: each event is folded onto its
 * team's state and written through each read model's writer (team states, the temporal index, member history with the
 * change feed). Each batch is one SQLite transaction holding the read-model rows and the checkpoint, so a batch is
 * either fully reflected or not at all; events at or before the checkpoint are skipped, so delivering an event twice
 * changes nothing. What a batch adds to a writer's memory counts only once its transaction commits.
 *
 * An event that cannot be applied quarantines its team (see QuarantinedTeam): the batch is applied again event by
 * event, each in its own savepoint, so the failed event leaves no partial rows and the other teams' events go through.
 */
export class AccessProjection {
  readonly readers: AccessReaders;
  readonly #teamStates: TeamStatesWriter;
  readonly #temporalIndex: TemporalIndexWriter;
  readonly #memberHistory: MemberHistoryWriter;
  readonly #quarantine: QuarantinedTeams;
  readonly #memberGrants = new MemberGrants();
  readonly #checkpoint: CheckpointStore;
  readonly #applyBatch: (events: readonly RecordedEvent[], eventByEvent: boolean) => AppliedBatch;
  /** Inside a batch's transaction: a savepoint. */
  readonly #applyInSavepoint: (teamId: string, event: RecordedEvent) => void;
  #position: string | undefined;
  #processed = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly comparePositions: (a: string, b: string) => number,
  ) {
    this.#teamStates = new TeamStatesWriter(db);
    this.#temporalIndex = new TemporalIndexWriter(db);
    this.#memberHistory = new MemberHistoryWriter(db);
    this.#quarantine = new QuarantinedTeams(db);
    this.#checkpoint = new CheckpointStore(db);
    this.readers = {
      teamStates: new TeamStatesReader(this.#teamStates.committed),
      temporalIndex: new TemporalIndexReader(db),
      memberHistory: new MemberHistoryReader(db, comparePositions, () => this.#position),
      memberships: new TeamMembershipsReader(db),
    };
    this.#applyBatch = db.transaction((events: readonly RecordedEvent[], eventByEvent: boolean) =>
      this.#applyInTransaction(events, eventByEvent),
    );
    this.#applyInSavepoint = db.transaction((teamId: string, event: RecordedEvent) =>
      this.#applyTeamEvent(teamId, event, true),
    );
    this.#load();
  }

  /** The position of the last event the read models reflect; undefined before the first. */
  get position(): string | undefined {
    return this.#position;
  }

  /** How many events of the log the read models have looked at. */
  get processed(): number {
    return this.#processed;
  }

  team(teamId: string): ProjectedTeam | undefined {
    return this.readers.teamStates.team(teamId);
  }

  teamIds(): string[] {
    return this.readers.teamStates.teamIds();
  }

  /** Why the team's read models are not to be answered from, if they are quarantined. */
  quarantine(teamId: string): QuarantinedTeam | undefined {
    return this.#quarantine.get(teamId);
  }

  quarantinedTeams(): QuarantinedTeam[] {
    return this.#quarantine.all();
  }

  /**
   * Applies the events (in log order) in one transaction; returns what changed. When an event fails, the batch is
   * applied again event by event, and the team of each failing event is quarantined (the checkpoint still moves on).
   */
  apply(events: readonly RecordedEvent[]): AppliedBatch {
    if (events.length === 0) return { position: this.#position, applied: 0, changes: [], quarantined: [] };
    let applied: AppliedBatch;
    try {
      applied = this.#applyBatch(events, false);
    } catch (error) {
      if (isStorageFailure(error)) throw error;
      applied = this.#applyBatch(events, true);
    }
    this.#teamStates.commit();
    this.#temporalIndex.commit();
    this.#memberHistory.commit();
    this.#quarantine.commit();
    this.#position = applied.position;
    this.#processed += applied.applied;
    return applied;
  }

  /**
   * Applies a quarantined team's failing event again to the team as projected, keeping nothing: undefined when it
   * applies now, else why it still fails.
   */
  probe(teamId: string, event: RecordedEvent): { error: unknown } | undefined {
    this.#begin();
    try {
      this.db.transaction(() => {
        this.#applyTeamEvent(teamId, event, true);
        throw probeDone;
      })();
    } catch (error) {
      if (error === probeDone) return undefined;
      if (isStorageFailure(error)) throw error;
      return { error };
    } finally {
      this.#begin();
    }
    return undefined;
  }

  /** Empties every read model and the checkpoint, for the runner to rebuild them from the start of the log. */
  reset(): void {
    this.db.transaction(() => {
      for (const table of readModelTables) this.db.exec(`DELETE FROM ${table}`);
    })();
    this.#load();
  }

  #load(): void {
    this.#begin();
    this.#teamStates.load();
    this.#quarantine.load();
    this.#temporalIndex.forget();
    this.#memberHistory.forget();
    this.readers.temporalIndex.forget();
    this.readers.memberHistory.forget();
    const checkpoint = this.#checkpoint.read();
    this.#position = checkpoint?.position;
    this.#processed = checkpoint?.processed ?? 0;
  }

  /** Starts a batch in every writer, dropping what an uncommitted one left. */
  #begin(): void {
    this.#teamStates.begin();
    this.#temporalIndex.begin();
    this.#memberHistory.begin();
    this.#memberGrants.clear();
    this.#quarantine.begin();
  }

  #applyInTransaction(events: readonly RecordedEvent[], eventByEvent: boolean): AppliedBatch {
    this.#begin();
    let position = this.#position;
    let applied = 0;
    for (const event of events) {
      if (position !== undefined && this.comparePositions(event.position, position) <= 0) continue;
      position = event.position;
      applied += 1;
      if (!isTeamStreamEvent(event)) continue;
      const teamId = event.streamId.slice(teamStreamPrefix.length);
      // A quarantined team's state stops before its failed event: what follows would be folded on the wrong state.
      if (this.#quarantine.has(teamId)) continue;
      if (eventByEvent) this.#applyOrQuarantine(teamId, event);
      else this.#applyTeamEvent(teamId, event);
    }
    this.#flush();
    this.#teamStates.store();
    if (position !== undefined) this.#checkpoint.write(position, this.#processed + applied);
    const collected = this.#memberHistory.collected();
    let changes: PermissionChange[] | undefined;
    return {
      position,
      applied,
      // Made when first read: a rebuild never reads them.
      get changes() {
        return (changes ??= changesOf(collected));
      },
      quarantined: this.#quarantine.pending(),
    };
  }

  /** Inside the transaction: writes the rows the writers collected since the last flush. */
  #flush(): void {
    this.#temporalIndex.flush();
    this.#memberHistory.flush();
  }

  /** What the member held before the event, first met in this batch: every scope, remembered for the events that follow. */
  #heldBefore(old: TeamState, teamId: string, userId: string, projectId: string | undefined): GrantsByScope {
    this.#memberGrants.set(teamId, userId, undefined, grantsByScope(effectivePermissions(old, userId)));
    return this.#memberGrants.get(teamId, userId, projectId)!;
  }

  /** Applies one event in its own savepoint; if it fails, undoes what it added to the batch and quarantines its team. */
  #applyOrQuarantine(teamId: string, event: RecordedEvent): void {
    const changes = this.#memberHistory.mark();
    const grantSets = this.#temporalIndex.mark();
    try {
      this.#applyInSavepoint(teamId, event);
    } catch (error) {
      if (isStorageFailure(error)) throw error;
      this.#memberHistory.undo(changes);
      this.#temporalIndex.undo(grantSets);
      this.#memberGrants.clear();
      this.#quarantine.add(teamId, event, error);
    }
  }

  /**
   * Folds one event onto its team and collects what it changed (written now when `flush`, else at the end of the
   * batch); an event of a type this code does not know is skipped.
   */
  #applyTeamEvent(teamId: string, recorded: RecordedEvent, flush = false): void {
    const event = decodeTeamEvent(recorded);
    if (!event) return;
    const previous = this.#teamStates.latest(teamId);
    const old = previous?.state ?? initialTeamState();
    const next = evolve(old, event);
    const lastMs = previous?.lastMs ?? BEFORE_ANY_INSTANT;
    const atMs = effectiveMs(event, recorded, lastMs);
    const scope = permissionScope(event);
    const users = membersInScope(scope, old, next);
    const projectId = projectOfScope(scope);
    const at: IntervalInstant = { teamId, atMs, position: recorded.position, sameInstant: lastMs === atMs };
    const subject = subjectOf(event);
    let entry: MemberEvent | undefined;
    for (const userId of users) {
      const held =
        this.#memberGrants.get(teamId, userId, projectId) ?? this.#heldBefore(old, teamId, userId, projectId);
      const holds = grantsByScope(effectivePermissions(next, userId, projectId));
      this.#memberGrants.set(teamId, userId, projectId, holds);
      const { granted, revoked } = this.#temporalIndex.write(at, userId, held, holds);
      if (userId !== subject && !granted.length && !revoked.length) continue;
      entry ??= memberEventOf(recorded, event);
      this.#memberHistory.write(entry, at, userId, granted, revoked);
    }
    // Before the state moves on: a row that fails to be written fails the event.
    if (flush) this.#flush();
    this.#teamStates.set(teamId, { state: next, revision: recorded.revision, lastMs: atMs });
  }
}
