import { Global, Inject, Module, type OnModuleInit } from '@nestjs/common';
import type { EventStore } from '@access-audit/event-store';
import { EVENT_STORE } from '../event-store/event-store.module';
import { MetricsService } from './metrics.service';
import { OperationsController } from './operations.controller';
import { ReadinessRegistry } from './readiness';

/** `/healthz`, `/readyz`, `/metrics`; exports the metrics registry and the readiness registry to every module. */
@Global()
@Module({
  controllers: [OperationsController],
  providers: [MetricsService, ReadinessRegistry],
  exports: [MetricsService, ReadinessRegistry],
})
export class ObservabilityModule implements OnModuleInit {
  constructor(
    private readonly readiness: ReadinessRegistry,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  onModuleInit(): void {
    this.readiness.register({
      name: 'event-store',
      check: async () => {
        await this.store.headPosition();
        return { ready: true };
      },
    });
  }
}
