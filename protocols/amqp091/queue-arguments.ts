/**
 * queue.declare arguments. `x-queue-type: classic` is what every queue here is; the other
 * RabbitMQ queue arguments (TTL, length limits, dead-lettering, priority, ...) are not
 * implemented yet and are refused (PRECONDITION_FAILED) rather than silently ignored. Arguments
 * RabbitMQ does not know either are ignored, as RabbitMQ does.
 */
import type { FieldTable } from './codec/field-table.js';
import { AmqpError, type ErrorSite } from './errors.js';

const NOT_YET = new Set([
  'x-message-ttl', 'x-expires', 'x-max-length', 'x-max-length-bytes', 'x-overflow', 'x-dead-letter-exchange',
  'x-dead-letter-routing-key', 'x-max-priority', 'x-single-active-consumer', 'x-delivery-limit', 'x-queue-mode',
  'x-queue-master-locator', 'x-stream-max-segment-size-bytes', 'x-max-age', 'x-queue-leader-locator',
]);

export function checkQueueArguments(args: FieldTable, site: ErrorSite): void {
  for (const [k, v] of Object.entries(args)) {
    if (k === 'x-queue-type') {
      if (v !== 'classic') throw new AmqpError('PRECONDITION_FAILED', `queue type '${typeof v === 'string' ? v : String(v)}' is not supported yet (only 'classic')`, site);
      continue;
    }
    if (NOT_YET.has(k)) throw new AmqpError('PRECONDITION_FAILED', `queue argument '${k}' is not supported yet`, site);
  }
}
