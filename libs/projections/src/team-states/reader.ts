import {
  checkPermission,
  effectivePermissions,
  type ActiveTeam,
  type Permission,
  type TeamState,
  type Via,
} from '@access-audit/domain';
import type { CheckAnswer, MemberPermissionGrant, PermissionSelection } from '../model';
import { teamViewOf, type TeamView } from './team-view';
import type { ProjectedTeam } from './writer';

const noTeam: TeamState = { status: 'none' };

/** Current answers: from the folded team states in memory, through the domain's `checkPermission` / `effectivePermissions`. */
/** How many selections' permissions answers a team keeps between two of its changes. */
const maxPermissionsAnswersPerTeam = 1024;

interface PermissionsAnswers {
  /** The state and revision the answers were built from: any change of the team makes them stale. */
  state: TeamState;
  revision: number;
  count: number;
  byUser: Map<string | undefined, Map<string | undefined, readonly MemberPermissionGrant[]>>;
}

export class TeamStatesReader {
  /** Per projected team: its permissions answers since its last change (gone with the team object it was built for). */
  readonly #permissionsAnswers = new WeakMap<ProjectedTeam, PermissionsAnswers>();

  constructor(private readonly teams: ReadonlyMap<string, ProjectedTeam>) {}

  team(teamId: string): ProjectedTeam | undefined {
    return this.teams.get(teamId);
  }

  teamIds(): string[] {
    return [...this.teams.keys()];
  }

  /** The folded state of a team now, or undefined when no such team exists. */
  teamState(teamId: string): ActiveTeam | undefined {
    const state = this.teams.get(teamId)?.state;
    return state?.status === 'active' ? state : undefined;
  }

  teamView(teamId: string): TeamView | undefined {
    const state = this.teamState(teamId);
    return state && teamViewOf(state);
  }

  check(teamId: string, userId: string, permission: Permission, projectId?: string): CheckAnswer {
    return checkPermission(this.teams.get(teamId)?.state ?? noTeam, userId, permission, projectId);
  }

  /**
   * Every effective permission of the selection (team-level ones, plus those on `projectId` or on every project).
   * Built once per change of the team: the answer (frozen, shared by every caller) is kept until the team changes.
   */
  permissions(teamId: string, { userId, projectId }: PermissionSelection = {}): readonly MemberPermissionGrant[] {
    const team = this.teams.get(teamId);
    if (team?.state.status !== 'active') return [];
    let answers = this.#permissionsAnswers.get(team);
    if (!answers || answers.state !== team.state || answers.revision !== team.revision) {
      answers = { state: team.state, revision: team.revision, count: 0, byUser: new Map() };
      this.#permissionsAnswers.set(team, answers);
    }
    let byProject = answers.byUser.get(userId);
    if (!byProject) answers.byUser.set(userId, (byProject = new Map()));
    let answer = byProject.get(projectId);
    if (!answer) {
      // A team read with ever new selections keeps only the latest ones.
      if (answers.count >= maxPermissionsAnswersPerTeam) {
        answers.byUser.clear();
        answers.byUser.set(userId, byProject);
        answers.count = 0;
      }
      answer = Object.freeze(this.#permissionsOf(team.state, userId, projectId).map((grant) => Object.freeze(grant)));
      byProject.set(projectId, answer);
      answers.count++;
    }
    return answer;
  }

  #permissionsOf(
    state: ActiveTeam,
    userId: string | undefined,
    projectId: string | undefined,
  ): MemberPermissionGrant[] {
    const userIds = userId !== undefined ? [userId] : [...state.members.keys()].sort();
    return userIds.flatMap((user) =>
      effectivePermissions(state, user, projectId).map((grant) => ({ userId: user, ...grant })),
    );
  }

  /** Who holds `permission` on the project, each with why. */
  projectAccess(teamId: string, projectId: string, permission: Permission): Array<{ userId: string; via: Via[] }> {
    const state = this.teamState(teamId);
    if (!state) return [];
    return [...state.members.keys()]
      .sort()
      .map((userId) => ({ userId, ...checkPermission(state, userId, permission, projectId) }))
      .filter((answer) => answer.allowed)
      .map(({ userId, via }) => ({ userId, via }));
  }
}
