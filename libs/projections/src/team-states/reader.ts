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
export class TeamStatesReader {
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

  /** Every effective permission of the selection (team-level ones, plus those on `projectId` or on every project). */
  permissions(teamId: string, { userId, projectId }: PermissionSelection = {}): MemberPermissionGrant[] {
    const state = this.teams.get(teamId)?.state ?? noTeam;
    if (state.status !== 'active') return [];
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
