import { storeContract } from './store-contract.js';
import { sqliteHarness } from './sqlite-helpers.js';

storeContract('sqlite', () => sqliteHarness());
