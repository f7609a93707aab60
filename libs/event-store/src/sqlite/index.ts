/** The embedded SQLite adapter (`@access-audit/event-store/sqlite`): loads better-sqlite3. */
export { SqliteEventStore, type SqliteEventStoreOptions } from './sqlite-event-store';
