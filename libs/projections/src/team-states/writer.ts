import type Database from 'better-sqlite3';
import { teamStateFromJson, teamStateToJson, type MemberState, type TeamState } from '@access-audit/domain';

/** A team as the projection holds it: the folded state, the last stream revision folded, and the time of the last event. */
export interface ProjectedTeam {
  state: TeamState;
  revision: number;
  /** Effective time of the last event (ms); an event stamped earlier than its predecessor counts as happening at this time. */
  lastMs: number;
}

const noMembers: ReadonlyMap<string, MemberState> = new Map();

type TeamRow = { team_id: string; revision: number; last_ms: number; state_json: string };

/**
 * The folded state of every team: kept in memory for current answers (loaded from `team_states` on start), and stored
 * once per batch for each team the batch changed. What a batch folds counts only once its transaction commits.
 */
export class TeamStatesWriter {
  /** The teams as of the last committed batch; the reader answers from this map. */
  readonly committed = new Map<string, ProjectedTeam>();
  readonly #pending = new Map<string, ProjectedTeam>();
  readonly #read: Database.Statement<[], TeamRow>;
  readonly #write: Database.Statement<[string, number, number, string]>;
  readonly #writeMembership: Database.Statement<[string, string, string]>;
  readonly #deleteMembership: Database.Statement<[string, string]>;

  constructor(db: Database.Database) {
    this.#read = db.prepare<[], TeamRow>('SELECT team_id, revision, last_ms, state_json FROM team_states');
    this.#write = db.prepare<[string, number, number, string]>(
      'INSERT INTO team_states (team_id, revision, last_ms, state_json) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (team_id) DO UPDATE SET revision = excluded.revision, last_ms = excluded.last_ms, state_json = excluded.state_json',
    );
    this.#writeMembership = db.prepare<[string, string, string]>(
      'INSERT INTO team_memberships (user_id, team_id, role) VALUES (?, ?, ?) ' +
        'ON CONFLICT (user_id, team_id) DO UPDATE SET role = excluded.role',
    );
    this.#deleteMembership = db.prepare<[string, string]>(
      'DELETE FROM team_memberships WHERE user_id = ? AND team_id = ?',
    );
  }

  /** The team as folded so far, this batch included. */
  latest(teamId: string): ProjectedTeam | undefined {
    return this.#pending.get(teamId) ?? this.committed.get(teamId);
  }

  set(teamId: string, team: ProjectedTeam): void {
    this.#pending.set(teamId, team);
  }

  /** Starts a batch, dropping what an uncommitted one folded. */
  begin(): void {
    this.#pending.clear();
  }

  /** Inside the batch's transaction: stores each team it changed, once. */
  store(): void {
    for (const [teamId, team] of this.#pending) {
      this.#write.run(teamId, team.revision, team.lastMs, teamStateToJson(team.state));
      this.#storeMemberships(teamId, this.committed.get(teamId)?.state, team.state);
    }
  }

  /** The memberships-by-user rows of the members whose role the batch changed (the member map is copied on change). */
  #storeMemberships(teamId: string, before: TeamState | undefined, after: TeamState): void {
    const old = before?.status === 'active' ? before.members : noMembers;
    const next = after.status === 'active' ? after.members : noMembers;
    if (old === next) return;
    for (const [userId, member] of next) {
      if (old.get(userId)?.role.value !== member.role.value)
        this.#writeMembership.run(userId, teamId, member.role.value);
    }
    for (const userId of old.keys()) if (!next.has(userId)) this.#deleteMembership.run(userId, teamId);
  }

  /** The batch's transaction committed. */
  commit(): void {
    for (const [teamId, team] of this.#pending) this.committed.set(teamId, team);
    this.begin();
  }

  load(): void {
    this.committed.clear();
    this.#pending.clear();
    for (const row of this.#read.iterate()) {
      this.committed.set(row.team_id, {
        state: teamStateFromJson(row.state_json),
        revision: row.revision,
        lastMs: row.last_ms,
      });
    }
  }
}
