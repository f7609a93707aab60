import type Database from 'better-sqlite3';
import {
  effectivePermissions,
  evolve,
  initialTeamState,
  teamEventTypes,
  teamStreamPrefix,
  type EffectivePermission,
  type Permission,
  type TeamEvent,
  type TeamState,
  type Via,
} from '@access-audit/domain';
import type { RecordedEvent } from '@access-audit/event-store';
import { instantMs } from './instants';
import type { ChangeCause, MemberHistoryEntry, PermissionChange, PermissionGrant } from './model';
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

/** The change-feed row of one event and one member. */
export interface StoredChanges {
  cause: ChangeCause;
  changes: Array<{ projectId: string | null; permission: Permission; change: 'granted' | 'revoked'; via: Via[] }>;
}

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
    openInterval: db.prepare<[string, string, string, string, number, number, string, string]>(
      'INSERT INTO permission_intervals (team_id, user_id, project_id, permission, from_ms, to_ms, via_json, from_position) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    // The literal OPEN_END lets SQLite use the partial index of open intervals.
    closeOpenInterval: db.prepare<[number, string, string, string, string, string]>(
      'UPDATE permission_intervals SET to_ms = ?, to_position = ? ' +
        `WHERE team_id = ? AND user_id = ? AND project_id = ? AND permission = ? AND to_ms = ${OPEN_END}`,
    ),
    deleteOpenIntervalFrom: db.prepare<[string, string, string, string, number]>(
      'DELETE FROM permission_intervals WHERE team_id = ? AND user_id = ? AND project_id = ? AND permission = ? ' +
        `AND from_ms = ? AND to_ms = ${OPEN_END}`,
    ),
    insertChanges: db.prepare<[string, string, string, string]>(
      'INSERT INTO permission_changes (position, team_id, user_id, entry_json) VALUES (?, ?, ?, ?)',
    ),
    insertHistory: db.prepare<[string, string, string, string, string, number, string, string]>(
      'INSERT INTO member_history (team_id, user_id, position, event_id, type, at_ms, actor_id, entry_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
  };
}

const grantKey = (grant: { projectId: string | null; permission: string }): string =>
  `${grant.projectId ?? TEAM_LEVEL}\u0000${grant.permission}`;

function grantsByKey(state: TeamState, userId: string, projectId: string | undefined): Map<string, EffectivePermission> {
  const grants = new Map<string, EffectivePermission>();
  for (const grant of effectivePermissions(state, userId, projectId)) grants.set(grantKey(grant), grant);
  return grants;
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


const membersOf = (state: TeamState): string[] => (state.status === 'active' ? Object.keys(state.members) : []);

const toGrant = ({ permission, projectId, via }: EffectivePermission): PermissionGrant => ({ permission, projectId, via });

/**
 * The access read models of every team, fed one batch of recorded events at a time. Each batch is one SQLite
 * transaction holding the read-model rows and the checkpoint, so a batch is either fully reflected or not at all;
 * events at or before the checkpoint are skipped, so delivering an event twice changes nothing.
 *
 * Keeps the folded state of every team in memory (loaded from the database on construction) for current answers;
 * the database holds the temporal index, member histories, the change feed and the folded states themselves.
 */
export class AccessProjection {
  readonly #teams = new Map<string, ProjectedTeam>();
  readonly #statements: Statements;
  readonly #applyBatch: (events: readonly RecordedEvent[]) => { overlay: Map<string, ProjectedTeam>; batch: AppliedBatch; processed: number };
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
    const { overlay, batch, processed } = this.#applyBatch(events);
    for (const [teamId, team] of overlay) this.#teams.set(teamId, team);
    this.#position = batch.position;
    this.#processed = processed;
    return batch;
  }

  #load(): void {
    this.#teams.clear();
    const checkpoint = this.#statements.readCheckpoint.get(ACCESS_PROJECTION);
    this.#position = checkpoint?.position;
    this.#processed = checkpoint?.processed ?? 0;
    for (const row of this.#statements.readTeams.iterate()) {
      this.#teams.set(row.team_id, {
        state: JSON.parse(row.state_json) as TeamState,
        revision: row.revision,
        lastMs: row.last_ms,
      });
    }
  }

  #applyInTransaction(events: readonly RecordedEvent[]) {
    const overlay = new Map<string, ProjectedTeam>();
    const changes: PermissionChange[] = [];
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
      const before = overlay.get(teamId) ?? this.#teams.get(teamId);
      overlay.set(teamId, this.#applyTeamEvent(teamId, before, event, changes));
    }
    for (const [teamId, team] of overlay) {
      this.#statements.writeTeam.run(teamId, team.revision, team.lastMs, JSON.stringify(team.state));
    }
    if (position !== undefined) this.#statements.writeCheckpoint.run(ACCESS_PROJECTION, position, processed);
    return { overlay, processed, batch: { position, applied, changes } };
  }

  #applyTeamEvent(
    teamId: string,
    previous: ProjectedTeam | undefined,
    event: RecordedEvent,
    changes: PermissionChange[],
  ): ProjectedTeam {
    const teamEvent = { type: event.type, data: event.data } as TeamEvent;
    const old = previous?.state ?? initialTeamState();
    const next = evolve(old, teamEvent);
    const lastMs = previous?.lastMs ?? BEFORE_ANY_INSTANT;
    const atMs = Math.max(lastMs, instantMs(teamEvent.data.occurredAt) ?? instantMs(event.recordedAt) ?? lastMs);
    const cause: ChangeCause = {
      eventId: event.id,
      type: event.type,
      position: event.position,
      actorId: teamEvent.data.actorId,
      occurredAt: teamEvent.data.occurredAt,
      ...(teamEvent.data.reason !== undefined ? { reason: teamEvent.data.reason } : {}),
    };
    const scope = permissionScope(teamEvent);
    const subject = subjectOf(teamEvent);
    let users: string[] = [];
    let projectId: string | undefined;
    if (scope.kind === 'member') users = [scope.userId];
    else if (scope.kind !== 'none') users = [...new Set([...membersOf(old), ...membersOf(next)])].sort();
    if (scope.kind === 'project') projectId = scope.projectId;

    for (const userId of users) {
      const { granted, revoked } = this.#diffMember(teamId, userId, old, next, projectId, atMs, lastMs === atMs, cause, changes);
      if (userId === subject || granted.length || revoked.length) {
        this.#recordHistory(teamId, userId, event, teamEvent, atMs, granted, revoked);
      }
    }
    return { state: next, revision: event.revision, lastMs: atMs };
  }

  #diffMember(
    teamId: string,
    userId: string,
    old: TeamState,
    next: TeamState,
    projectId: string | undefined,
    atMs: number,
    sameInstant: boolean,
    cause: ChangeCause,
    changes: PermissionChange[],
  ): { granted: PermissionGrant[]; revoked: PermissionGrant[] } {
    const before = grantsByKey(old, userId, projectId);
    const after = grantsByKey(next, userId, projectId);
    const granted: PermissionGrant[] = [];
    const revoked: PermissionGrant[] = [];
    for (const [key, held] of before) {
      const now = after.get(key);
      if (now && sameVia(now.via, held.via)) continue;
      this.#closeInterval(teamId, userId, held, atMs, cause.position, sameInstant);
      if (now) this.#openInterval(teamId, userId, now, atMs, cause.position);
      else revoked.push(toGrant(held));
    }
    for (const [key, now] of after) {
      if (before.has(key)) continue;
      this.#openInterval(teamId, userId, now, atMs, cause.position);
      granted.push(toGrant(now));
    }
    if (revoked.length || granted.length) {
      const stored: StoredChanges = {
        cause,
        changes: [
          ...revoked.map((grant) => ({ projectId: grant.projectId, permission: grant.permission, change: 'revoked' as const, via: grant.via })),
          ...granted.map((grant) => ({ projectId: grant.projectId, permission: grant.permission, change: 'granted' as const, via: grant.via })),
        ],
      };
      this.#statements.insertChanges.run(cause.position, teamId, userId, JSON.stringify(stored));
      for (const change of stored.changes) changes.push({ position: cause.position, teamId, userId, ...change, cause });
    }
    return { granted, revoked };
  }

  #openInterval(teamId: string, userId: string, grant: EffectivePermission, atMs: number, position: string): void {
    const { projectId, permission, via } = grant;
    this.#statements.openInterval.run(teamId, userId, projectId ?? TEAM_LEVEL, permission, atMs, OPEN_END, JSON.stringify(via), position);
  }

  #closeInterval(teamId: string, userId: string, grant: EffectivePermission, atMs: number, position: string, sameInstant: boolean): void {
    const projectId = grant.projectId ?? TEAM_LEVEL;
    // An interval that would end at the instant it began held at no instant (events sharing one timestamp): drop it.
    // Only possible when the team's previous event had this very instant.
    if (sameInstant && this.#statements.deleteOpenIntervalFrom.run(teamId, userId, projectId, grant.permission, atMs).changes === 1) return;
    const closed = this.#statements.closeOpenInterval.run(atMs, position, teamId, userId, projectId, grant.permission);
    if (closed.changes !== 1) throw new Error(`no open interval for ${teamId}/${userId}/${grant.projectId ?? '-'}/${grant.permission}`);
  }

  #recordHistory(
    teamId: string,
    userId: string,
    event: RecordedEvent,
    teamEvent: TeamEvent,
    atMs: number,
    granted: PermissionGrant[],
    revoked: PermissionGrant[],
  ): void {
    const data = teamEvent.data as unknown as Record<string, unknown>;
    let before = 'before' in data ? data.before : null;
    let after = 'after' in data ? data.after : null;
    if (teamEvent.type === 'TeamCreated') [before, after] = [null, { role: 'owner' }];
    if (teamEvent.type === 'ProjectCreated') after = { name: teamEvent.data.name };
    const entry: MemberHistoryEntry = {
      position: event.position,
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
      granted,
      revoked,
    };
    this.#statements.insertHistory.run(
      teamId,
      userId,
      event.position,
      event.id,
      event.type,
      atMs,
      entry.actorId,
      JSON.stringify(entry),
    );
  }
}
