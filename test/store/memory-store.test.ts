import { MemoryStore } from '../../src/store/memory-store.js';
import { storeContract } from './store-contract.js';

storeContract('memory', async () => {
  const store = new MemoryStore();
  await store.open();
  // Nothing survives a memory store's process, so "reopen" is the same instance.
  return { store, reopen: async () => store, cleanup: async () => { await store.close(); } };
});
