import { describeWithServer } from '@idstream/testkit';
import { openKurrentDbEventStore } from '../src/index.js';
import { eventStoreContract } from './contract.js';

// Needs KurrentDB >= 25.1 (multiStreamAppend), e.g. KURRENTDB_URL=kurrentdb://localhost:2113?tls=false
describeWithServer('KurrentDB event store contract', 'KURRENTDB_URL', (url) => {
  eventStoreContract('KurrentDB', async () => openKurrentDbEventStore({ connectionString: url }));
});
