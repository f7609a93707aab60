import Database from 'better-sqlite3';

/** The upper bound of an interval that has not ended (the largest instant a JS Date can hold). */
export const OPEN_END = 8_640_000_000_000_000;

/** Team-level permissions are stored under this project id so that index equality works (NULL never equals NULL). */
export const TEAM_LEVEL = '';

const TABLES = `
CREATE TABLE IF NOT EXISTS checkpoint (
  projection TEXT PRIMARY KEY,
  position   TEXT NOT NULL,
  processed  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS team_states (
  team_id    TEXT PRIMARY KEY,
  revision   INTEGER NOT NULL,
  last_ms    INTEGER NOT NULL,
  state_json TEXT NOT NULL
);
-- Each distinct set of grants a member holds in one scope, once: [[permission, via], ...] in policy order.
CREATE TABLE IF NOT EXISTS grant_sets (
  id          INTEGER PRIMARY KEY,
  grants_json TEXT NOT NULL UNIQUE
);
-- What a member holds in one scope (team-level, or one project) during [from_ms, to_ms): one row per change of that
-- set, however many of its permissions changed. Clustered by (team, user, project, from): a point-in-time check is one
-- seek, and the open interval of a scope is the one that starts last. Intervals never start twice at one instant
-- (empty ones are deleted), so the key is unique.
CREATE TABLE IF NOT EXISTS grant_intervals (
  team_id       TEXT NOT NULL,
  user_id       TEXT NOT NULL,
  project_id    TEXT NOT NULL,
  from_ms       INTEGER NOT NULL,
  to_ms         INTEGER NOT NULL,
  grants_id     INTEGER NOT NULL,
  from_position TEXT NOT NULL,
  to_position   TEXT,
  PRIMARY KEY (team_id, user_id, project_id, from_ms)
) WITHOUT ROWID;
-- Teams whose read models stopped at an event that could not be applied: their later events are skipped, their queries
-- answer 503. Written in the batch that met the event, with the checkpoint; a rebuild meets the event again.
CREATE TABLE IF NOT EXISTS quarantined_teams (
  team_id         TEXT PRIMARY KEY,
  event_id        TEXT NOT NULL,
  event_type      TEXT NOT NULL,
  position        TEXT NOT NULL,
  stream_revision INTEGER NOT NULL
);
-- One row per event that concerns a member: the event as member histories show it (shared by every member it concerns).
CREATE TABLE IF NOT EXISTS history_events (
  seq        INTEGER PRIMARY KEY,
  position   TEXT NOT NULL,
  entry_json TEXT NOT NULL
);
-- Each permission name a member-event row refers to, once.
CREATE TABLE IF NOT EXISTS permission_names (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
-- One row per event and member it concerns: the member's history, and (changes_json set) the change feed: what the
-- event granted and revoked them, [granted, revoked], each as runs of one project [projectId or null, permission id, ...].
CREATE TABLE IF NOT EXISTS member_events (
  seq          INTEGER PRIMARY KEY,
  event_seq    INTEGER NOT NULL,
  team_id      TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  at_ms        INTEGER NOT NULL,
  changes_json TEXT
);
-- The team role of each member, by user: the teams a user belongs to are one range of the key (GET /v1/teams).
CREATE TABLE IF NOT EXISTS team_memberships (
  user_id TEXT NOT NULL,
  team_id TEXT NOT NULL,
  role    TEXT NOT NULL,
  PRIMARY KEY (user_id, team_id)
) WITHOUT ROWID;
`;

/** Indexes only queries need: a rebuild into an empty database creates them once at the end. */
const SECONDARY_INDEXES: Record<string, string> = {
  grant_intervals_by_project: 'ON grant_intervals (team_id, project_id, from_ms)',
  member_events_by_member: 'ON member_events (team_id, user_id, seq)',
  member_events_changes_by_team: 'ON member_events (team_id, seq) WHERE changes_json IS NOT NULL',
};

/**
 * The layout of the tables above (`PRAGMA user_version`). A database of another layout is emptied when opened, and the
 * runner rebuilds it from the log (nothing in it is anything but a projection of the log).
 */
export const READ_MODEL_LAYOUT = 5;
/** Every table of the current layout (emptied by a reset). */
export const readModelTables = [
  'checkpoint',
  'team_states',
  'grant_sets',
  'grant_intervals',
  'history_events',
  'permission_names',
  'member_events',
  'quarantined_teams',
  'team_memberships',
] as const;
const LAYOUT_TABLES = [
  'checkpoint',
  'team_states',
  'vias',
  'permission_intervals',
  'grant_sets',
  'grant_intervals',
  'history_events',
  'permission_names',
  'member_events',
  'quarantined_teams',
  'team_memberships',
];

export const READ_MODEL_SCHEMA =
  TABLES +
  Object.entries(SECONDARY_INDEXES)
    .map(([name, definition]) => `CREATE INDEX IF NOT EXISTS ${name} ${definition};`)
    .join('\n');

export function dropSecondaryIndexes(db: Database.Database): void {
  for (const name of Object.keys(SECONDARY_INDEXES)) db.exec(`DROP INDEX IF EXISTS ${name}`);
}

export function createSecondaryIndexes(db: Database.Database): void {
  for (const [name, definition] of Object.entries(SECONDARY_INDEXES))
    db.exec(`CREATE INDEX IF NOT EXISTS ${name} ${definition}`);
}

export interface OpenReadModelOptions {
  /** A throw-away rebuild: no journal, no fsync (a crash loses nothing that cannot be rebuilt again). */
  scratch?: boolean;
}

/**
 * Opens (creating when absent) a read-model database: a file in WAL mode for the embedded default,
 * or `:memory:` for tests and scratch rebuilds.
 */
export function openReadModelDatabase(path: string, options: OpenReadModelOptions = {}): Database.Database {
  const db = new Database(path);
  if (options.scratch) {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
  } else if (path !== ':memory:') {
    db.pragma('journal_mode = WAL');
    // NORMAL: in WAL mode a power loss may lose the last transactions, never corrupt the file. Acceptable here only
    // because everything in it is rebuilt from the log: the runner resumes from the checkpoint that survived.
    db.pragma('synchronous = NORMAL');
  }
  // Interval and history indexes are written at random keys: keep their pages in memory (64 MiB).
  db.pragma('cache_size = -65536');
  if (db.pragma('user_version', { simple: true }) !== READ_MODEL_LAYOUT) {
    db.transaction(() => {
      for (const table of LAYOUT_TABLES) db.exec(`DROP TABLE IF EXISTS ${table}`);
      db.exec(READ_MODEL_SCHEMA);
      db.pragma(`user_version = ${READ_MODEL_LAYOUT}`);
    })();
  } else {
    db.exec(READ_MODEL_SCHEMA);
  }
  return db;
}
