/**
 * What the Broker's parts (queue, stream and topic registries, load) share of the Broker itself:
 * its store, clock, logger, options and whether it is closed.
 */
import type { Clock } from '../clock.js';
import type { Store } from '../store.js';
import type { Logger } from '../../log.js';

export interface BrokerContext {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Create destinations on first use. */
  readonly autoCreate: boolean;
  /** The broker-wide message size limit. */
  readonly maxMessageBytes: number;
  /** The broker has been closed. */
  isClosed(): boolean;
  /** Throws STORE_CLOSED once the broker is closed. */
  check(): void;
}
