import { MemoryEventStore } from '@access-audit/event-store';
import { eventStoreContract } from './event-store.contract';

describe('memory adapter contract', () => {
  eventStoreContract(async () => new MemoryEventStore());
});
