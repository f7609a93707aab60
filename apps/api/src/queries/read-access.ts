import { Inject, Injectable } from '@nestjs/common';
import {
  ReadAuthorizer,
  teamReadRefusal,
  type ReadPrincipal,
  type ReadSubject,
  type TeamStateRead,
  type TeamStateSource,
} from '@access-audit/application';
import { initialTeamState, type ActiveTeam } from '@access-audit/domain';
import type { AccessReadModels } from '@access-audit/projections';
import { readableTeam, readRefusalProblem } from '../http/read-refusal';
import { ACCESS_READ_MODELS } from './read-models.provider';

/** The team as the access read models hold it now; a quarantined team's state is stale, so it is not handed out. */
/** A team state source that answers at once (the read models are in memory). */
interface InMemoryTeamStates extends TeamStateSource {
  teamState(teamId: string): TeamStateRead;
}

const readModelTeamStates = (models: AccessReadModels): InMemoryTeamStates => ({
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
  readonly #teamStates: InMemoryTeamStates;

  constructor(@Inject(ACCESS_READ_MODELS) private readonly models: AccessReadModels) {
    this.#teamStates = readModelTeamStates(models);
    this.#authorizer = new ReadAuthorizer(this.#teamStates);
  }

  /** An answer about the whole team (or about another member); the team as it is now. */
  assertTeamReader(principal: ReadPrincipal, teamId: string): ActiveTeam {
    return this.#decide(principal, { kind: 'team', teamId });
  }

  /** An answer about one member: themselves, or anyone for a team reader. */
  assertMemberReader(principal: ReadPrincipal, teamId: string, userId: string | undefined): ActiveTeam {
    return this.#decide(principal, { kind: 'member', teamId, userId });
  }

  // The read models are in memory: the decision is taken at once, with no wait for a promise.
  #decide(principal: ReadPrincipal, subject: ReadSubject): ActiveTeam {
    return readableTeam(this.#authorizer.decide(principal, subject, this.#teamStates.teamState(subject.teamId)));
  }

  /**
   * The team as the caller's list of teams shows it, when they may read it (the same decision as a team read); a
   * quarantined team is listed as it last was, marked so, where its own queries would answer 503.
   */
  listedTeam(principal: ReadPrincipal, teamId: string): { team: ActiveTeam; quarantined: boolean } | undefined {
    const team = this.models.queries.teamState(teamId);
    if (!team || teamReadRefusal(team, principal, { kind: 'team', teamId })) return undefined;
    return { team, quarantined: this.models.projection.quarantine(teamId) !== undefined };
  }

  /** The change feed of every team is for machine readers only. */
  assertAllTeamsReader(principal: ReadPrincipal): void {
    const refusal = this.#authorizer.allTeams(principal);
    if (refusal) throw readRefusalProblem(refusal);
  }
}
