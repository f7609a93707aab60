import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditLog, deniedTeamCommand } from '@access-audit/audit';
import type { PersonalText, Rejection, TeamCommand } from '@access-audit/domain';
import type { RequestContext } from '@access-audit/event-store';
import { AUDIT_LOG } from './audit-log.provider';

/** Injection token of the recorder the command path calls on every domain rejection (optional there). */
export const DENIAL_RECORDER = Symbol('DENIAL_RECORDER');

export interface DenialRecorder {
  /** Records the refused command in the team's audit stream (rate-limited per actor); never throws. */
  record(
    command: TeamCommand,
    rejection: Rejection,
    context: { requestContext?: RequestContext; teamStreamRevision?: number; reason?: PersonalText },
  ): Promise<void>;
}

const logger = new Logger('Audit');

@Injectable()
export class AuditDenialRecorder implements DenialRecorder {
  constructor(@Inject(AUDIT_LOG) private readonly audit: AuditLog) {}

  async record(
    command: TeamCommand,
    rejection: Rejection,
    context: { requestContext?: RequestContext; teamStreamRevision?: number; reason?: PersonalText },
  ): Promise<void> {
    try {
      await this.audit.recordDenial(
        deniedTeamCommand(command, rejection, context.requestContext, context.teamStreamRevision, context.reason),
      );
    } catch (error) {
      // The refusal stands whatever happens here; the failure to record it is reported.
      logger.error(
        `recording a denied ${command.type} on team ${command.teamId} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
