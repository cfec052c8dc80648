/**
 * The one stream offset grammar every front-end uses: where a push consumer of a stream starts.
 *
 * | value                         | result            | Kinesis equivalent        |
 * |-------------------------------|-------------------|---------------------------|
 * | `first`                       | `'first'`         | TRIM_HORIZON              |
 * | `last`                        | `'last'`          | the last record (AT it)   |
 * | `next` (also: absent)         | `'next'`          | LATEST                    |
 * | `offset=N` or `N`             | `{ seq: N }`      | AT_SEQUENCE_NUMBER N      |
 * | `timestamp=T`                 | `{ timestamp }`   | AT_TIMESTAMP              |
 *
 * Text forms: keywords are case-insensitive; blanks around the value and around `=` are
 * ignored. N and T are non-negative decimal integers. T is epoch SECONDS below 1e11 and epoch
 * MILLISECONDS at or above it (1e11 s is the year 5138, 1e11 ms is March 1973: no realistic
 * value is ambiguous); the result is always milliseconds.
 * Typed forms (AMQP filter values): a Date is an exact timestamp, a non-negative safe integer
 * number (or bigint) an offset.
 * Anything else throws InvalidStreamOffset (BrokerError INVALID_ARGUMENT); each front-end turns
 * it into its own error frame using `detail`.
 */
import { BrokerError } from '../errors.js';
import type { SubscribeStart } from '../stream/types.js';

export const DEFAULT_STREAM_OFFSET: SubscribeStart = 'next';

/** Timestamps at or above this are milliseconds, below it seconds. */
export const TIMESTAMP_MS_THRESHOLD = 1e11;

const INTEGER = /^[0-9]{1,16}$/;

export class InvalidStreamOffset extends BrokerError {
  /** What was wrong, without the code's summary: front-ends put it in their own error. */
  readonly detail: string;

  constructor(detail: string) {
    super('INVALID_ARGUMENT', `stream offset ${detail}`);
    this.name = 'InvalidStreamOffset';
    this.detail = detail;
  }
}

/** Parse a text or typed offset; `undefined` means the default (`next`). */
export function parseStreamOffset(value: unknown): SubscribeStart {
  if (value === undefined) return DEFAULT_STREAM_OFFSET;
  if (value instanceof Date) {
    const t = value.getTime();
    if (!Number.isSafeInteger(t) || t < 0) throw new InvalidStreamOffset(`${String(value)}: expected a valid timestamp`);
    return { timestamp: t };
  }
  if (typeof value === 'number' || typeof value === 'bigint') {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0 || (typeof value === 'bigint' && BigInt(n) !== value)) {
      throw new InvalidStreamOffset(`${String(value)}: expected a non-negative integer offset`);
    }
    return { seq: n };
  }
  if (typeof value !== 'string') throw new InvalidStreamOffset(`of type ${value === null ? 'null' : typeof value}: expected first, last, next, offset=N, N or timestamp=T`);
  const v = value.trim();
  const lower = v.toLowerCase();
  if (lower === 'first' || lower === 'last' || lower === 'next') return lower;
  const eq = v.indexOf('=');
  if (eq === -1) {
    if (!INTEGER.test(v)) throw invalid(value);
    return { seq: integer(v, value, 'a sequence number') };
  }
  const key = lower.slice(0, eq).trim();
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
  if (!Number.isSafeInteger(n)) throw new InvalidStreamOffset(`${quote(original)}: expected ${what} as a non-negative integer`);
  return n;
}

function invalid(original: string): InvalidStreamOffset {
  return new InvalidStreamOffset(`${quote(original)}: expected first, last, next, offset=N, N or timestamp=T`);
}

function quote(s: string): string {
  return JSON.stringify(s.slice(0, 60));
}
