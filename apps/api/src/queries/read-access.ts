import { Inject, Injectable } from '@nestjs/common';
import { checkPermission, ruleIds, type ActiveTeam } from '@access-audit/domain';
import type { AccessReadModels } from '@access-audit/projections';
import type { Principal } from '../auth/principal';
import { readerScope } from '../auth/principal';
import { problem, ProblemException, problemTypes } from '../http/problem';
import { teamQuarantinedProblem } from '../http/quarantine-problem';
import { ACCESS_READ_MODELS } from './read-models.provider';

/** Team-wide answers need one of these (POLICY.md team-level permissions), checked on the team as it is now. */
const teamReadPermissions = ['team.view', 'team.audit.view'] as const;

/**
 * Who may read what: an `access:read` machine reader reads every team; a member with team.view or team.audit.view
 * reads their team; anyone reads their own permissions, checks and timeline.
 */
@Injectable()
export class ReadAccess {
  constructor(@Inject(ACCESS_READ_MODELS) private readonly models: AccessReadModels) {}

  /** The team as it is now; 404 when it does not exist, 503 when its read models are quarantined. */
  existingTeam(teamId: string): ActiveTeam {
    // Before any permission check: a quarantined team's state is stale, so it answers nothing, not even who may read.
    const quarantined = this.models.projection.quarantine(teamId);
    if (quarantined) throw teamQuarantinedProblem('access', teamId, quarantined.event);
    const team = this.models.queries.teamState(teamId);
    if (!team) {
      throw new ProblemException(
        problem(404, problemTypes.notFound, `team ${teamId} does not exist`, { rule: ruleIds.teamExists }),
      );
    }
    return team;
  }

  /** An answer about the whole team (or about another member). */
  assertTeamReader(principal: Principal, teamId: string): ActiveTeam {
    const team = this.existingTeam(teamId);
    if (principal.isReader) return team;
    if (teamReadPermissions.some((permission) => checkPermission(team, principal.userId, permission).allowed))
      return team;
    throw new ProblemException(
      problem(
        403,
        problemTypes.forbidden,
        `${principal.userId} lacks team.view (or team.audit.view) on team ${teamId}`,
        {
          permission: 'team.view',
        },
      ),
    );
  }

  /** An answer about one member: themselves, or anyone for a team reader. */
  assertMemberReader(principal: Principal, teamId: string, userId: string | undefined): ActiveTeam {
    if (userId !== undefined && userId === principal.userId) return this.existingTeam(teamId);
    return this.assertTeamReader(principal, teamId);
  }

  /** The change feed of every team is for machine readers only. */
  assertAllTeamsReader(principal: Principal): void {
    if (principal.isReader) return;
    throw new ProblemException(
      problem(
        403,
        problemTypes.forbidden,
        `the change feed of every team needs a token with the ${readerScope} scope; pass teamId to read one team's feed`,
        { permission: readerScope },
      ),
    );
  }
}
