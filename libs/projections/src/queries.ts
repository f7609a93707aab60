import {
  checkPermission,
  effectivePermissions,
  isProjectPermission,
  permissions as policyPermissions,
  type ActiveTeam,
  type Permission,
  type PermissionGroup,
  type ProjectRole,
  type ProjectSecurity,
  type TeamRole,
  type TeamState,
  type Via,
} from '@access-audit/domain';
import type { MemberHistoryEntry, MemberPermissionGrant, PermissionChange, PermissionRef } from './model';
import {
  causeOf,
  type AccessProjection,
  type StoredGrantSet,
  type StoredMemberEvent,
  type StoredPermission,
} from './projection';
import { TEAM_LEVEL } from './schema';

export interface TeamView {
  id: string;
  name: string;
  plan: string;
  members: Array<{
    userId: string;
    role: TeamRole;
    permissionGroups: PermissionGroup[];
    /** Explicit (contributor) project roles only; inherent ones show in the permissions answer. */
    projectRoles: Record<string, ProjectRole>;
  }>;
  projects: Array<{ id: string; name: string; security: ProjectSecurity }>;
}

export interface CheckAnswer {
  allowed: boolean;
  via: Via[];
}

export interface PermissionSelection {
  userId?: string;
  projectId?: string;
}

export interface ChangesPage {
  changes: PermissionChange[];
  /** Pass as `after` to read on; every change up to it has been considered. Absent when nothing is projected yet. */
  next?: string;
  hasMore: boolean;
}

/** An `after` position that this store did not issue. */
export class InvalidPositionError extends Error {
  constructor(readonly position: string) {
    super(`not a position of this event store: ${JSON.stringify(position.slice(0, 64))}`);
    this.name = 'InvalidPositionError';
  }
}

const permissionOrder = new Map<string, number>(policyPermissions.map((permission, index) => [permission, index]));

/** The order `effectivePermissions` answers in: user, then team-level before projects by id, then policy order. */
function comparePermissionRows(a: MemberPermissionGrant, b: MemberPermissionGrant): number {
  if (a.userId !== b.userId) return a.userId < b.userId ? -1 : 1;
  if (a.projectId !== b.projectId) {
    if (a.projectId === null) return -1;
    if (b.projectId === null) return 1;
    return a.projectId < b.projectId ? -1 : 1;
  }
  return (permissionOrder.get(a.permission) ?? 0) - (permissionOrder.get(b.permission) ?? 0);
}

interface IntervalRow {
  user_id: string;
  project_id: string;
  grants_id: number;
}

/** A stored grant set, parsed once and frozen (shared by every answer that reads it). */
interface GrantSet {
  grants: ReadonlyArray<readonly [Permission, Via[]]>;
  byPermission: ReadonlyMap<Permission, Via[]>;
}

/** Parsed grant sets kept; forgotten wholesale beyond this many (parsed again when read). */
const grantSetCacheSize = 10_000;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

interface MemberEventRow {
  seq: number;
  position: string;
  team_id: string;
  user_id: string;
  entry_json: string;
}

const toRef = ([projectId, permission]: StoredPermission): PermissionRef => ({ permission, projectId });

/**
 * The answers of the query API. Current answers come from the folded team states in memory, through the domain's
 * `checkPermission` / `effectivePermissions`; answers `at` an instant come from the temporal index in SQLite.
 */
export class AccessQueries {
  readonly #statements;
  readonly #grantSets = new Map<number, GrantSet>();

  constructor(private readonly projection: AccessProjection) {
    projection.onReset(() => this.#grantSets.clear());
    const db = projection.db;
    const at = 'from_ms <= @at AND to_ms > @at';
    const columns = 'user_id, project_id, grants_id';
    this.#statements = {
      // Intervals of one scope never overlap: the last one to start at or before the instant is the only candidate.
      scopeAt: db.prepare<
        { team: string; user: string; project: string; at: number },
        { grants_id: number; to_ms: number }
      >(
        'SELECT grants_id, to_ms FROM grant_intervals WHERE team_id = @team AND user_id = @user ' +
          'AND project_id = @project AND from_ms <= @at ORDER BY from_ms DESC LIMIT 1',
      ),
      teamAt: db.prepare<{ team: string; at: number }, IntervalRow>(
        `SELECT ${columns} FROM grant_intervals WHERE team_id = @team AND ${at}`,
      ),
      userAt: db.prepare<{ team: string; user: string; at: number }, IntervalRow>(
        `SELECT ${columns} FROM grant_intervals WHERE team_id = @team AND user_id = @user AND ${at}`,
      ),
      projectAt: db.prepare<{ team: string; project: string; at: number }, IntervalRow>(
        `SELECT ${columns} FROM grant_intervals WHERE team_id = @team AND project_id IN (@project, '') AND ${at}`,
      ),
      userProjectAt: db.prepare<{ team: string; user: string; project: string; at: number }, IntervalRow>(
        `SELECT ${columns} FROM grant_intervals WHERE team_id = @team AND user_id = @user ` +
          `AND project_id IN (@project, '') AND ${at}`,
      ),
      holdersAt: db.prepare<{ team: string; project: string; at: number }, IntervalRow>(
        `SELECT ${columns} FROM grant_intervals WHERE team_id = @team AND project_id = @project ` +
          `AND ${at} ORDER BY user_id`,
      ),
      grantSet: db.prepare<[number], string>('SELECT grants_json FROM grant_sets WHERE id = ?').pluck(),
      history: db.prepare<[string, string, number], MemberEventRow>(
        'SELECT seq, position, team_id, user_id, entry_json FROM member_events WHERE team_id = ? AND user_id = ? AND at_ms <= ? ORDER BY seq',
      ),
      eventAtOrAfter: db.prepare<[number], { seq: number; position: string }>(
        'SELECT seq, position FROM member_events WHERE seq >= ? ORDER BY seq LIMIT 1',
      ),
      lastEventSeq: db.prepare<[], number | null>('SELECT MAX(seq) FROM member_events').pluck(),
      changesAfter: db.prepare<[number], MemberEventRow>(
        'SELECT seq, position, team_id, user_id, entry_json FROM member_events WHERE seq > ? AND changed = 1 ORDER BY seq',
      ),
      teamChangesAfter: db.prepare<[string, number], MemberEventRow>(
        'SELECT seq, position, team_id, user_id, entry_json FROM member_events WHERE team_id = ? AND seq > ? AND changed = 1 ORDER BY seq',
      ),
    };
  }

  /** The position the read models reflect. */
  get position(): string | undefined {
    return this.projection.position;
  }

  /** The folded state of a team now, or undefined when no such team exists. */
  teamState(teamId: string): ActiveTeam | undefined {
    const state = this.projection.team(teamId)?.state;
    return state?.status === 'active' ? state : undefined;
  }

  teamView(teamId: string): TeamView | undefined {
    const state = this.teamState(teamId);
    return state && teamViewOf(state);
  }

  check(teamId: string, userId: string, permission: Permission, projectId?: string, atMs?: number): CheckAnswer {
    if (atMs === undefined) {
      return checkPermission(this.projection.team(teamId)?.state ?? { status: 'none' }, userId, permission, projectId);
    }
    const project = isProjectPermission(permission) ? projectId : TEAM_LEVEL;
    if (project === undefined) return { allowed: false, via: [] };
    const row = this.#statements.scopeAt.get({ team: teamId, user: userId, project, at: atMs });
    const via = row && row.to_ms > atMs ? this.#grantSet(row.grants_id).byPermission.get(permission) : undefined;
    return via ? { allowed: true, via } : { allowed: false, via: [] };
  }

  /** Every effective permission of the selection (team-level ones, plus those on `projectId` or on every project). */
  permissions(teamId: string, selection: PermissionSelection = {}, atMs?: number): MemberPermissionGrant[] {
    const { userId, projectId } = selection;
    if (atMs !== undefined) {
      const team = teamId;
      const rows =
        userId !== undefined && projectId !== undefined
          ? this.#statements.userProjectAt.all({ team, user: userId, project: projectId, at: atMs })
          : userId !== undefined
            ? this.#statements.userAt.all({ team, user: userId, at: atMs })
            : projectId !== undefined
              ? this.#statements.projectAt.all({ team, project: projectId, at: atMs })
              : this.#statements.teamAt.all({ team, at: atMs });
      return rows.flatMap((row) => this.#grantsOf(row)).sort(comparePermissionRows);
    }
    const state: TeamState = this.projection.team(teamId)?.state ?? { status: 'none' };
    if (state.status !== 'active') return [];
    const userIds = userId !== undefined ? [userId] : [...state.members.keys()].sort();
    return userIds.flatMap((user) =>
      effectivePermissions(state, user, projectId).map((grant) => ({ userId: user, ...grant })),
    );
  }

  /** Who holds `permission` on the project, each with why. */
  projectAccess(
    teamId: string,
    projectId: string,
    permission: Permission,
    atMs?: number,
  ): Array<{ userId: string; via: Via[] }> {
    if (atMs !== undefined) {
      const project = isProjectPermission(permission) ? projectId : TEAM_LEVEL;
      return this.#statements.holdersAt.all({ team: teamId, project, at: atMs }).flatMap((row) => {
        const via = this.#grantSet(row.grants_id).byPermission.get(permission);
        return via ? [{ userId: row.user_id, via }] : [];
      });
    }
    const state = this.teamState(teamId);
    if (!state) return [];
    return [...state.members.keys()]
      .sort()
      .map((userId) => ({ userId, ...checkPermission(state, userId, permission, projectId) }))
      .filter((answer) => answer.allowed)
      .map(({ userId, via }) => ({ userId, via }));
  }

  /** The member's access timeline in the team, oldest first, up to the instant when given. */
  memberHistory(teamId: string, userId: string, atMs = Number.MAX_SAFE_INTEGER): MemberHistoryEntry[] {
    return this.#statements.history.all(teamId, userId, atMs).map((row) => {
      const { granted, revoked, ...event } = JSON.parse(row.entry_json) as StoredMemberEvent;
      return { position: row.position, ...event, granted: granted.map(toRef), revoked: revoked.map(toRef) };
    });
  }

  /**
   * A page of the change feed after `after` (from the start when absent). The changes one event caused are never split
   * across pages, so a page may hold a few more than `limit`.
   */
  changes(options: { after?: string; teamId?: string; limit?: number } = {}): ChangesPage {
    const limit = Math.max(1, options.limit ?? 100);
    const fromSeq = options.after === undefined ? 0 : this.#lastSeqAtOrBefore(options.after);
    const rows =
      options.teamId === undefined
        ? this.#statements.changesAfter.iterate(fromSeq)
        : this.#statements.teamChangesAfter.iterate(options.teamId, fromSeq);
    const changes: PermissionChange[] = [];
    let hasMore = false;
    for (const row of rows) {
      const last = changes[changes.length - 1];
      if (changes.length >= limit && last && last.position !== row.position) {
        hasMore = true;
        break;
      }
      const stored = JSON.parse(row.entry_json) as StoredMemberEvent;
      const cause = causeOf(row.position, stored);
      const base = { position: row.position, teamId: row.team_id, userId: row.user_id };
      for (const [projectId, permission] of stored.revoked)
        changes.push({ ...base, projectId, permission, change: 'revoked', cause });
      for (const [projectId, permission] of stored.granted)
        changes.push({ ...base, projectId, permission, change: 'granted', cause });
    }
    const next = hasMore ? changes[changes.length - 1]!.position : this.#later(this.projection.position, options.after);
    return { changes, hasMore, ...(next !== undefined ? { next } : {}) };
  }

  /** The later of two positions; `after` may be ahead of read models that are still catching up. */
  #later(reflected: string | undefined, after: string | undefined): string | undefined {
    if (reflected === undefined || after === undefined) return reflected ?? after;
    return this.projection.comparePositions(after, reflected) > 0 ? after : reflected;
  }

  #grantsOf(row: IntervalRow): MemberPermissionGrant[] {
    const projectId = row.project_id === TEAM_LEVEL ? null : row.project_id;
    return this.#grantSet(row.grants_id).grants.map(([permission, via]) => ({
      userId: row.user_id,
      permission,
      projectId,
      via,
    }));
  }

  #grantSet(id: number): GrantSet {
    let set = this.#grantSets.get(id);
    if (!set) {
      const grants = deepFreeze(JSON.parse(this.#statements.grantSet.get(id)!) as StoredGrantSet);
      set = { grants, byPermission: new Map(grants) };
      if (this.#grantSets.size >= grantSetCacheSize) this.#grantSets.clear();
      this.#grantSets.set(id, set);
    }
    return set;
  }

  /** The sequence number of the last member event at or before the position (0 when none). */
  #lastSeqAtOrBefore(position: string): number {
    const compare = (stored: string): number => {
      try {
        return this.projection.comparePositions(stored, position);
      } catch {
        throw new InvalidPositionError(position);
      }
    };
    let low = 0;
    let high = (this.#statements.lastEventSeq.get() ?? 0) + 1;
    if (high === 1) compare(position);
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      const row = this.#statements.eventAtOrAfter.get(middle);
      if (!row || row.seq >= high) high = middle;
      else if (compare(row.position) <= 0) low = row.seq;
      else high = row.seq;
    }
    return low;
  }
}

export function teamViewOf(state: ActiveTeam): TeamView {
  return {
    id: state.id,
    name: state.name,
    plan: state.plan,
    members: [...state.members.values()]
      .sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0))
      .map((member) => ({
        userId: member.userId,
        role: member.role.value,
        permissionGroups: ([...member.permissionGroups.keys()] as PermissionGroup[]).sort(),
        projectRoles: Object.fromEntries(
          [...member.projectRoles.keys()]
            .sort()
            .map((projectId) => [projectId, member.projectRoles.get(projectId)!.value]),
        ),
      })),
    projects: [...state.projects.values()]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((project) => ({ id: project.id, name: project.name, security: project.security })),
  };
}
