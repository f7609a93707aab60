import { Logger, type Provider } from '@nestjs/common';
import { TeamCommands, TeamSnapshots } from '@access-audit/application';
import type { EventStore, StreamLocks } from '@access-audit/event-store';
import { DENIAL_RECORDER, type DenialRecorder } from '../audit/denial-recorder';
import { EVENT_STORE, STREAM_LOCKS } from '../event-store/event-store.module';
import { MetricsService } from '../observability/metrics.service';
import { PERSONAL_DATA } from '../privacy/privacy.module';
import type { PersonalDataSealer } from '@access-audit/privacy';
import { CLOCK, type Clock } from './clock';

/** Injection token of the application layer's `TeamCommands`, the one way in for every team command of this process. */
export const TEAM_COMMANDS = Symbol('TEAM_COMMANDS');

const logger = new Logger('TeamCommands');

export const teamCommandsProvider: Provider = {
  provide: TEAM_COMMANDS,
  inject: [EVENT_STORE, STREAM_LOCKS, CLOCK, MetricsService, PERSONAL_DATA, { token: DENIAL_RECORDER, optional: true }],
  useFactory: (
    store: EventStore,
    locks: StreamLocks,
    clock: Clock,
    metrics: MetricsService,
    personalData: PersonalDataSealer,
    denials?: DenialRecorder,
  ) =>
    new TeamCommands({
      store,
      locks,
      now: () => clock.now(),
      personalData,
      snapshots: new TeamSnapshots(store, 1_000, undefined, (error) =>
        logger.warn(`a team snapshot was not stored: ${error instanceof Error ? error.message : String(error)}`),
      ),
      observer: {
        handled: (type, outcome) => metrics.commandHandled(type, outcome),
        appended: (e) => metrics.appended(e),
      },
      ...(denials ? { denials } : {}),
    }),
};
