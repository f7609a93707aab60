import { checkPermission, ruleIds, type ActiveTeam, type Permission, type TeamState } from '@access-audit/domain';

/** The token scope of a machine reader: it reads every team's access and change feed, never commands nor audit logs. */
export const readerScope = 'access:read';

/** Who is reading: the token's subject, and whether it is a machine reader (`access:read`). */
export interface ReadPrincipal {
  userId: string;
  isReader: boolean;
}

/** What is read, of which team. */
export type ReadSubject =
  /** An answer about the whole team: team.view or team.audit.view, or a machine reader. */
  | { kind: 'team'; teamId: string }
  /** An answer about one member (none named: every member): the member themselves, else as for `team`. */
  | { kind: 'member'; teamId: string; userId: string | undefined }
  /** The team's audit log: team.audit.view only; a machine reader never. */
  | { kind: 'audit'; teamId: string };

/** The failed event a quarantined source names: never its data. */
export interface QuarantinedEventRef {
  id: string;
  type: string;
  position: string;
  streamRevision: number;
}

/** Why the read is refused; the HTTP edge maps `kind` to a status (403, 404). */
export type ReadRefusal =
  | { kind: 'forbidden'; permission: Permission | typeof readerScope; message: string }
  | { kind: 'not_found'; rule: typeof ruleIds.teamExists; message: string };

/** The source stopped at an event of the team it could not apply; it answers nothing about the team (HTTP 503). */
export interface TeamUnavailable {
  kind: 'unavailable';
  readModel: TeamStateSource['readModel'];
  teamId: string;
  event: QuarantinedEventRef;
}

export type ReadDecision =
  { allowed: true; team: ActiveTeam } | { allowed: false; refusal: ReadRefusal | TeamUnavailable };

/** The team as a source holds it, or the event it is quarantined at. */
export type TeamStateRead = { ok: true; team: TeamState } | { ok: false; quarantinedAt: QuarantinedEventRef };

/** Where the team state a read is judged on comes from (the access read models, the audit log's fold of the stream). */
export interface TeamStateSource {
  /** Which copy of the team a quarantine refers to. */
  readonly readModel: 'access' | 'audit';
  teamState(teamId: string): TeamStateRead | Promise<TeamStateRead>;
}

const auditReadPermission: Permission = 'team.audit.view';
const teamReadPermissions: readonly Permission[] = ['team.view', 'team.audit.view'];

/** The refusal that needs no team state: a machine reader asking for an audit log. */
export function principalReadRefusal(principal: ReadPrincipal, subject: ReadSubject): ReadRefusal | undefined {
  if (subject.kind === 'audit' && principal.isReader) {
    return {
      kind: 'forbidden',
      permission: auditReadPermission,
      message: `a token with the ${readerScope} scope does not read the audit log; it needs ${auditReadPermission}`,
    };
  }
  return undefined;
}

/** The one decision on a read of one team, on the team as the caller's source holds it; undefined: allowed. */
export function teamReadRefusal(
  team: TeamState,
  principal: ReadPrincipal,
  subject: ReadSubject,
): ReadRefusal | undefined {
  const early = principalReadRefusal(principal, subject);
  if (early) return early;
  const { teamId } = subject;
  if (team.status !== 'active') {
    return { kind: 'not_found', rule: ruleIds.teamExists, message: `team ${teamId} does not exist` };
  }
  switch (subject.kind) {
    case 'audit':
      if (checkPermission(team, principal.userId, auditReadPermission).allowed) return undefined;
      return {
        kind: 'forbidden',
        permission: auditReadPermission,
        message: `${principal.userId} lacks ${auditReadPermission} on team ${teamId}`,
      };
    case 'member':
      if (subject.userId !== undefined && subject.userId === principal.userId) return undefined;
      return teamReaderRefusal(team, principal, teamId);
    case 'team':
      return teamReaderRefusal(team, principal, teamId);
  }
}

function teamReaderRefusal(team: ActiveTeam, principal: ReadPrincipal, teamId: string): ReadRefusal | undefined {
  if (principal.isReader) return undefined;
  if (teamReadPermissions.some((permission) => checkPermission(team, principal.userId, permission).allowed))
    return undefined;
  return {
    kind: 'forbidden',
    permission: 'team.view',
    message: `${principal.userId} lacks team.view (or team.audit.view) on team ${teamId}`,
  };
}

/** The change feed of every team is for machine readers only. */
export function allTeamsReadRefusal(principal: ReadPrincipal): ReadRefusal | undefined {
  if (principal.isReader) return undefined;
  return {
    kind: 'forbidden',
    permission: readerScope,
    message: `the change feed of every team needs a token with the ${readerScope} scope; pass teamId to read one team's feed`,
  };
}

/**
 * Every read route's authorization: what needs no team first, then the team from the injected source (a quarantined
 * team answers nothing, not even who may read it), then `teamReadRefusal` on it.
 */
export class ReadAuthorizer {
  constructor(private readonly source: TeamStateSource) {}

  async authorize(principal: ReadPrincipal, subject: ReadSubject): Promise<ReadDecision> {
    const early = principalReadRefusal(principal, subject);
    if (early) return { allowed: false, refusal: early };
    return this.decide(principal, subject, await this.source.teamState(subject.teamId));
  }

  /** `authorize` on the team as the source already gave it (a synchronous source's read, with nothing to wait for). */
  decide(principal: ReadPrincipal, subject: ReadSubject, read: TeamStateRead): ReadDecision {
    const early = principalReadRefusal(principal, subject);
    if (early) return { allowed: false, refusal: early };
    if (!read.ok) {
      return {
        allowed: false,
        refusal: {
          kind: 'unavailable',
          readModel: this.source.readModel,
          teamId: subject.teamId,
          event: read.quarantinedAt,
        },
      };
    }
    const refusal = teamReadRefusal(read.team, principal, subject);
    // teamReadRefusal refuses every team that is not active.
    return refusal ? { allowed: false, refusal } : { allowed: true, team: read.team as ActiveTeam };
  }

  allTeams(principal: ReadPrincipal): ReadRefusal | undefined {
    return allTeamsReadRefusal(principal);
  }
}
