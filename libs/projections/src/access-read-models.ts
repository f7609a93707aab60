import type Database from 'better-sqlite3';
import type { TeamState } from '@access-audit/domain';
import type { EventStore } from '@access-audit/event-store';
import { foldTeamStream } from '@access-audit/team-stream';
import { AccessQueries } from './access-queries';
import { AccessProjection } from './projection/projection';
import { ProjectionRunner, type ProjectionRunnerOptions } from './projection/runner';
import { openReadModelDatabase } from './schema';

/**
 * The access read models of one process: the read-model database, the projection (team states in memory),
 * the runner that keeps it current from the event store, and the queries over it.
 */
export class AccessReadModels {
  readonly projection: AccessProjection;
  readonly queries: AccessQueries;
  readonly runner: ProjectionRunner;

  constructor(
    readonly store: EventStore,
    readonly db: Database.Database,
    options: ProjectionRunnerOptions = {},
  ) {
    this.projection = new AccessProjection(db, (a, b) => store.comparePositions(a, b));
    this.queries = new AccessQueries(this.projection);
    this.runner = new ProjectionRunner(store, this.projection, options);
  }

  /** Opens the read-model database at `path` (`:memory:` for tests). */
  static open(store: EventStore, path: string, options: ProjectionRunnerOptions = {}): AccessReadModels {
    return new AccessReadModels(store, openReadModelDatabase(path), options);
  }

  start(): void {
    this.runner.start();
  }

  /** A team's state at an instant, folded from its stream (the team view `at=`). */
  async teamStateAt(teamId: string, atMs: number): Promise<TeamState> {
    return (await foldTeamStream(this.store, teamId, { atMs })).state;
  }

  async close(): Promise<void> {
    await this.runner.stop();
    if (this.db.open) this.db.close();
  }
}
