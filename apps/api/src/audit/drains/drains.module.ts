import { Module } from '@nestjs/common';
import { CommandsModule } from '../../commands/commands.module';
import { AuditReadAccess } from '../audit-read-access';
import { AuditDrainsController } from './drains.controller';
import { drainProviders, DrainsLifecycle } from './drains.provider';

/**
 * Audit log drains: the routes (drain configuration is team commands through `TEAM_COMMANDS`), the sealed secrets,
 * and the delivery workers run in this process.
 */
@Module({
  imports: [CommandsModule],
  controllers: [AuditDrainsController],
  providers: [...drainProviders, DrainsLifecycle, AuditReadAccess],
})
export class AuditDrainsModule {}
