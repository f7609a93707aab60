import type Database from 'better-sqlite3';

/** The checkpoint row of the access read models. */
export const ACCESS_PROJECTION = 'access';

export interface Checkpoint {
  /** The position of the last event the read models reflect. */
  position: string;
  /** How many events of the log the read models have looked at. */
  processed: number;
}

const readSql = 'SELECT position, processed FROM checkpoint WHERE projection = ?';

/** The stored checkpoint of the access read models; written in each batch's transaction, with the rows it covers. */
export class CheckpointStore {
  readonly #read: Database.Statement<[string], Checkpoint>;
  readonly #write: Database.Statement<[string, string, number]>;

  constructor(db: Database.Database) {
    this.#read = db.prepare<[string], Checkpoint>(readSql);
    this.#write = db.prepare<[string, string, number]>(
      'INSERT INTO checkpoint (projection, position, processed) VALUES (?, ?, ?) ' +
        'ON CONFLICT (projection) DO UPDATE SET position = excluded.position, processed = excluded.processed',
    );
  }

  read(): Checkpoint | undefined {
    return this.#read.get(ACCESS_PROJECTION);
  }

  write(position: string, processed: number): void {
    this.#write.run(ACCESS_PROJECTION, position, processed);
  }
}

/** The checkpoint of a read-model database, without preparing its writes (a read-only live file). */
export function readCheckpoint(db: Database.Database): Checkpoint | undefined {
  return db.prepare<[string], Checkpoint>(readSql).get(ACCESS_PROJECTION);
}
