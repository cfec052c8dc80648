/**
 * What the parts of a Queue (dispatcher, removals) share. Internal to src/core/queue.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../../log.js';
import type { Store } from '../store.js';
import type { QueueAttributes } from './queue-attributes.js';
import type { QueueCore } from './queue-core.js';

export interface QueueCounters {
  enqueued: number;
  dequeued: number;
  expired: number;
  deadLettered: number;
  duplicates: number;
  purged: number;
  rejected: number;
  overflowed: number;
  refused: number;
  deliveryLimitDropped: number;
}

export function newCounters(): QueueCounters {
  return { enqueued: 0, dequeued: 0, expired: 0, deadLettered: 0, duplicates: 0, purged: 0, rejected: 0, overflowed: 0, refused: 0, deliveryLimitDropped: 0 };
}

export interface QueueContext {
  readonly name: string;
  readonly core: QueueCore;
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly counters: QueueCounters;
  /** Current attributes (they can change with setAttributes). */
  attrs(): Readonly<QueueAttributes>;
  /** Re-arm the due-time timer if the earliest due time moved earlier. */
  scheduleDue(): void;
  /** Dispatch in a microtask. */
  schedulePump(): void;
  /** Re-arm the message-expiry timer if the earliest expiry moved earlier. */
  scheduleExpiry(): void;
  /** A push consumer attached or went away (queue expiry, auto-delete). */
  consumersChanged(): void;
  /** Log (never swallow) the failure of a store write nobody awaits. */
  bg(p: Promise<unknown>, what: string): void;
}
