import type { SubjectKeys } from '@access-audit/privacy';
import { PERSONAL_DATA } from '../privacy/privacy.module';
import { Logger, Module } from '@nestjs/common';
import { AccessReviewService, auditChainHeadFromStore } from '@access-audit/access-reviews';
import type { TeamCommands } from '@access-audit/application';
import { loadCheckpointSigner, type AuditLog } from '@access-audit/audit';
import type { EventStore, StreamLocks } from '@access-audit/event-store';
import { AUDIT_LOG } from '../audit/audit-log.provider';
import { CommandsModule } from '../commands/commands.module';
import { TEAM_COMMANDS } from '../commands/team-commands.provider';
import type { ApiConfig } from '@access-audit/config';
import { API_CONFIG } from '../config/api-config.module';
import { EVENT_STORE, STREAM_LOCKS } from '../event-store/event-store.module';
import { AccessReviewsController } from './access-reviews.controller';

/** How long completing a campaign waits for the audit log to record its revocations before reading the chain head. */
const auditCatchUpMs = 2000;

const logger = new Logger('AccessReviews');

/**
 * Access-review campaigns. Revocations are issued through `TEAM_COMMANDS`, as every team command of this process is
 * (metrics, denial records); refused campaign commands reach the audit log's denial record; evidence is signed with the audit checkpoint key (`AUDIT_SIGNING_KEY`,
 * else `$DATA_DIR/audit-signing-key.pem`, loaded by the audit library).
 */
@Module({
  imports: [CommandsModule],
  controllers: [AccessReviewsController],
  providers: [
    {
      provide: AccessReviewService,
      inject: [EVENT_STORE, STREAM_LOCKS, TEAM_COMMANDS, API_CONFIG, AUDIT_LOG, PERSONAL_DATA],
      useFactory: (
        store: EventStore,
        locks: StreamLocks,
        teamCommands: TeamCommands,
        config: ApiConfig,
        audit: AuditLog,
        personalData: SubjectKeys,
      ): AccessReviewService =>
        new AccessReviewService({
          store,
          personalData,
          locks,
          teamCommands,
          signer: loadCheckpointSigner({ keyPath: process.env.AUDIT_SIGNING_KEY, dataDir: config.dataDir }),
          auditChainHead: auditChainHeadFromStore(store, async (_teamId, throughPosition) => {
            if (throughPosition !== undefined) await audit.waitUntilIndexed(throughPosition, auditCatchUpMs);
          }),
          onRefused: async (refused) => {
            try {
              await audit.recordDenial(refused);
            } catch (error) {
              // The refusal stands whatever happens here; the failure to record it is reported.
              logger.error(
                `recording a denied ${refused.commandType} on team ${refused.teamId} failed: ${error instanceof Error ? error.message : String(error)}`,
              );
            }
          },
        }),
    },
  ],
})
export class AccessReviewsModule {}
