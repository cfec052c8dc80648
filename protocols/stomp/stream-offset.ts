/**
 * The `x-stream-offset` SUBSCRIBE header (RabbitMQ's STOMP stream plugin convention): where a
 * consumer of `/stream/NAME` starts.
 *
 * | header value      | result                         | Kinesis equivalent        |
 * |-------------------|--------------------------------|---------------------------|
 * | `first`           | `{ kind: 'first' }`            | TRIM_HORIZON              |
 * | `last`            | `{ kind: 'last' }`             | the last record (AT it)   |
 * | `next`            | `{ kind: 'next' }`             | LATEST                    |
 * | `offset=N` or `N` | `{ seq: N }`                   | AT_SEQUENCE_NUMBER N      |
 * | `timestamp=T`     | `{ timestamp: ms }`            | AT_TIMESTAMP              |
 *
 * Keywords are case-insensitive and surrounding blanks are ignored. N and T are non-negative
 * decimal integers. RabbitMQ gives T in epoch SECONDS; we also accept epoch MILLISECONDS, told
 * apart by size: T >= 1e11 is taken as milliseconds (1e11 s is the year 5138, while 1e11 ms is
 * March 1973, so no realistic value is ambiguous). The result is always in milliseconds.
 * Anything else throws StompProtocolError INVALID_STREAM_OFFSET. An absent header means
 * DEFAULT_STREAM_OFFSET (`next`, as in RabbitMQ).
 */
import { StompProtocolError } from './errors.js';

export type StreamOffset = { kind: 'first' | 'last' | 'next' } | { seq: number } | { timestamp: number };

export const DEFAULT_STREAM_OFFSET: StreamOffset = Object.freeze({ kind: 'next' as const });

/** Timestamps at or above this are milliseconds, below it seconds. */
export const TIMESTAMP_MS_THRESHOLD = 1e11;

const INTEGER = /^[0-9]{1,16}$/;

export function parseStreamOffset(value: string | undefined): StreamOffset {
  if (value === undefined) return DEFAULT_STREAM_OFFSET;
  const v = value.trim();
  const lower = v.toLowerCase();
  if (lower === 'first' || lower === 'last' || lower === 'next') return { kind: lower };
  const eq = v.indexOf('=');
  if (eq === -1) {
    if (!INTEGER.test(v)) throw invalid(value);
    return { seq: integer(v, value, 'a sequence number') };
  }
  const key = v.slice(0, eq).trim().toLowerCase();
  const arg = v.slice(eq + 1).trim();
  if (key === 'offset') return { seq: integer(arg, value, 'a sequence number') };
  if (key === 'timestamp') {
    const t = integer(arg, value, 'an epoch timestamp');
    return { timestamp: t >= TIMESTAMP_MS_THRESHOLD ? t : t * 1000 };
  }
  throw invalid(value);
}

function integer(text: string, original: string, what: string): number {
  const n = INTEGER.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new StompProtocolError('INVALID_STREAM_OFFSET', `${JSON.stringify(original.slice(0, 60))}: expected ${what} as a non-negative integer`);
  }
  return n;
}

function invalid(original: string): StompProtocolError {
  return new StompProtocolError(
    'INVALID_STREAM_OFFSET',
    `${JSON.stringify(original.slice(0, 60))}: expected first, last, next, offset=N, N or timestamp=T`,
  );
}
