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
import { OPEN_END, TEAM_LEVEL } from './schema';

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

export interface AppliedBatch {
  /** The checkpoint after the batch. */
  position: string | undefined;
  /** Events of the batch that were new (after the checkpoint). */
  applied: number;
  changes: PermissionChange[];
}

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
 */
export class AccessProjection {
  readonly #teams = new Map<string, ProjectedTeam>();
  readonly #grantSets = new Map<string, number>();
  readonly #statements: Statements;
  readonly #applyBatch: (events: readonly RecordedEvent[]) => {
    batch: BatchState;
    applied: AppliedBatch;
    processed: number;
  };
  #position: string | undefined;
  #processed = 0;

  constructor(
    readonly db: Database.Database,
    readonly comparePositions: (a: string, b: string) => number,
  ) {
    this.#statements = prepareStatements(db);
    this.#applyBatch = db.transaction((events: readonly RecordedEvent[]) => this.#applyInTransaction(events));
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

  /** Applies the events (in log order) in one transaction; returns what changed. */
  apply(events: readonly RecordedEvent[]): AppliedBatch {
    if (events.length === 0) return { position: this.#position, applied: 0, changes: [] };
    const { batch, applied, processed } = this.#applyBatch(events);
    for (const [teamId, team] of batch.teams) this.#teams.set(teamId, team);
    for (const [json, id] of batch.grantSets) this.#rememberGrantSet(json, id);
    this.#position = applied.position;
    this.#processed = processed;
    return applied;
  }

  #load(): void {
    this.#teams.clear();
    this.#grantSets.clear();
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

  #applyInTransaction(events: readonly RecordedEvent[]) {
    const batch: BatchState = { teams: new Map(), grantSets: new Map(), changes: [] };
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
      const before = batch.teams.get(teamId) ?? this.#teams.get(teamId);
      batch.teams.set(teamId, this.#applyTeamEvent(batch, teamId, before, event));
    }
    for (const [teamId, team] of batch.teams) {
      this.#statements.writeTeam.run(teamId, team.revision, team.lastMs, teamStateToJson(team.state));
    }
    if (position !== undefined) this.#statements.writeCheckpoint.run(ACCESS_PROJECTION, position, processed);
    return { batch, processed, applied: { position, applied, changes: batch.changes } };
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
