/** Build the Store the configuration asks for. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { MemoryStore } from './memory-store.js';
import { PostgresStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store, StoreObserver } from '../core/store.js';

export function createStore(config: Config, logger: Logger, observer: StoreObserver): Store {
  const store = config.store;
  switch (store.type) {
    case 'memory':
      logger.warn('store type "memory": nothing survives a restart');
      return new MemoryStore();
    case 'sqlite':
      mkdirSync(dirname(store.path), { recursive: true });
      return new SqliteStore({ path: store.path, logger, observer, maxBatch: store.maxBatch, maxDelayMs: store.maxDelayMs });
    case 'postgres':
      return new PostgresStore({ url: store.url, logger, observer, maxBatch: store.maxBatch, maxDelayMs: store.maxDelayMs });
  }
}
