/** The KurrentDB adapter (`@access-audit/event-store/kurrentdb`): loads the KurrentDB client. */
export { KurrentDBEventStore, type KurrentDBEventStoreOptions } from './kurrentdb-event-store';
