import { Global, Module } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { AUDIT_LOG, AuditLifecycle, auditLogProvider } from './audit-log.provider';
import { AuditReadAccess } from './audit-read-access';
import { AuditDenialRecorder, DENIAL_RECORDER } from './denial-recorder';

/**
 * The audit log: the projection writing `audit-<teamId>` streams and their index, run in this process; the audit
 * routes; and the denial recorder the command path calls on every refusal (global, so the command module finds it).
 */
@Global()
@Module({
  controllers: [AuditController],
  providers: [
    auditLogProvider,
    AuditLifecycle,
    AuditReadAccess,
    { provide: DENIAL_RECORDER, useClass: AuditDenialRecorder },
  ],
  exports: [AUDIT_LOG, DENIAL_RECORDER],
})
export class AuditModule {}
