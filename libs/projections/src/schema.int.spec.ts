import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openReadModelDatabase, READ_MODEL_LAYOUT } from './schema';

describe('openReadModelDatabase', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'read-model-layout-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const tables = (db: Database.Database): string[] =>
    db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();

  it('empties a database of an earlier layout (the runner then rebuilds it from position zero) and keeps its own', () => {
    const path = join(dir, 'read-models.db');
    const earlier = new Database(path);
    earlier.exec(`
      CREATE TABLE checkpoint (projection TEXT PRIMARY KEY, position TEXT NOT NULL, processed INTEGER NOT NULL);
      INSERT INTO checkpoint VALUES ('access', '42', 42);
      CREATE TABLE permission_intervals (team_id TEXT, user_id TEXT, project_id TEXT, permission TEXT, from_ms INTEGER);
      CREATE TABLE vias (id INTEGER PRIMARY KEY, via_json TEXT);
    `);
    earlier.close();

    const opened = openReadModelDatabase(path);
    expect(opened.pragma('user_version', { simple: true })).toBe(READ_MODEL_LAYOUT);
    expect(tables(opened)).not.toContain('permission_intervals');
    expect(tables(opened)).not.toContain('vias');
    expect(tables(opened)).toEqual(expect.arrayContaining(['checkpoint', 'grant_intervals', 'grant_sets']));
    expect(opened.prepare('SELECT COUNT(*) FROM checkpoint').pluck().get()).toBe(0);
    opened.exec("INSERT INTO checkpoint VALUES ('access', '7', 7)");
    opened.close();

    const reopened = openReadModelDatabase(path);
    expect(reopened.prepare('SELECT position FROM checkpoint').pluck().get()).toBe('7');
    reopened.close();
  });
});
