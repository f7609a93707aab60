import type Database from 'better-sqlite3';
import {
  effectivePermissions,
  evolve,
  initialTeamState,
  teamEventTypes,
  teamStreamPrefix,
  teamStateFromJson,
  teamStateToJson,
  type EffectivePermission,
  type Permission,
  type TeamEvent,
  type TeamState,
  type Via,
} from '@access-audit/domain';
import type { RecordedEvent } from '@access-audit/event-store';
import { instantMs } from './instants';
import type { ChangeCause, MemberHistoryEntry, PermissionChange, PermissionRef } from './model';
import { permissionScope, subjectOf } from './permission-scope';
import { OPEN_END, readModelTables, TEAM_LEVEL } from './schema';

/** The checkpoint row of the access read models. */
export const ACCESS_PROJECTION = 'access';

const knownTeamEventTypes: ReadonlySet<string> = new Set(teamEventTypes);
const BEFORE_ANY_INSTANT = -OPEN_END;

/** A team as the projection holds it: the folded state, the last stream revision folded, and the time of the last event. */
export interface ProjectedTeam {
  state: TeamState;
  revision: number;
  /** Effective time of the last event (ms); an event stamped earlier than its predecessor counts as happening at this time. */
  lastMs: number;
}

/** A permission as stored in a member-event row: [projectId or null, permission]. */
export type StoredPermission = [string | null, Permission];

/** What a `member_events` row holds: the event as it concerns the member, and the permissions it changed for them. */
export type StoredMemberEvent = Omit<MemberHistoryEntry, 'position' | 'granted' | 'revoked'> & {
  granted: StoredPermission[];
  revoked: StoredPermission[];
};

/**
 * A team whose read models stopped at an event that could not be applied (a poison event): its later events are skipped
 * and its queries refused, while every other team's read models move on. Names the event, never its data.
 */
export interface QuarantinedTeam {
  teamId: string;
  event: { id: string; type: string; position: string; streamRevision: number };
}

export interface AppliedBatch {
  /** The checkpoint after the batch. */
  position: string | undefined;
  /** Events of the batch that were new (after the checkpoint). */
  applied: number;
  changes: PermissionChange[];
  /** Teams this batch quarantined, with why their event failed. */
  quarantined: Array<{ team: QuarantinedTeam; error: unknown }>;
}

/** SQLite errors an event's own content can cause (a key it makes collide, a value too big): retrying cannot help. */
const eventCausedSqliteErrors: ReadonlySet<string> = new Set([
  'SQLITE_CONSTRAINT_PRIMARYKEY',
  'SQLITE_CONSTRAINT_UNIQUE',
  'SQLITE_CONSTRAINT_NOTNULL',
  'SQLITE_MISMATCH',
  'SQLITE_TOOBIG',
]);

/**
 * A failure of the read-model database itself (busy, full, I/O…): no event is to blame, so the batch is retried whole.
 * Known by its code: the addon's SqliteError class need not be the one this module instance sees.
 */
function isStorageFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') && !eventCausedSqliteErrors.has(code);
}

/** Thrown to roll a probe back. */
const probeDone = Symbol('probe done');

type Statements = ReturnType<typeof prepareStatements>;

function prepareStatements(db: Database.Database) {
  return {
    readCheckpoint: db.prepare<[string], { position: string; processed: number }>(
      'SELECT position, processed FROM checkpoint WHERE projection = ?',
    ),
    writeCheckpoint: db.prepare<[string, string, number]>(
      'INSERT INTO checkpoint (projection, position, processed) VALUES (?, ?, ?) ' +
        'ON CONFLICT (projection) DO UPDATE SET position = excluded.position, processed = excluded.processed',
    ),
    readTeams: db.prepare<[], { team_id: string; revision: number; last_ms: number; state_json: string }>(
      'SELECT team_id, revision, last_ms, state_json FROM team_states',
    ),
    writeTeam: db.prepare<[string, number, number, string]>(
      'INSERT INTO team_states (team_id, revision, last_ms, state_json) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (team_id) DO UPDATE SET revision = excluded.revision, last_ms = excluded.last_ms, state_json = excluded.state_json',
    ),
    grantSetId: db.prepare<[string], number>('SELECT id FROM grant_sets WHERE grants_json = ?').pluck(),
    insertGrantSet: db.prepare<[string]>('INSERT INTO grant_sets (grants_json) VALUES (?)'),
    openInterval: db.prepare<[string, string, string, number, number, number, string]>(
      'INSERT INTO grant_intervals (team_id, user_id, project_id, from_ms, to_ms, grants_id, from_position) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    // A scope's open interval is the one that starts last: one seek down the primary key.
    closeOpenInterval: db.prepare<{ to: number; position: string; team: string; user: string; project: string }>(
      'UPDATE grant_intervals SET to_ms = @to, to_position = @position ' +
        'WHERE team_id = @team AND user_id = @user AND project_id = @project AND from_ms = ' +
        '(SELECT MAX(from_ms) FROM grant_intervals WHERE team_id = @team AND user_id = @user AND project_id = @project) ' +
        `AND to_ms = ${OPEN_END}`,
    ),
    deleteOpenIntervalFrom: db.prepare<[string, string, string, number]>(
      'DELETE FROM grant_intervals WHERE team_id = ? AND user_id = ? AND project_id = ? ' +
        `AND from_ms = ? AND to_ms = ${OPEN_END}`,
    ),
    insertMemberEvent: db.prepare<[string, string, string, number, number, string]>(
      'INSERT INTO member_events (position, team_id, user_id, at_ms, changed, entry_json) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    readQuarantine: db.prepare<
      [],
      { team_id: string; event_id: string; event_type: string; position: string; stream_revision: number }
    >('SELECT team_id, event_id, event_type, position, stream_revision FROM quarantined_teams'),
    quarantine: db.prepare<[string, string, string, string, number]>(
      'INSERT INTO quarantined_teams (team_id, event_id, event_type, position, stream_revision) VALUES (?, ?, ?, ?, ?)',
    ),
  };
}

/** A member's grants by scope: team-level ones under TEAM_LEVEL, then each project's, in effectivePermissions order. */
function grantsByScope(grants: readonly EffectivePermission[]): Map<string, EffectivePermission[]> {
  const scopes = new Map<string, EffectivePermission[]>();
  for (const grant of grants) {
    const scope = grant.projectId ?? TEAM_LEVEL;
    const held = scopes.get(scope);
    if (held) held.push(grant);
    else scopes.set(scope, [grant]);
  }
  return scopes;
}

function sameGrants(a: readonly EffectivePermission[], b: readonly EffectivePermission[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.permission !== b[i]!.permission || !sameVia(a[i]!.via, b[i]!.via)) return false;
  }
  return true;
}

/** What a `grant_sets` row holds: [[permission, via], ...]. */
export type StoredGrantSet = Array<[Permission, Via[]]>;

const grantSetJson = (grants: readonly EffectivePermission[]): string =>
  JSON.stringify(grants.map(({ permission, via }): [Permission, Via[]] => [permission, via]));

/** The permissions of `grants` (one scope) missing from `others` (the same scope), in order; a change of `via` is none. */
function missingFrom(
  grants: readonly EffectivePermission[],
  others: readonly EffectivePermission[] | undefined,
  into: PermissionRef[],
): void {
  const kept = new Set(others?.map((grant) => grant.permission));
  for (const { permission, projectId } of grants) if (!kept.has(permission)) into.push({ permission, projectId });
}

/** Via entries are flat objects built by the domain in a fixed order. */
function sameVia(a: readonly Via[], b: readonly Via[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const left = a[i] as Record<string, unknown>;
    const right = b[i] as Record<string, unknown>;
    const keys = Object.keys(left);
    if (keys.length !== Object.keys(right).length || keys.some((key) => left[key] !== right[key])) return false;
  }
  return true;
}

const membersOf = (state: TeamState): string[] => (state.status === 'active' ? [...state.members.keys()] : []);

const stored = ({ projectId, permission }: PermissionRef): StoredPermission => [projectId, permission];

/** The state one batch builds up before it commits: nothing reaches the committed maps unless the transaction does. */
interface BatchState {
  teams: Map<string, ProjectedTeam>;
  grantSets: Map<string, number>;
  changes: PermissionChange[];
  quarantined: Map<string, { team: QuarantinedTeam; error: unknown }>;
}

interface BatchResult {
  batch: BatchState;
  applied: AppliedBatch;
  processed: number;
}

/** Grant set ids remembered from committed rows; forgotten wholesale beyond this many (they are looked up again). */
const grantSetCacheSize = 50_000;

/**
 * The access read models of every team, fed one batch of recorded events at a time. Each batch is one SQLite
 * transaction holding the read-model rows and the checkpoint, so a batch is either fully reflected or not at all;
 * events at or before the checkpoint are skipped, so delivering an event twice changes nothing.
 *
 * Keeps the folded state of every team in memory (loaded from the database on construction) for current answers;
 * the database holds the temporal index, member histories with the change feed, and the folded states themselves.
 *
 * An event that cannot be applied quarantines its team (see QuarantinedTeam): the batch is applied again event by
 * event, each in its own savepoint, so the failed event leaves no partial rows and the other teams' events go through.
 */
export class AccessProjection {
  readonly #teams = new Map<string, ProjectedTeam>();
  readonly #grantSets = new Map<string, number>();
  readonly #quarantined = new Map<string, QuarantinedTeam>();
  readonly #resetListeners: Array<() => void> = [];
  readonly #statements: Statements;
  readonly #applyBatch: (events: readonly RecordedEvent[], eventByEvent: boolean) => BatchResult;
  /** Inside a batch's transaction: a savepoint. */
  readonly #applyInSavepoint: (
    batch: BatchState,
    teamId: string,
    previous: ProjectedTeam | undefined,
    event: RecordedEvent,
  ) => ProjectedTeam;
  #position: string | undefined;
  #processed = 0;

  constructor(
    readonly db: Database.Database,
    readonly comparePositions: (a: string, b: string) => number,
  ) {
    this.#statements = prepareStatements(db);
    this.#applyBatch = db.transaction((events: readonly RecordedEvent[], eventByEvent: boolean) =>
      this.#applyInTransaction(events, eventByEvent),
    );
    this.#applyInSavepoint = db.transaction(
      (batch: BatchState, teamId: string, previous: ProjectedTeam | undefined, event: RecordedEvent) =>
        this.#applyTeamEvent(batch, teamId, previous, event),
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
    return this.#teams.get(teamId);
  }

  teamIds(): string[] {
    return [...this.#teams.keys()];
  }

  /** Why the team's read models are not to be answered from, if they are quarantined. */
  quarantine(teamId: string): QuarantinedTeam | undefined {
    return this.#quarantined.get(teamId);
  }

  quarantinedTeams(): QuarantinedTeam[] {
    return [...this.#quarantined.values()];
  }

  /**
   * Applies the events (in log order) in one transaction; returns what changed. When an event fails, the batch is
   * applied again event by event, and the team of each failing event is quarantined (the checkpoint still moves on).
   */
  apply(events: readonly RecordedEvent[]): AppliedBatch {
    if (events.length === 0) return { position: this.#position, applied: 0, changes: [], quarantined: [] };
    let result: BatchResult;
    try {
      result = this.#applyBatch(events, false);
    } catch (error) {
      if (isStorageFailure(error)) throw error;
      result = this.#applyBatch(events, true);
    }
    const { batch, applied, processed } = result;
    for (const [teamId, team] of batch.teams) this.#teams.set(teamId, team);
    for (const [json, id] of batch.grantSets) this.#rememberGrantSet(json, id);
    for (const [teamId, { team }] of batch.quarantined) this.#quarantined.set(teamId, team);
    this.#position = applied.position;
    this.#processed = processed;
    return applied;
  }

  /**
   * Applies a quarantined team's failing event again to the team as projected, keeping nothing: undefined when it
   * applies now, else why it still fails.
   */
  probe(teamId: string, event: RecordedEvent): { error: unknown } | undefined {
    const batch: BatchState = { teams: new Map(), grantSets: new Map(), changes: [], quarantined: new Map() };
    try {
      this.db.transaction(() => {
        this.#applyTeamEvent(batch, teamId, this.#teams.get(teamId), event);
        throw probeDone;
      })();
    } catch (error) {
      if (error === probeDone) return undefined;
      if (isStorageFailure(error)) throw error;
      return { error };
    }
    return undefined;
  }

  /** Empties every read model and the checkpoint, for the runner to rebuild them from the start of the log. */
  reset(): void {
    this.db.transaction(() => {
      for (const table of readModelTables) this.db.exec(`DELETE FROM ${table}`);
    })();
    this.#load();
    for (const listener of this.#resetListeners) listener();
  }

  /** Called after a reset: whatever was cached by row id (grant sets) no longer holds. */
  onReset(listener: () => void): void {
    this.#resetListeners.push(listener);
  }

  #load(): void {
    this.#teams.clear();
    this.#grantSets.clear();
    this.#quarantined.clear();
    for (const row of this.#statements.readQuarantine.iterate()) {
      this.#quarantined.set(row.team_id, {
        teamId: row.team_id,
        event: { id: row.event_id, type: row.event_type, position: row.position, streamRevision: row.stream_revision },
      });
    }
    const checkpoint = this.#statements.readCheckpoint.get(ACCESS_PROJECTION);
    this.#position = checkpoint?.position;
    this.#processed = checkpoint?.processed ?? 0;
    for (const row of this.#statements.readTeams.iterate()) {
      this.#teams.set(row.team_id, {
        state: teamStateFromJson(row.state_json),
        revision: row.revision,
        lastMs: row.last_ms,
      });
    }
  }

  #applyInTransaction(events: readonly RecordedEvent[], eventByEvent: boolean): BatchResult {
    const batch: BatchState = { teams: new Map(), grantSets: new Map(), changes: [], quarantined: new Map() };
    let position = this.#position;
    let processed = this.#processed;
    let applied = 0;
    for (const event of events) {
      if (position !== undefined && this.comparePositions(event.position, position) <= 0) continue;
      position = event.position;
      processed += 1;
      applied += 1;
      if (!event.streamId.startsWith(teamStreamPrefix) || !knownTeamEventTypes.has(event.type)) continue;
      const teamId = event.streamId.slice(teamStreamPrefix.length);
      // A quarantined team's state stops before its failed event: what follows would be folded on the wrong state.
      if (this.#quarantined.has(teamId) || batch.quarantined.has(teamId)) continue;
      const before = batch.teams.get(teamId) ?? this.#teams.get(teamId);
      if (eventByEvent) this.#applyOrQuarantine(batch, teamId, before, event);
      else batch.teams.set(teamId, this.#applyTeamEvent(batch, teamId, before, event));
    }
    for (const [teamId, team] of batch.teams) {
      this.#statements.writeTeam.run(teamId, team.revision, team.lastMs, teamStateToJson(team.state));
    }
    if (position !== undefined) this.#statements.writeCheckpoint.run(ACCESS_PROJECTION, position, processed);
    return {
      batch,
      processed,
      applied: { position, applied, changes: batch.changes, quarantined: [...batch.quarantined.values()] },
    };
  }

  /** Applies one event in its own savepoint; if it fails, undoes what it added to the batch and quarantines its team. */
  #applyOrQuarantine(batch: BatchState, teamId: string, before: ProjectedTeam | undefined, event: RecordedEvent) {
    const undo = { changes: batch.changes.length, grantSets: batch.grantSets.size };
    try {
      batch.teams.set(teamId, this.#applyInSavepoint(batch, teamId, before, event));
    } catch (error) {
      if (isStorageFailure(error)) throw error;
      batch.changes.length = undo.changes;
      for (const json of [...batch.grantSets.keys()].slice(undo.grantSets)) batch.grantSets.delete(json);
      const team: QuarantinedTeam = {
        teamId,
        event: { id: event.id, type: event.type, position: event.position, streamRevision: event.revision },
      };
      this.#statements.quarantine.run(teamId, event.id, event.type, event.position, event.revision);
      batch.quarantined.set(teamId, { team, error });
    }
  }

  #applyTeamEvent(
    batch: BatchState,
    teamId: string,
    previous: ProjectedTeam | undefined,
    event: RecordedEvent,
  ): ProjectedTeam {
    const teamEvent = { type: event.type, data: event.data } as TeamEvent;
    const old = previous?.state ?? initialTeamState();
    const next = evolve(old, teamEvent);
    const lastMs = previous?.lastMs ?? BEFORE_ANY_INSTANT;
    const atMs = Math.max(lastMs, instantMs(teamEvent.data.occurredAt) ?? instantMs(event.recordedAt) ?? lastMs);
    const scope = permissionScope(teamEvent);
    let users: string[] = [];
    let projectId: string | undefined;
    if (scope.kind === 'member') users = [scope.userId];
    else if (scope.kind !== 'none') users = [...new Set([...membersOf(old), ...membersOf(next)])].sort();
    if (scope.kind === 'project' || scope.kind === 'member') projectId = scope.projectId;

    const interval = { teamId, atMs, position: event.position, sameInstant: lastMs === atMs };
    const subject = subjectOf(teamEvent);
    let entry: Omit<StoredMemberEvent, 'granted' | 'revoked'> | undefined;
    for (const userId of users) {
      const { granted, revoked } = this.#writeIntervals(
        batch,
        interval,
        userId,
        effectivePermissions(old, userId, projectId),
        effectivePermissions(next, userId, projectId),
      );
      if (userId !== subject && !granted.length && !revoked.length) continue;
      entry ??= memberEventOf(event, teamEvent);
      const changed = granted.length + revoked.length > 0;
      const row: StoredMemberEvent = { ...entry, granted: granted.map(stored), revoked: revoked.map(stored) };
      this.#statements.insertMemberEvent.run(
        event.position,
        teamId,
        userId,
        atMs,
        changed ? 1 : 0,
        JSON.stringify(row),
      );
      if (changed) {
        const cause = causeOf(event.position, entry);
        for (const [change, list] of [
          ['revoked', revoked],
          ['granted', granted],
        ] as const) {
          for (const { projectId: project, permission } of list) {
            batch.changes.push({
              position: event.position,
              teamId,
              userId,
              projectId: project,
              permission,
              change,
              cause,
            });
          }
        }
      }
    }
    return { state: next, revision: event.revision, lastMs: atMs };
  }

  /**
   * Ends and starts the member's intervals of each scope whose grants (or their via) changed; returns the permissions
   * gained and lost, in the order `effectivePermissions` lists them (a change of `via` alone is neither).
   */
  #writeIntervals(
    batch: BatchState,
    at: { teamId: string; atMs: number; position: string; sameInstant: boolean },
    userId: string,
    before: readonly EffectivePermission[],
    after: readonly EffectivePermission[],
  ): { granted: PermissionRef[]; revoked: PermissionRef[] } {
    const granted: PermissionRef[] = [];
    const revoked: PermissionRef[] = [];
    const held = grantsByScope(before);
    const holds = grantsByScope(after);
    const unchanged = new Set<string>();
    for (const [scope, grants] of held) {
      const now = holds.get(scope);
      if (now && sameGrants(grants, now)) {
        unchanged.add(scope);
        continue;
      }
      this.#closeInterval(at, userId, scope);
      if (now) this.#openInterval(batch, at, userId, scope, now);
      missingFrom(grants, now, revoked);
    }
    for (const [scope, grants] of holds) {
      if (unchanged.has(scope)) continue;
      const then = held.get(scope);
      if (!then) this.#openInterval(batch, at, userId, scope, grants);
      missingFrom(grants, then, granted);
    }
    return { granted, revoked };
  }

  #grantSetId(batch: BatchState, grants: readonly EffectivePermission[]): number {
    const json = grantSetJson(grants);
    const known = this.#grantSets.get(json) ?? batch.grantSets.get(json);
    if (known !== undefined) return known;
    // Not in this batch, so a row found here was committed before it.
    const stored = this.#statements.grantSetId.get(json);
    if (stored !== undefined) {
      this.#rememberGrantSet(json, stored);
      return stored;
    }
    const id = Number(this.#statements.insertGrantSet.run(json).lastInsertRowid);
    batch.grantSets.set(json, id);
    return id;
  }

  #rememberGrantSet(json: string, id: number): void {
    if (this.#grantSets.size >= grantSetCacheSize) this.#grantSets.clear();
    this.#grantSets.set(json, id);
  }

  #openInterval(
    batch: BatchState,
    at: { teamId: string; atMs: number; position: string },
    userId: string,
    scope: string,
    grants: readonly EffectivePermission[],
  ): void {
    this.#statements.openInterval.run(
      at.teamId,
      userId,
      scope,
      at.atMs,
      OPEN_END,
      this.#grantSetId(batch, grants),
      at.position,
    );
  }

  #closeInterval(
    at: { teamId: string; atMs: number; position: string; sameInstant: boolean },
    userId: string,
    scope: string,
  ): void {
    // An interval that would end at the instant it began held at no instant (events sharing one timestamp): drop it.
    // Only possible when the team's previous event had this very instant.
    if (
      at.sameInstant &&
      this.#statements.deleteOpenIntervalFrom.run(at.teamId, userId, scope, at.atMs).changes === 1
    ) {
      return;
    }
    const closed = this.#statements.closeOpenInterval.run({
      to: at.atMs,
      position: at.position,
      team: at.teamId,
      user: userId,
      project: scope,
    });
    if (closed.changes !== 1) throw new Error(`no open interval for ${at.teamId}/${userId}/${scope || '-'}`);
  }
}

/** The event as a member's history shows it (without the permissions it changed for that member). */
function memberEventOf(event: RecordedEvent, teamEvent: TeamEvent): Omit<StoredMemberEvent, 'granted' | 'revoked'> {
  const data = teamEvent.data as unknown as Record<string, unknown>;
  let before = 'before' in data ? data.before : null;
  let after = 'after' in data ? data.after : null;
  if (teamEvent.type === 'TeamCreated') [before, after] = [null, { role: 'owner' }];
  if (teamEvent.type === 'ProjectCreated') after = { name: teamEvent.data.name };
  return {
    eventId: event.id,
    type: event.type,
    occurredAt: teamEvent.data.occurredAt,
    actorId: teamEvent.data.actorId,
    ...(teamEvent.data.reason !== undefined ? { reason: teamEvent.data.reason } : {}),
    ...(typeof data.projectId === 'string' ? { projectId: data.projectId } : {}),
    ...(typeof data.group === 'string' ? { group: data.group } : {}),
    ...('cause' in data && data.cause ? { cause: data.cause as MemberHistoryEntry['cause'] } : {}),
    before,
    after,
  };
}

export function causeOf(
  position: string,
  entry: Pick<StoredMemberEvent, 'eventId' | 'type' | 'actorId' | 'occurredAt' | 'reason'>,
): ChangeCause {
  return {
    eventId: entry.eventId,
    type: entry.type,
    position,
    actorId: entry.actorId,
    occurredAt: entry.occurredAt,
    ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
  };
}
