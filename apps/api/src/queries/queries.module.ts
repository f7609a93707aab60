import { Module } from '@nestjs/common';
import { AccessQueriesController } from './access-queries.controller';
import { ChangesController } from './changes.controller';
import { ReadAccess } from './read-access';
import { TeamListController } from './team-list.controller';
import { ReadConsistency } from './read-consistency';
import { ACCESS_READ_MODELS, accessReadModelsProvider, OpenStreams, ProjectionLifecycle } from './read-models.provider';

/**
 * The read side: the access projection running in this process, and the query routes and change feed over it.
 * Exports the read models for other modules that answer from them.
 */
@Module({
  controllers: [AccessQueriesController, ChangesController, TeamListController],
  providers: [accessReadModelsProvider, OpenStreams, ProjectionLifecycle, ReadConsistency, ReadAccess],
  exports: [ACCESS_READ_MODELS, ReadConsistency],
})
export class QueriesModule {}
