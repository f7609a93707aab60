/**
 * The PostgreSQL store's schema, as numbered migrations applied in order at start. Each runs once, in one transaction
 * with the migration lock held, so instances starting together neither race nor apply anything twice.
 */

export const SCHEMA = 'access_audit';
export const EVENTS_TABLE = `${SCHEMA}.events`;
export const MIGRATIONS_TABLE = `${SCHEMA}.schema_migrations`;
/** Channel the store's NOTIFY wakes live subscriptions on (per database). */
export const APPENDED_CHANNEL = 'access_audit_events_appended';
/** Key of the transaction-scoped advisory lock held while migrating ("access-audit" as ASCII, truncated to 64 bits). */
export const MIGRATION_LOCK_KEY = '0x6163636573732d61';

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/**
 * Global order: (transaction_id, position). `position` comes from a sequence, so a lower one can commit after a higher
 * one; readers therefore read only rows of transactions below the snapshot's xmin, all of which have ended, and order
 * by the writing transaction first. Data and metadata are `json` (not `jsonb`) so the stored text is kept as written.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'events table: global order, unique stream revision, unique event id',
    sql: `
CREATE TABLE ${EVENTS_TABLE} (
  transaction_id xid8        NOT NULL DEFAULT pg_current_xact_id(),
  position       bigint      NOT NULL GENERATED ALWAYS AS IDENTITY,
  stream_id      text        NOT NULL,
  revision       bigint      NOT NULL,
  event_id       uuid        NOT NULL,
  type           text        NOT NULL,
  data           json        NOT NULL,
  metadata       json        NOT NULL,
  recorded_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT events_global_order PRIMARY KEY (transaction_id, position),
  CONSTRAINT events_stream_revision UNIQUE (stream_id, revision),
  CONSTRAINT events_event_id UNIQUE (event_id),
  CONSTRAINT events_revision_not_negative CHECK (revision >= 0)
);`,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** xid8 and its btree operator class, pg_current_snapshot() and starts_with(): PostgreSQL 14 or later. */
export const MINIMUM_SERVER_VERSION = 140000;
