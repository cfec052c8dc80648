/**
 * Headers exchange matching (RabbitMQ semantics).
 *
 * A binding's arguments are the pattern; `x-match` says how it combines:
 *   `all` (default)  every pattern entry matches the message's headers
 *   `any`            at least one entry matches
 *   `all-with-x`, `any-with-x` (RabbitMQ 3.10+): the same, and entries whose key starts with
 *                    `x-` count too (with `all` / `any` they are ignored)
 * The `x-match` entry itself never counts. An entry whose value is null (AMQP void) matches when
 * the header is present, whatever its value; any other entry when the header is present with an
 * equal value (headerValueEquals). With no entries left, `all` matches every message and `any` none.
 */
import { BrokerError } from '../errors.js';
import type { Headers } from '../message.js';
import { isTypedValue, valueEquals, valueToStringLike, type Value } from '../values.js';

export type XMatch = 'all' | 'any' | 'all-with-x' | 'any-with-x';
const X_MATCH_VALUES: readonly string[] = ['all', 'any', 'all-with-x', 'any-with-x'];

export interface HeadersPattern {
  readonly mode: XMatch;
  readonly entries: ReadonlyArray<readonly [string, Value]>;
}

/** Compile a binding's arguments. An x-match that is not one of the four → PRECONDITION_FAILED (RabbitMQ). */
export function compileHeadersPattern(args: Readonly<Record<string, Value>>): HeadersPattern {
  let mode: XMatch = 'all';
  if (Object.hasOwn(args, 'x-match')) {
    const text = valueToStringLike(args['x-match']);
    if (text === undefined || !X_MATCH_VALUES.includes(text)) {
      throw new BrokerError('PRECONDITION_FAILED', `invalid x-match field value ${JSON.stringify(text ?? String(args['x-match']))}; expected all, any, all-with-x or any-with-x`);
    }
    mode = text as XMatch;
  }
  const withX = mode === 'all-with-x' || mode === 'any-with-x';
  const entries = Object.entries(args).filter(([k]) => k !== 'x-match' && (withX || !k.startsWith('x-')));
  return { mode, entries };
}

export function headersMatch(p: HeadersPattern, headers: Headers): boolean {
  const all = p.mode === 'all' || p.mode === 'all-with-x';
  for (const [key, expected] of p.entries) {
    const ok = Object.hasOwn(headers, key) && (expected === null || headerValueEquals(expected, headers[key]!));
    if (all && !ok) return false;
    if (!all && ok) return true;
  }
  return all;
}

const INTEGER_TYPES = new Set(['byte', 'short', 'int', 'long', 'ubyte', 'ushort', 'uint', 'ulong']);

/** An exact numeric form: bigint for integers (of any width, or an integral plain number), number otherwise. */
function numeric(v: Value): bigint | number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : v;
  if (!isTypedValue(v)) return undefined;
  if (INTEGER_TYPES.has(v.type)) return BigInt(v.value as number | bigint);
  if (v.type === 'float' || v.type === 'double') return Number.isSafeInteger(v.value) ? BigInt(v.value) : v.value;
  return undefined;
}

function bytesOf(v: Value): Buffer | undefined {
  return isTypedValue(v) && v.type === 'binary' ? v.value : undefined;
}

/**
 * Equality of a binding value and a header value, by typed value (RabbitMQ compares values, not
 * wire widths): numbers of any integer width, float and double are equal when their values are
 * (`int 1` = `long 1` = `double 1.0`); strings and symbols by their text, and a binary equals a
 * string with the same UTF-8 bytes (0-9-1 long strings are bytes); every other type only equals
 * the same type with the same value (values.ts valueEquals). A string never equals a number.
 */
export function headerValueEquals(a: Value, b: Value): boolean {
  const na = numeric(a);
  if (na !== undefined) {
    const nb = numeric(b);
    // eslint-disable-next-line eqeqeq -- bigint == number compares values exactly
    return nb !== undefined && na == nb;
  }
  const sa = valueToStringLike(a) ?? bytesOf(a);
  const sb = valueToStringLike(b) ?? bytesOf(b);
  if (sa !== undefined && sb !== undefined && (typeof sa === 'string' || typeof sb === 'string')) {
    return typeof sa === 'string' && typeof sb === 'string' ? sa === sb : Buffer.from(sa).equals(Buffer.from(sb));
  }
  return valueEquals(a, b);
}
