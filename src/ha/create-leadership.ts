/** Build the Leadership the configured store needs (null: no lock, the process is always active). */
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { FileLockLeadership } from './file-lock-leadership.js';
import { PgAdvisoryLeadership } from './pg-advisory-leadership.js';
import type { Leadership } from './leadership.js';

/** The lock file of an embedded store: next to the database file, named after it. */
export function lockPathFor(storePath: string): string {
  return `${storePath}.lock`;
}

export function createLeadership(config: Config, logger: Logger): Leadership | null {
  const store = config.store;
  switch (store.type) {
    case 'memory':
      return null; // nothing shared: every memory broker is its own active
    case 'sqlite':
      return new FileLockLeadership({ path: lockPathFor(store.path), pollMs: config.ha.lockPollMs, logger, watch: [store.path] });
    case 'postgres':
      // A session-level advisory lock on a dedicated connection to the store's database.
      return new PgAdvisoryLeadership({ url: store.url, pollMs: config.ha.lockPollMs, logger });
  }
}
