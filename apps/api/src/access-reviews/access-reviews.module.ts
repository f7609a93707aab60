import { Module } from '@nestjs/common';
import { AccessReviewService, auditChainHeadFromStore } from '@access-audit/access-reviews';
import { loadCheckpointSigner } from '@access-audit/audit';
import type { EventStore, StreamLocks } from '@access-audit/event-store';
import { CommandsModule } from '../commands/commands.module';
import type { ApiConfig } from '../config/api-config';
import { API_CONFIG } from '../config/api-config.module';
import { EVENT_STORE, STREAM_LOCKS } from '../event-store/event-store.module';
import { AccessReviewsController } from './access-reviews.controller';

/**
 * Access-review campaigns. Revocations go through the team command path with the process's shared stream locks;
 * evidence is signed with the audit checkpoint key (`AUDIT_SIGNING_KEY`, else `$DATA_DIR/audit-signing-key.pem`).
 */
@Module({
  imports: [CommandsModule],
  controllers: [AccessReviewsController],
  providers: [
    {
      provide: AccessReviewService,
      inject: [EVENT_STORE, STREAM_LOCKS, API_CONFIG],
      useFactory: (store: EventStore, locks: StreamLocks, config: ApiConfig): AccessReviewService =>
        new AccessReviewService({
          store,
          locks,
          signer: loadCheckpointSigner({ keyPath: process.env.AUDIT_SIGNING_KEY, dataDir: config.dataDir }),
          auditChainHead: auditChainHeadFromStore(store),
        }),
    },
  ],
})
export class AccessReviewsModule {}
