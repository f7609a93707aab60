import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { CLOCK, systemClock } from './clock';
import { DirectoryMappingsListeners } from './directory-mappings-listeners';
import { DirectorySyncController } from './directory-sync.controller';
import { ETagInterceptor } from './etag.interceptor';
import { ExecuteTeamCommandHandler } from './execute-team-command.handler';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { IdempotencyStore } from './idempotency/idempotency-store';
import { MembersController } from './members.controller';
import { ProjectsController } from './projects.controller';
import { SecurityController } from './security.controller';
import { teamCommandsProvider, TEAM_COMMANDS } from './team-commands.provider';
import { TeamsController } from './teams.controller';

/**
 * Every team command route of API.md. Other modules issue team commands through `TEAM_COMMANDS` (the application
 * layer's `TeamCommands`) and reuse `@CommandRoute()` for their own command routes.
 */
@Module({
  imports: [CqrsModule.forRoot()],
  controllers: [TeamsController, MembersController, ProjectsController, SecurityController, DirectorySyncController],
  providers: [
    ExecuteTeamCommandHandler,
    IdempotencyStore,
    IdempotencyInterceptor,
    ETagInterceptor,
    { provide: CLOCK, useValue: systemClock },
    teamCommandsProvider,
    DirectoryMappingsListeners,
  ],
  exports: [
    IdempotencyStore,
    IdempotencyInterceptor,
    ETagInterceptor,
    CLOCK,
    TEAM_COMMANDS,
    DirectoryMappingsListeners,
  ],
})
export class CommandsModule {}
