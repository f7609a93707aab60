import type Database from 'better-sqlite3';

type Value = string | number | null;

/** Rows most statements insert at once (SQLite binds at most 32,766 values per statement). */
const ROWS_PER_STATEMENT = 100;

/**
 * Rows of one table collected during a batch and inserted, in the order they were added, many rows per statement at
 * the end: a batch pays a few statements, not one per row.
 */
export class BulkRows {
  /** Every buffered row's values, flat, in column order. */
  readonly values: Value[] = [];
  readonly #width: number;
  readonly #many: Database.Statement<[Value[]]>;
  readonly #one: Database.Statement<[Value[]]>;

  constructor(db: Database.Database, table: string, columns: readonly string[]) {
    this.#width = columns.length;
    const row = `(${columns.map(() => '?').join(', ')})`;
    const insert = `INSERT INTO ${table} (${columns.join(', ')}) VALUES `;
    this.#many = db.prepare<[Value[]]>(insert + Array.from({ length: ROWS_PER_STATEMENT }, () => row).join(', '));
    this.#one = db.prepare<[Value[]]>(insert + row);
  }

  get size(): number {
    return this.values.length / this.#width;
  }

  /** Inserts every buffered row (inside the caller's transaction) and empties the buffer. */
  flush(): void {
    const { values } = this;
    const chunk = ROWS_PER_STATEMENT * this.#width;
    let at = 0;
    for (; at + chunk <= values.length; at += chunk) this.#many.run(values.slice(at, at + chunk));
    for (; at < values.length; at += this.#width) this.#one.run(values.slice(at, at + this.#width));
    values.length = 0;
  }

  /** Drops the buffered rows (their batch or event rolled back). */
  clear(): void {
    this.values.length = 0;
  }
}

/** Ids remembered from committed rows; forgotten wholesale beyond this many (they are looked up again). */
const internedCacheSize = 50_000;

/**
 * A table holding each distinct text (a grant set's JSON, a permission name) once (`id INTEGER PRIMARY KEY`, the text
 * UNIQUE): rows elsewhere refer to it by id. Ids a batch inserts are remembered only once its transaction commits.
 */
export class InternedText {
  readonly #committed = new Map<string, number>();
  readonly #batch = new Map<string, number>();
  readonly #select: Database.Statement<[string], number>;
  readonly #insert: Database.Statement<[string]>;

  constructor(db: Database.Database, table: string, column: string) {
    this.#select = db.prepare<[string], number>(`SELECT id FROM ${table} WHERE ${column} = ?`).pluck();
    this.#insert = db.prepare<[string]>(`INSERT INTO ${table} (${column}) VALUES (?)`);
  }

  /** The id of the text, inserting it (inside the caller's transaction) when it is new. */
  id(json: string): number {
    const known = this.#committed.get(json) ?? this.#batch.get(json);
    if (known !== undefined) return known;
    // Not in this batch, so a row found here was committed before it.
    const stored = this.#select.get(json);
    if (stored !== undefined) {
      this.#remember(json, stored);
      return stored;
    }
    const id = Number(this.#insert.run(json).lastInsertRowid);
    this.#batch.set(json, id);
    return id;
  }

  /** Starts a batch, dropping the ids an uncommitted one inserted. */
  begin(): void {
    this.#batch.clear();
  }

  /** Marks the batch so far, for `undo` to return to when one event's savepoint rolls back. */
  mark(): number {
    return this.#batch.size;
  }

  undo(mark: number): void {
    for (const json of [...this.#batch.keys()].slice(mark)) this.#batch.delete(json);
  }

  /** The batch's transaction committed: its ids hold. */
  commit(): void {
    for (const [json, id] of this.#batch) this.#remember(json, id);
    this.#batch.clear();
  }

  /** The table was emptied: no remembered id holds. */
  forget(): void {
    this.#committed.clear();
    this.#batch.clear();
  }

  #remember(json: string, id: number): void {
    if (this.#committed.size >= internedCacheSize) this.#committed.clear();
    this.#committed.set(json, id);
  }
}
