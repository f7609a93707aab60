import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
  type Provider,
} from '@nestjs/common';
import type { EventStore } from '@access-audit/event-store';
import { AccessReadModels } from '@access-audit/projections';
import { type ApiConfig, readModelPath } from '@access-audit/config';
import { API_CONFIG } from '../config/api-config.module';
import { EVENT_STORE } from '../event-store/event-store.module';
import { MetricsService } from '../observability/metrics.service';
import { quarantineNote, ReadinessRegistry } from '../observability/readiness';

/** Injection token of the process's access read models (`@Inject(ACCESS_READ_MODELS) models: AccessReadModels`). */
export const ACCESS_READ_MODELS = Symbol('ACCESS_READ_MODELS');

const logger = new Logger('Projections');

export const accessReadModelsProvider: Provider = {
  provide: ACCESS_READ_MODELS,
  inject: [EVENT_STORE, API_CONFIG],
  useFactory: (store: EventStore, config: ApiConfig): AccessReadModels =>
    AccessReadModels.open(store, readModelPath(config), {
      onError: (error) =>
        logger.error(
          `projection failed, retrying from the checkpoint: ${error instanceof Error ? error.message : String(error)}`,
        ),
      onQuarantine: ({ teamId, event }, error) =>
        logger.error(
          `team ${teamId} quarantined: applying its event ${event.id} (${event.type}, position ${event.position}) failed: ${error instanceof Error ? error.message : String(error)}; every other team goes on`,
        ),
    }),
};

/** Open change-feed streams; ended before the HTTP server closes, since a stream never finishes by itself. */
@Injectable()
export class OpenStreams {
  readonly #controllers = new Set<AbortController>();

  open(): AbortController {
    const controller = new AbortController();
    this.#controllers.add(controller);
    controller.signal.addEventListener('abort', () => this.#controllers.delete(controller));
    return controller;
  }

  closeAll(): void {
    for (const controller of [...this.#controllers]) controller.abort();
  }
}

/**
 * Runs the projection inside the API process: started on module init, stopped before the HTTP server and the event
 * store close, the read-model database closed once requests are done. Registers the "projections" readiness check.
 */
@Injectable()
export class ProjectionLifecycle
  implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown, OnApplicationShutdown
{
  constructor(
    @Inject(ACCESS_READ_MODELS) private readonly models: AccessReadModels,
    private readonly readiness: ReadinessRegistry,
    private readonly streams: OpenStreams,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.models.start();
    this.metrics.countQuarantinedTeams('access', () => this.models.projection.quarantinedTeams().length);
    this.readiness.register({
      name: 'projections',
      check: async () => {
        // Ready while other teams are served: a quarantined team's queries answer 503 themselves, naming it.
        if (await this.models.runner.caughtUp())
          return {
            ready: true,
            detail: `caught up at ${this.models.queries.position ?? 'the start'}${quarantineNote(this.models.projection.quarantinedTeams().length)}`,
          };
        const failing = this.models.runner.lastError !== undefined;
        return {
          ready: false,
          detail: failing
            ? 'the projection failed and is retrying from its checkpoint'
            : 'catching up with the event log',
        };
      },
    });
  }

  onModuleDestroy(): void {
    this.streams.closeAll();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.streams.closeAll();
    await this.models.runner.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.models.close();
  }
}
