import { Inject, Injectable } from '@nestjs/common';
import { ReadAuthorizer, type ReadPrincipal, type TeamStateSource } from '@access-audit/application';
import { initialTeamState, type ActiveTeam } from '@access-audit/domain';
import type { AccessReadModels } from '@access-audit/projections';
import { readableTeam, readRefusalProblem } from '../http/read-refusal';
import { ACCESS_READ_MODELS } from './read-models.provider';

/** The team as the access read models hold it now; a quarantined team's state is stale, so it is not handed out. */
const readModelTeamStates = (models: AccessReadModels): TeamStateSource => ({
  readModel: 'access',
  teamState: (teamId) => {
    const quarantined = models.projection.quarantine(teamId);
    if (quarantined) return { ok: false, quarantinedAt: quarantined.event };
    return { ok: true, team: models.queries.teamState(teamId) ?? initialTeamState() };
  },
});

/**
 * The query routes' reads, judged by the one read authorization on the access read models: an `access:read` machine
 * reader reads every team; a member with team.view or team.audit.view reads their team; anyone reads their own
 * permissions, checks and timeline.
 */
@Injectable()
export class ReadAccess {
  readonly #authorizer: ReadAuthorizer;

  constructor(@Inject(ACCESS_READ_MODELS) models: AccessReadModels) {
    this.#authorizer = new ReadAuthorizer(readModelTeamStates(models));
  }

  /** An answer about the whole team (or about another member); the team as it is now. */
  async assertTeamReader(principal: ReadPrincipal, teamId: string): Promise<ActiveTeam> {
    return readableTeam(await this.#authorizer.authorize(principal, { kind: 'team', teamId }));
  }

  /** An answer about one member: themselves, or anyone for a team reader. */
  async assertMemberReader(principal: ReadPrincipal, teamId: string, userId: string | undefined): Promise<ActiveTeam> {
    return readableTeam(await this.#authorizer.authorize(principal, { kind: 'member', teamId, userId }));
  }

  /** The change feed of every team is for machine readers only. */
  assertAllTeamsReader(principal: ReadPrincipal): void {
    const refusal = this.#authorizer.allTeams(principal);
    if (refusal) throw readRefusalProblem(refusal);
  }
}
