import { Inject, Injectable } from '@nestjs/common';
import { AuditLog, UnauditableEventError } from '@access-audit/audit';
import { checkPermission, ruleIds } from '@access-audit/domain';
import { readerScope, type Principal } from '../auth/principal';
import { problem, ProblemException, problemTypes } from '../http/problem';
import { teamQuarantinedProblem } from '../http/quarantine-problem';
import { AUDIT_LOG } from './audit-log.provider';

/** The one permission that reads a team's audit log (POLICY.md team-level permissions: owner, enterprise_viewer, security). */
export const auditReadPermission = 'team.audit.view';

/** Only team.audit.view reads the audit log; machine readers (`access:read`) never do. Checked on the team stream itself. */
@Injectable()
export class AuditReadAccess {
  constructor(@Inject(AUDIT_LOG) private readonly audit: AuditLog) {}

  async assertAuditReader(principal: Principal, teamId: string): Promise<void> {
    if (principal.isReader) {
      throw new ProblemException(
        problem(
          403,
          problemTypes.forbidden,
          `a token with the ${readerScope} scope does not read the audit log; it needs ${auditReadPermission}`,
          {
            permission: auditReadPermission,
          },
        ),
      );
    }
    // Before folding the team stream: the event that quarantined the team may be one that cannot be folded either.
    const quarantined = this.audit.quarantine(teamId);
    if (quarantined) throw teamQuarantinedProblem('audit', teamId, quarantined.event);
    const team = await this.audit.teamStateAt(teamId).catch((error: unknown) => {
      if (error instanceof UnauditableEventError) throw teamQuarantinedProblem('audit', teamId, error.event);
      throw error;
    });
    if (team.status !== 'active') {
      throw new ProblemException(
        problem(404, problemTypes.notFound, `team ${teamId} does not exist`, { rule: ruleIds.teamExists }),
      );
    }
    if (!checkPermission(team, principal.userId, auditReadPermission).allowed) {
      throw new ProblemException(
        problem(403, problemTypes.forbidden, `${principal.userId} lacks ${auditReadPermission} on team ${teamId}`, {
          permission: auditReadPermission,
        }),
      );
    }
  }
}
