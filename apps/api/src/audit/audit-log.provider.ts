import { join } from 'node:path';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleInit,
  type Provider,
} from '@nestjs/common';
import { AuditLog, loadCheckpointSigner } from '@access-audit/audit';
import type { EventStore } from '@access-audit/event-store';
import type { ApiConfig } from '@access-audit/config';
import { API_CONFIG } from '../config/api-config.module';
import { EVENT_STORE } from '../event-store/event-store.module';
import { MetricsService } from '../observability/metrics.service';
import { quarantineNote, ReadinessRegistry } from '../observability/readiness';

/** Injection token of the process's audit log (`@Inject(AUDIT_LOG) audit: AuditLog`). */
export const AUDIT_LOG = Symbol('AUDIT_LOG');

export const auditIndexFileName = 'audit-index.db';

const logger = new Logger('Audit');

export const auditLogProvider: Provider = {
  provide: AUDIT_LOG,
  inject: [EVENT_STORE, API_CONFIG],
  useFactory: (store: EventStore, config: ApiConfig): AuditLog =>
    new AuditLog({
      store,
      // AUDIT_SIGNING_KEY in a cluster (every instance the same key); the embedded default generates one into DATA_DIR.
      signer: loadCheckpointSigner({ keyPath: process.env.AUDIT_SIGNING_KEY, dataDir: config.dataDir }),
      indexPath: config.eventStore === 'memory:' ? ':memory:' : join(config.dataDir, auditIndexFileName),
      onError: (message, error) =>
        logger.error(`${message}: ${error instanceof Error ? error.message : String(error)}`),
    }),
};

/**
 * Runs the audit projection and its index inside the API process: started on module init (after the index caught up
 * with the audit streams), stopped before the event store closes. Registers the "audit" readiness check.
 */
@Injectable()
export class AuditLifecycle implements OnModuleInit, BeforeApplicationShutdown {
  constructor(
    @Inject(AUDIT_LOG) private readonly audit: AuditLog,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly readiness: ReadinessRegistry,
    private readonly metrics: MetricsService,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.audit.start();
    this.metrics.countQuarantinedTeams('audit', () => this.audit.quarantinedTeams().length);
    this.readiness.register({
      name: 'audit',
      check: async () => {
        const head = await this.store.headPosition();
        if (head === undefined || (await this.audit.isIndexedThrough(head))) {
          return {
            ready: true,
            detail: `indexed through ${this.audit.indexedThrough ?? 'the start'}${quarantineNote(this.audit.quarantinedTeams().length)}`,
          };
        }
        return { ready: false, detail: 'recording and indexing audit entries' };
      },
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.audit.stop();
  }
}
