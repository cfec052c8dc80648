/**
 * queue.declare arguments → core queue attributes (src/core/queue/README.md has the table):
 * x-message-ttl, x-expires, x-max-length, x-max-length-bytes, x-overflow,
 * x-dead-letter-exchange, x-dead-letter-routing-key, x-max-priority, x-single-active-consumer,
 * x-delivery-limit (N → maxReceiveCount N + 1), x-queue-type classic, quorum (durable) or stream
 * (a core stream; its retention/segment arguments are not served yet: 406). Values keep their
 * field-table types; the core checks types and ranges (INVALID_ATTRIBUTE → 406); arguments
 * RabbitMQ does not know either are ignored, as RabbitMQ does.
 */
import { isTypedValue, valueToNumber, type Value } from '../../src/core/values.js';
import type { FieldTable } from './codec/field-table.js';
import { AmqpError, type ErrorSite } from './errors.js';

const NUMERIC: Readonly<Record<string, string>> = {
  'x-message-ttl': 'messageTtlMs',
  'x-expires': 'expiresMs',
  'x-max-length': 'maxLength',
  'x-max-length-bytes': 'maxLengthBytes',
  'x-max-priority': 'maxPriority',
};
const TEXT: Readonly<Record<string, string>> = {
  'x-overflow': 'overflow',
  'x-dead-letter-exchange': 'deadLetterExchange',
  'x-dead-letter-routing-key': 'deadLetterRoutingKey',
};
const NOT_YET = new Set(['x-stream-max-segment-size-bytes', 'x-max-age', 'x-initial-cluster-size', 'x-queue-leader-locator', 'x-queue-master-locator']);

/** A number for the core: integers of every width as numbers; anything else as it is (the core refuses it). */
function numeric(v: Value): unknown {
  if (typeof v === 'number') return v;
  if (isTypedValue(v) && v.type !== 'decimal' && v.type !== 'timestamp') {
    const n = valueToNumber(v);
    if (n !== undefined) return n;
  }
  return v;
}

function text(v: Value): unknown {
  if (isTypedValue(v) && (v.type === 'symbol' || v.type === 'binary')) return v.type === 'binary' ? v.value.toString('utf8') : v.value;
  return v;
}

export interface DeclaredQueue {
  attributes: Record<string, unknown>;
  /** x-queue-type quorum: the queue must be durable. */
  quorum: boolean;
  /** x-queue-type stream: a core stream (consumed with x-stream-offset). */
  stream: boolean;
}

export function queueAttributesFor(args: FieldTable, site: ErrorSite): DeclaredQueue {
  const attributes: Record<string, unknown> = {};
  let quorum = false;
  let stream = false;
  for (const [k, v] of Object.entries(args)) {
    if (NUMERIC[k] !== undefined) attributes[NUMERIC[k]] = numeric(v);
    else if (TEXT[k] !== undefined) attributes[TEXT[k]] = text(v);
    else if (k === 'x-single-active-consumer') attributes.singleActiveConsumer = v;
    else if (k === 'x-delivery-limit') {
      const n = numeric(v);
      attributes.maxReceiveCount = typeof n === 'number' ? n + 1 : n;
    } else if (k === 'x-queue-type') {
      if (v === 'quorum') quorum = true;
      else if (v === 'stream') stream = true;
      else if (v !== 'classic') throw new AmqpError('PRECONDITION_FAILED', `unknown queue type '${typeof v === 'string' ? v : String(v)}' (classic, quorum and stream are supported)`, site);
    } else if (NOT_YET.has(k)) {
      throw new AmqpError('PRECONDITION_FAILED', `queue argument '${k}' is not supported yet`, site);
    }
  }
  if (stream && Object.keys(attributes).length > 0) {
    throw new AmqpError('PRECONDITION_FAILED', `queue arguments ${Object.keys(args).filter((k) => k !== 'x-queue-type').join(', ')} do not apply to a stream`, site);
  }
  return { attributes, quorum, stream };
}
