import { Global, Inject, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { StreamLocks, type EventStore } from '@access-audit/event-store';
import { openEventStore } from '@access-audit/event-store/open';
import type { ApiConfig } from '@access-audit/config';
import { API_CONFIG } from '../config/api-config.module';

/** Injection token of the process's one `EventStore` (`@Inject(EVENT_STORE) store: EventStore`). */
export const EVENT_STORE = Symbol('EVENT_STORE');

/** Injection token of the per-stream locks that serialize commands on one stream within this process. */
export const STREAM_LOCKS = Symbol('STREAM_LOCKS');

/**
 * Closes the store after the HTTP server has stopped and in-flight requests have finished (Nest runs
 * `onApplicationShutdown` last). Subscriptions must be stopped earlier: in `onModuleDestroy` or `beforeApplicationShutdown`.
 */
@Injectable()
class EventStoreCloser implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async onApplicationShutdown(signal?: string): Promise<void> {
    await this.store.close();
    if (signal)
      new Logger('EventStore').log(
        `closed after ${signal}: the HTTP server had stopped and in-flight requests had finished`,
      );
  }
}

const connectionLogger = new Logger('EventStore');

/** The driver's message and SQLSTATE or socket code only: never the connection settings. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.message} (${code})` : error.message;
}

@Global()
@Module({
  providers: [
    {
      provide: EVENT_STORE,
      inject: [API_CONFIG],
      useFactory: (config: ApiConfig): Promise<EventStore> =>
        openEventStore(config.eventStore, {
          dataDir: config.dataDir,
          // A dropped PostgreSQL connection is retried by the store; operators still need to see it happen.
          postgres: {
            onConnectionError: (error) => connectionLogger.warn(`connection failed, retrying: ${describe(error)}`),
          },
        }),
    },
    { provide: STREAM_LOCKS, useFactory: () => new StreamLocks() },
    EventStoreCloser,
  ],
  exports: [EVENT_STORE, STREAM_LOCKS],
})
export class EventStoreModule {}
