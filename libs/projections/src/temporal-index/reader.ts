import type Database from 'better-sqlite3';
import { isProjectPermission, permissions as policyPermissions, type Permission, type Via } from '@access-audit/domain';
import type { CheckAnswer, MemberPermissionGrant, PermissionSelection } from '../model';
import { TEAM_LEVEL } from '../schema';
import type { StoredGrantSet } from './writer';

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

type Instant = { team: string; at: number };

/** Answers `at` an instant, from the temporal index: what each member held in each scope at that time. */
export class TemporalIndexReader {
  readonly #statements;
  readonly #grantSets = new Map<number, GrantSet>();

  constructor(db: Database.Database) {
    const at = 'from_ms <= @at AND to_ms > @at';
    const columns = 'user_id, project_id, grants_id';
    this.#statements = {
      // Intervals of one scope never overlap: the last one to start at or before the instant is the only candidate.
      scopeAt: db.prepare<Instant & { user: string; project: string }, { grants_id: number; to_ms: number }>(
        'SELECT grants_id, to_ms FROM grant_intervals WHERE team_id = @team AND user_id = @user ' +
          'AND project_id = @project AND from_ms <= @at ORDER BY from_ms DESC LIMIT 1',
      ),
      teamAt: db.prepare<Instant, IntervalRow>(
        `SELECT ${columns} FROM grant_intervals WHERE team_id = @team AND ${at}`,
      ),
      userAt: db.prepare<Instant & { user: string }, IntervalRow>(
        `SELECT ${columns} FROM grant_intervals WHERE team_id = @team AND user_id = @user AND ${at}`,
      ),
      projectAt: db.prepare<Instant & { project: string }, IntervalRow>(
        `SELECT ${columns} FROM grant_intervals WHERE team_id = @team AND project_id IN (@project, '') AND ${at}`,
      ),
      userProjectAt: db.prepare<Instant & { user: string; project: string }, IntervalRow>(
        `SELECT ${columns} FROM grant_intervals WHERE team_id = @team AND user_id = @user ` +
          `AND project_id IN (@project, '') AND ${at}`,
      ),
      holdersAt: db.prepare<Instant & { project: string }, IntervalRow>(
        `SELECT ${columns} FROM grant_intervals WHERE team_id = @team AND project_id = @project ` +
          `AND ${at} ORDER BY user_id`,
      ),
      grantSet: db.prepare<[number], string>('SELECT grants_json FROM grant_sets WHERE id = ?').pluck(),
    };
  }

  check(
    teamId: string,
    userId: string,
    permission: Permission,
    projectId: string | undefined,
    atMs: number,
  ): CheckAnswer {
    const project = isProjectPermission(permission) ? projectId : TEAM_LEVEL;
    if (project === undefined) return { allowed: false, via: [] };
    const row = this.#statements.scopeAt.get({ team: teamId, user: userId, project, at: atMs });
    const via = row && row.to_ms > atMs ? this.#grantSet(row.grants_id).byPermission.get(permission) : undefined;
    return via ? { allowed: true, via } : { allowed: false, via: [] };
  }

  /** Every permission the selection held at the instant, in the order `effectivePermissions` answers in. */
  permissions(teamId: string, { userId, projectId }: PermissionSelection, atMs: number): MemberPermissionGrant[] {
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

  /** Who held `permission` on the project at the instant, each with why. */
  projectAccess(
    teamId: string,
    projectId: string,
    permission: Permission,
    atMs: number,
  ): Array<{ userId: string; via: Via[] }> {
    const project = isProjectPermission(permission) ? projectId : TEAM_LEVEL;
    return this.#statements.holdersAt.all({ team: teamId, project, at: atMs }).flatMap((row) => {
      const via = this.#grantSet(row.grants_id).byPermission.get(permission);
      return via ? [{ userId: row.user_id, via }] : [];
    });
  }

  /** The tables were emptied: grant sets cached by row id no longer hold. */
  forget(): void {
    this.#grantSets.clear();
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
}
