import type Database from 'better-sqlite3';
import { teamStreamPrefix } from '@access-audit/domain';
import type { EventStore, RecordedEvent } from '@access-audit/event-store';
import { digestReadModels } from './digest';
import { readModelNames, type ReadModelName } from './model';
import { readCheckpoint } from './projection/checkpoint';
import { AccessProjection } from './projection/projection';
import type { QuarantinedTeam } from './projection/quarantine';
import { createSecondaryIndexes, dropSecondaryIndexes } from './schema';

export interface ReplayProgress {
  events: number;
  position: string | undefined;
  elapsedMs: number;
}

export interface ReplayOptions {
  /** Stop after this position (inclusive); the whole log when absent. */
  until?: string;
  batchSize?: number;
  onProgress?: (progress: ReplayProgress) => void;
  /** Minimum interval between two progress reports. Default 100 ms. */
  progressIntervalMs?: number;
}

export interface ReplayResult {
  events: number;
  position: string | undefined;
  elapsedMs: number;
  eventsPerSecond: number;
  /** Teams whose event failed again in the rebuild. */
  quarantined: QuarantinedTeam[];
}

/** Rebuilds every read model into `db` (expected empty) from the start of the log. */
export async function rebuildReadModels(
  store: EventStore,
  db: Database.Database,
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  const projection = new AccessProjection(db, (a, b) => store.comparePositions(a, b));
  if (projection.position !== undefined) throw new Error('the scratch database already holds read models');
  // Bulk load: the indexes only queries need are built once at the end, not row by row.
  dropSecondaryIndexes(db);
  // Large batches: fewer statements, and most intervals open and close within one batch (written once).
  const batchSize = options.batchSize ?? 8000;
  const progressIntervalMs = options.progressIntervalMs ?? 100;
  const started = performance.now();
  let reported = 0;
  const report = (force: boolean): void => {
    const now = performance.now();
    if (!options.onProgress || (!force && now - reported < progressIntervalMs)) return;
    reported = now;
    options.onProgress({ events: projection.processed, position: projection.position, elapsedMs: now - started });
  };
  let batch: RecordedEvent[] = [];
  for await (const event of store.readAll({ streamPrefixes: [teamStreamPrefix] })) {
    if (options.until !== undefined && store.comparePositions(event.position, options.until) > 0) break;
    batch.push(event);
    if (batch.length >= batchSize) {
      projection.apply(batch);
      batch = [];
      report(false);
    }
  }
  projection.apply(batch);
  createSecondaryIndexes(db);
  report(true);
  const elapsedMs = performance.now() - started;
  return {
    events: projection.processed,
    position: projection.position,
    elapsedMs,
    eventsPerSecond: elapsedMs > 0 ? (projection.processed / elapsedMs) * 1000 : 0,
    quarantined: projection.quarantinedTeams(),
  };
}

export interface ModelComparison {
  model: ReadModelName | 'checkpoint';
  live: string;
  rebuilt: string;
  matches: boolean;
}

export interface VerifyResult extends ReplayResult {
  models: ModelComparison[];
  mismatched: Array<ReadModelName | 'checkpoint'>;
}

/**
 * Rebuilds every read model from position zero into `scratch`, up to the live checkpoint, and compares a digest of
 * each with the live database. The live side is read in one transaction first, so a running API may go on writing.
 */
export async function verifyReadModels(
  store: EventStore,
  live: Database.Database,
  scratch: Database.Database,
  options: Omit<ReplayOptions, 'until'> = {},
): Promise<VerifyResult> {
  const snapshot = live.transaction(() => ({ checkpoint: readCheckpoint(live), digests: digestReadModels(live) }))();
  const replay = snapshot.checkpoint
    ? await rebuildReadModels(store, scratch, { ...options, until: snapshot.checkpoint.position })
    : { events: 0, position: undefined, elapsedMs: 0, eventsPerSecond: 0, quarantined: [] };
  const rebuiltDigests = digestReadModels(scratch);
  const checkpointText = (c: ReturnType<typeof readCheckpoint>) =>
    c ? `${c.position} (${c.processed} events)` : 'none';
  const live_ = checkpointText(snapshot.checkpoint);
  const rebuilt = checkpointText(readCheckpoint(scratch));
  const models: ModelComparison[] = [
    { model: 'checkpoint', live: live_, rebuilt, matches: live_ === rebuilt },
    ...readModelNames.map((model) => ({
      model,
      live: snapshot.digests[model],
      rebuilt: rebuiltDigests[model],
      matches: snapshot.digests[model] === rebuiltDigests[model],
    })),
  ];
  return { ...replay, models, mismatched: models.filter((m) => !m.matches).map((m) => m.model) };
}
