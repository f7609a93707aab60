import { Inject, Injectable } from '@nestjs/common';
import { ReadAuthorizer, type ReadPrincipal, type TeamStateSource } from '@access-audit/application';
import { AuditLog, UnauditableEventError } from '@access-audit/audit';
import { readableTeam } from '../http/read-refusal';
import { AUDIT_LOG } from './audit-log.provider';

/** The team folded from its stream by the audit log; quarantined when the audit log is, or when it cannot be folded. */
const auditTeamStates = (audit: AuditLog): TeamStateSource => ({
  readModel: 'audit',
  teamState: async (teamId) => {
    // Before folding the team stream: the event that quarantined the team may be one that cannot be folded either.
    const quarantined = audit.quarantine(teamId);
    if (quarantined) return { ok: false, quarantinedAt: quarantined.event };
    try {
      return { ok: true, team: await audit.teamStateAt(teamId) };
    } catch (error) {
      if (error instanceof UnauditableEventError) return { ok: false, quarantinedAt: error.event };
      throw error;
    }
  },
});

/** Only team.audit.view reads the audit log; machine readers (`access:read`) never do. Judged on the team stream itself. */
@Injectable()
export class AuditReadAccess {
  readonly #authorizer: ReadAuthorizer;

  constructor(@Inject(AUDIT_LOG) audit: AuditLog) {
    this.#authorizer = new ReadAuthorizer(auditTeamStates(audit));
  }

  async assertAuditReader(principal: ReadPrincipal, teamId: string): Promise<void> {
    readableTeam(await this.#authorizer.authorize(principal, { kind: 'audit', teamId }));
  }
}
