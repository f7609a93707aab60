import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { CLOCK, systemClock } from './clock';
import { ETagInterceptor } from './etag.interceptor';
import { ExecuteTeamCommandHandler } from './execute-team-command.handler';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { IdempotencyStore } from './idempotency/idempotency-store';
import { MembersController } from './members.controller';
import { ProjectsController } from './projects.controller';
import { SecurityController } from './security.controller';
import { TeamsController } from './teams.controller';

/**
 * Every team command route of API.md. Other modules issue team commands through the CommandBus
 * (`new ExecuteTeamCommand(...)`) and reuse `@CommandRoute()` for their own command routes.
 */
@Module({
  imports: [CqrsModule.forRoot()],
  controllers: [TeamsController, MembersController, ProjectsController, SecurityController],
  providers: [
    ExecuteTeamCommandHandler,
    IdempotencyStore,
    IdempotencyInterceptor,
    ETagInterceptor,
    { provide: CLOCK, useValue: systemClock },
  ],
  exports: [IdempotencyStore, IdempotencyInterceptor, ETagInterceptor, CLOCK],
})
export class CommandsModule {}
