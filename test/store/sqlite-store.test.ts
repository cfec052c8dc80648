import { storeContract } from './store-contract.js';
import { sqliteHarness } from './sqlite-helpers.js';

storeContract('sqlite', () => sqliteHarness());
storeContract('sqlite (maxBatch 7, maxDelayMs 0)', () => sqliteHarness({ maxBatch: 7, maxDelayMs: 0 }));
