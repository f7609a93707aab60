import type { PersonalData, SubjectKeys } from '@access-audit/privacy';
import { PERSONAL_DATA } from '../../privacy/privacy.module';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type Provider,
} from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { DrainDeliveries, DrainSecretKey, DrainSecrets, type DrainStatus } from '@access-audit/audit';
import type { ApiConfig } from '@access-audit/config';
import type { EventStore } from '@access-audit/event-store';
import { API_CONFIG } from '../../config/api-config.module';
import { EVENT_STORE } from '../../event-store/event-store.module';
import { MetricsService } from '../../observability/metrics.service';
import { drainEnvironment, type DrainEnvironment } from './drain-options';

export const DRAIN_ENVIRONMENT = Symbol('DRAIN_ENVIRONMENT');
export const DRAIN_SECRETS = Symbol('DRAIN_SECRETS');
export const DRAIN_DELIVERIES = Symbol('DRAIN_DELIVERIES');

const logger = new Logger('AuditDrains');

export const drainProviders: Provider[] = [
  { provide: DRAIN_ENVIRONMENT, useFactory: (): DrainEnvironment => drainEnvironment() },
  {
    provide: DRAIN_SECRETS,
    inject: [EVENT_STORE, API_CONFIG, DRAIN_ENVIRONMENT, PERSONAL_DATA],
    useFactory: (store: EventStore, config: ApiConfig, env: DrainEnvironment, keys: SubjectKeys): DrainSecrets =>
      new DrainSecrets(
        store,
        DrainSecretKey.load({
          ...(env.secretKey !== undefined ? { value: env.secretKey } : {}),
          dataDir: config.dataDir,
        }),
        keys,
      ),
  },
  {
    provide: DRAIN_DELIVERIES,
    inject: [EVENT_STORE, DRAIN_SECRETS, DRAIN_ENVIRONMENT, MetricsService, PERSONAL_DATA],
    useFactory: (
      store: EventStore,
      secrets: DrainSecrets,
      env: DrainEnvironment,
      metrics: MetricsService,
      personalData: PersonalData,
    ): DrainDeliveries => {
      const batches = new Counter({
        name: 'audit_drain_batches_total',
        help: 'Drain batches this instance sent, by drain and result (delivered: a 2xx; failed: anything else)',
        labelNames: ['drain_id', 'result'] as const,
        registers: [metrics.registry],
      });
      const records = new Counter({
        name: 'audit_drain_records_delivered_total',
        help: 'Audit records (entries and checkpoints) this instance delivered, by drain',
        labelNames: ['drain_id'] as const,
        registers: [metrics.registry],
      });
      const duration = new Histogram({
        name: 'audit_drain_delivery_duration_seconds',
        help: 'Time from sending a drain batch to its 2xx',
        labelNames: ['drain_id'] as const,
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [metrics.registry],
      });
      const pauses = new Counter({
        name: 'audit_drain_pauses_total',
        help: 'Drains this instance paused after failing past the pause bound',
        labelNames: ['drain_id'] as const,
        registers: [metrics.registry],
      });
      return new DrainDeliveries({
        store,
        secrets,
        personalData,
        allow: env.allow,
        ...env.delivery,
        observer: {
          delivered: (drainId, count, _bytes, seconds) => {
            batches.inc({ drain_id: drainId, result: 'delivered' });
            records.inc({ drain_id: drainId }, count);
            duration.observe({ drain_id: drainId }, seconds);
          },
          failed: (drainId) => batches.inc({ drain_id: drainId, result: 'failed' }),
          paused: (drainId) => pauses.inc({ drain_id: drainId }),
        },
        onError: (message, error) =>
          logger.error(`${message}: ${error instanceof Error ? error.message : String(error)}`),
      });
    },
  },
];

/** How long one scrape's drain states are reused by the other gauges of the same scrape. */
const snapshotMs = 500;

/**
 * Runs the drain workers inside the API process (every instance runs one per drain; the lease lets one deliver), and
 * registers the per-drain gauges, read from the shared delivery state at each scrape.
 */
@Injectable()
export class DrainsLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  #snapshot: { at: number; states: Promise<Array<{ teamId: string; status: DrainStatus }>> } | undefined;

  constructor(
    @Inject(DRAIN_DELIVERIES) private readonly deliveries: DrainDeliveries,
    private readonly metrics: MetricsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.deliveries.start();
    const registers = [this.metrics.registry];
    const labelNames = ['team_id', 'drain_id'] as const;
    const gauge = (name: string, help: string, value: (status: DrainStatus) => number): void => {
      const states = (): Promise<Array<{ teamId: string; status: DrainStatus }>> => this.#states();
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          this.reset();
          for (const { teamId, status } of await states()) {
            this.set({ team_id: teamId, drain_id: status.drainId }, value(status));
          }
        },
      });
    };
    gauge(
      'audit_drain_lag_entries',
      'Audit entries appended and not yet acknowledged by the drain',
      (s) => s.lagEntries,
    );
    gauge('audit_drain_lag_seconds', 'How long the oldest record not yet acknowledged has waited', (s) => s.lagSeconds);
    gauge(
      'audit_drain_delivered_through',
      'Sequence of the last entry the drain acknowledged',
      (s) => s.deliveredThrough,
    );
    gauge('audit_drain_paused', '1 while the drain is paused (failing past the pause bound; resume it)', (s) =>
      s.status === 'paused' ? 1 : 0,
    );
    gauge('audit_drain_failing', '1 while deliveries to the drain fail and are retried', (s) =>
      s.status === 'failing' ? 1 : 0,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.deliveries.stop();
  }

  #states(): Promise<Array<{ teamId: string; status: DrainStatus }>> {
    const now = Date.now();
    if (this.#snapshot && now - this.#snapshot.at < snapshotMs) return this.#snapshot.states;
    const states = Promise.all(
      this.deliveries
        .drains()
        .map(async (drain) => ({ teamId: drain.teamId, status: await this.deliveries.status(drain) })),
    );
    this.#snapshot = { at: now, states };
    return states;
  }
}
