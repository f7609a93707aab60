import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AccessReviewsModule } from './access-reviews/access-reviews.module';
import { AuditModule } from './audit/audit.module';
import { AuditDrainsModule } from './audit/drains/drains.module';
import { AuthModule } from './auth/auth.module';
import type { ApiConfig } from '@access-audit/config';
import { ApiConfigModule } from './config/api-config.module';
import { CommandsModule } from './commands/commands.module';
import { ConsoleSignInModule } from './console/console-sign-in.module';
import { EventStoreModule } from './event-store/event-store.module';
import { ProblemFilter } from './http/problem.filter';
import { createValidationPipe } from './http/validation';
import { ObservabilityModule } from './observability/observability.module';
import { ErasureModule } from './privacy/erasure.controller';
import { PrivacyModule } from './privacy/privacy.module';
import { QueriesModule } from './queries/queries.module';
import { ScimModule } from './scim/scim.module';

/** The API. Feature modules are listed in `imports`, one line each. */
@Module({
  imports: [
    EventStoreModule,
    PrivacyModule,
    AuthModule,
    ObservabilityModule,
    CommandsModule,
    QueriesModule,
    AccessReviewsModule,
    AuditModule,
    ConsoleSignInModule,
    ScimModule,
    AuditDrainsModule,
    ErasureModule,
  ],
  providers: [
    { provide: APP_PIPE, useFactory: createValidationPipe },
    { provide: APP_FILTER, useClass: ProblemFilter },
  ],
})
export class AppModule {
  /** The root module with its configuration (`API_CONFIG`, global). */
  static withConfig(config: ApiConfig): DynamicModule {
    return { module: AppModule, imports: [ApiConfigModule.forRoot(config)] };
  }
}
