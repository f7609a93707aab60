/** The PostgreSQL adapter (`@access-audit/event-store/postgres`): loads pg. */
export { PostgresEventStore, type PostgresEventStoreOptions } from './postgres-event-store';
export { poolConfig } from './connection';
export { inTransactionUnderAdvisoryLock } from './advisory-lock';
