/**
 * Max length (RabbitMQ x-max-length, x-max-length-bytes, x-overflow) over a queue's
 * undelivered messages: READY and DELAYED ones (unacked deliveries do not count, as in
 * RabbitMQ, which counts ready messages), by count and by body bytes.
 *
 *  - drop-head (default): the send is accepted, then the oldest undelivered messages (lowest
 *    seq, whatever their priority) are dead-lettered with reason `maxlen`, or dropped and
 *    counted as `overflowed`, until the queue is within its limits again.
 *  - reject-publish: a send that would go past a limit is refused with QUEUE_FULL (counted as
 *    `refused`); publishers get a nack / error.
 *  - reject-publish-dlx: refused the same way, and the refused message is dead-lettered
 *    (reason `maxlen`).
 *
 * Limits are checked when a message is enqueued (send, dead-letter redrive into the queue, load
 * after a restart) and when they change; messages returning from consumers (nack, close) are
 * not refused and may take the queue past its limits until the next enqueue.
 */
import type { QueueAttributes } from './queue-attributes.js';
import type { QueueCore } from './queue-core.js';
import type { QueueRemovals } from './removals.js';

export function hasLengthLimit(a: Readonly<QueueAttributes>): boolean {
  return a.maxLength !== null || a.maxLengthBytes !== null;
}

/** Whether one more message of `bodyBytes` would take the queue past a limit. */
export function wouldOverflow(core: QueueCore, a: Readonly<QueueAttributes>, bodyBytes: number): boolean {
  return (a.maxLength !== null && core.undeliveredCount + 1 > a.maxLength)
    || (a.maxLengthBytes !== null && core.undeliveredBytes + bodyBytes > a.maxLengthBytes);
}

function overLimit(core: QueueCore, a: Readonly<QueueAttributes>): boolean {
  return (a.maxLength !== null && core.undeliveredCount > a.maxLength)
    || (a.maxLengthBytes !== null && core.undeliveredBytes > a.maxLengthBytes);
}

/** drop-head: remove the oldest undelivered messages until within limits. Returns how many. */
export function dropHead(core: QueueCore, a: Readonly<QueueAttributes>, removals: QueueRemovals): number {
  let n = 0;
  while (overLimit(core, a)) {
    const oldest = core.oldestUndelivered();
    if (!oldest) break;
    removals.overflow(oldest);
    n += 1;
  }
  return n;
}
