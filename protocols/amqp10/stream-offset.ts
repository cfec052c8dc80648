/**
 * Where a receiver on `stream://NAME` starts, from its source filter set:
 * - `rabbitmq:stream-offset-spec` (RabbitMQ's AMQP 1.0 stream filter): `first` | `last` | `next`,
 *   a numeric offset, or a timestamp value;
 * - `x-stream-offset` (simpler spelling, also what STOMP users know): the same values, plus the
 *   strings `offset=N`, `timestamp=T` and a decimal `N`.
 *
 * The grammar is the session layer's, shared by every front-end (src/core/session/stream-offset.ts):
 * a timestamp-typed value is exact; a number in `timestamp=T` is epoch seconds below 1e11 and
 * epoch milliseconds at or above it; blanks around `=` are allowed. Here only the AMQP value is
 * unwrapped and a refusal turned into `amqp:invalid-field`. No filter: `next`.
 */
import { AmqpFailure, Condition } from './errors.js';
import type { SubscribeStart } from '../../src/core/stream/types.js';
import { InvalidStreamOffset, parseStreamOffset } from '../../src/core/session/stream-offset.js';

export const OFFSET_FILTER_KEYS = ['rabbitmq:stream-offset-spec', 'x-stream-offset'] as const;
/** Filter values may arrive as described types ({ descriptor, value }) or as plain values. */
function unwrapDescribed(v: unknown): unknown {
  if (typeof v === 'object' && v !== null && !(v instanceof Date) && !Buffer.isBuffer(v) && 'value' in v && 'descriptor' in v) {
    return unwrapDescribed((v as { value: unknown }).value);
  }
  if (typeof v === 'object' && v !== null && 'value' in v && 'type' in v) return (v as { value: unknown }).value;
  return v;
}

export function parseOffsetValue(raw: unknown): SubscribeStart {
  try {
    return parseStreamOffset(unwrapDescribed(raw));
  } catch (err) {
    if (err instanceof InvalidStreamOffset) throw new AmqpFailure(Condition.invalidField, `stream offset filter ${err.detail}`);
    throw err;
  }
}

/** The start position and the filter entry we honoured (echoed back in our attach), if any. */
export function streamStart(filter: unknown): { start: SubscribeStart; accepted?: Record<string, unknown> } {
  if (typeof filter !== 'object' || filter === null) return { start: 'next' };
  const f = filter as Record<string, unknown>;
  for (const key of OFFSET_FILTER_KEYS) {
    if (f[key] !== undefined) return { start: parseOffsetValue(f[key]), accepted: { [key]: f[key] } };
  }
  return { start: 'next' };
}
