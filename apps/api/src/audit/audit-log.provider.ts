import { join } from 'node:path';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleInit,
  type Provider,
} from '@nestjs/common';
import { Gauge } from 'prom-client';
import { AuditLog, loadCheckpointSigner } from '@access-audit/audit';
import type { EventStore } from '@access-audit/event-store';
import type { ApiConfig } from '@access-audit/config';
import { API_CONFIG } from '../config/api-config.module';
import { EVENT_STORE } from '../event-store/event-store.module';
import { MetricsService } from '../observability/metrics.service';
import { PERSONAL_DATA } from '../privacy/privacy.module';
import type { PersonalData } from '@access-audit/privacy';
import { quarantineNote, ReadinessRegistry } from '../observability/readiness';

/** Injection token of the process's audit log (`@Inject(AUDIT_LOG) audit: AuditLog`). */
export const AUDIT_LOG = Symbol('AUDIT_LOG');

export const auditIndexFileName = 'audit-index.db';

const logger = new Logger('Audit');

export const auditLogProvider: Provider = {
  provide: AUDIT_LOG,
  inject: [EVENT_STORE, API_CONFIG, PERSONAL_DATA],
  useFactory: (store: EventStore, config: ApiConfig, personalData: PersonalData): AuditLog =>
    new AuditLog({
      store,
      personalData,
      // AUDIT_SIGNING_KEY in a cluster (every instance the same key); the embedded default generates one into DATA_DIR.
      signer: loadCheckpointSigner({ keyPath: process.env.AUDIT_SIGNING_KEY, dataDir: config.dataDir }),
      indexPath: config.eventStore === 'memory:' ? ':memory:' : join(config.dataDir, auditIndexFileName),
      onError: (message, error) =>
        logger.error(`${message}: ${error instanceof Error ? error.message : String(error)}`),
    }),
};

/**
 * Runs the audit projection and its index inside the API process: started on module init (after the index caught up
 * with the audit streams), stopped before the event store closes. Registers the "audit" readiness check and the
 * `audit_verification_failed_teams` gauge.
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
    const audit = this.audit;
    new Gauge({
      name: 'audit_verification_failed_teams',
      help: 'Teams whose audit log did not verify (chain, source events or unsigned tail) when last verified or due for a checkpoint',
      registers: [this.metrics.registry],
      collect() {
        this.set(audit.integrityFailures.size);
      },
    });
    this.readiness.register({
      name: 'audit',
      check: async () => {
        // A team that fails verification keeps the instance ready: it is reported (metric, verify), not served less.
        const failing = this.audit.integrityFailures.size;
        const failures = failing > 0 ? `; ${failing} team(s) failed audit verification` : '';
        const head = await this.store.headPosition();
        if (head === undefined || (await this.audit.isIndexedThrough(head))) {
          return {
            ready: true,
            detail: `indexed through ${this.audit.indexedThrough ?? 'the start'}${quarantineNote(this.audit.quarantinedTeams().length)}${failures}`,
          };
        }
        return { ready: false, detail: `recording and indexing audit entries${failures}` };
      },
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.audit.stop();
  }
}
