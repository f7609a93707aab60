/** Opening the store `EVENT_STORE` names (`@access-audit/event-store/open`); each adapter is loaded only when named. */
export {
  openEventStore,
  parseEventStoreLocation,
  type EventStoreLocation,
  type OpenEventStoreOptions,
} from '../open-event-store';
