/**
 * Where a receiver on `stream://NAME` starts, from its source filter set:
 * - `rabbitmq:stream-offset-spec` (RabbitMQ's AMQP 1.0 stream filter): `first` | `last` | `next`,
 *   a numeric offset, or a timestamp value;
 * - `x-stream-offset` (simpler spelling, also what STOMP users know): the same values, plus the
 *   strings `offset=N`, `timestamp=T` and a decimal `N`.
 *
 * Offsets are core stream sequence numbers (each delivered message carries its own in the
 * `x-stream-offset` message annotation, so a consumer can resume from offset + 1).
 * Timestamps: a timestamp-typed value is exact; a number in `timestamp=T` is epoch seconds
 * below 1e11 and epoch milliseconds at or above it (as for STOMP). No filter: `next`.
 */
import { AmqpFailure, Condition } from './errors.js';
import type { SubscribeStart } from '../../src/core/stream/types.js';

export const OFFSET_FILTER_KEYS = ['rabbitmq:stream-offset-spec', 'x-stream-offset'] as const;
const TIMESTAMP_MS_THRESHOLD = 1e11;

/** Filter values may arrive as described types ({ descriptor, value }) or as plain values. */
function unwrapDescribed(v: unknown): unknown {
  if (typeof v === 'object' && v !== null && !(v instanceof Date) && !Buffer.isBuffer(v) && 'value' in v && 'descriptor' in v) {
    return unwrapDescribed((v as { value: unknown }).value);
  }
  if (typeof v === 'object' && v !== null && 'value' in v && 'type' in v) return (v as { value: unknown }).value;
  return v;
}

function invalid(v: unknown): AmqpFailure {
  const text = typeof v === 'string' ? JSON.stringify(v.slice(0, 60)) : typeof v;
  return new AmqpFailure(Condition.invalidField, `stream offset filter ${text}: expected first, last, next, an offset or a timestamp`);
}

export function parseOffsetValue(raw: unknown): SubscribeStart {
  const v = unwrapDescribed(raw);
  if (v instanceof Date) return { timestamp: v.getTime() };
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw invalid(v);
    return { seq: v };
  }
  if (typeof v !== 'string') throw invalid(v);
  const s = v.trim().toLowerCase();
  if (s === 'first' || s === 'last' || s === 'next') return s;
  const m = /^(?:(offset|timestamp)=)?([0-9]{1,16})$/.exec(s);
  if (!m) throw invalid(v);
  const n = Number(m[2]);
  if (m[1] === 'timestamp') return { timestamp: n >= TIMESTAMP_MS_THRESHOLD ? n : n * 1000 };
  return { seq: n };
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
