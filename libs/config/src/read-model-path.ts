import { join } from 'node:path';
import type { ApiConfig } from './api-config';

export const readModelFileName = 'read-models.db';

/** The read-model database: `$DATA_DIR/read-models.db`, or in memory when the event store itself is. */
export const readModelPath = (config: Pick<ApiConfig, 'dataDir' | 'eventStore'>): string =>
  config.eventStore === 'memory:' ? ':memory:' : join(config.dataDir, readModelFileName);
