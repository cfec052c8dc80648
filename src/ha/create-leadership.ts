/** Build the Leadership the configured store needs (null: no lock, the process is always active). */
import { BrokerError } from '../core/errors.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { FileLockLeadership } from './file-lock-leadership.js';
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
      // PgAdvisoryLeadership (src/ha/pg-advisory-leadership.ts) is added here by the PostgreSQL store work.
      throw new BrokerError('CONFIG_INVALID', 'store.type "postgres": leadership for PostgreSQL is not available in this version');
  }
}
