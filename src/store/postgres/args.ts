/**
 * Argument checks specific to PostgreSQL, on top of ../arg-checks.ts: a `text` value cannot hold
 * the NUL character (SQLite accepts it), so such a string is refused on its own with
 * INVALID_ARGUMENT instead of failing the shared batch it would have joined.
 */
import { BrokerError } from '../../core/errors.js';
import { optString, reqString } from '../arg-checks.js';

function noNul(what: string, v: string): string {
  if (v.includes('\u0000')) throw new BrokerError('INVALID_ARGUMENT', `${what} must not contain the NUL character`);
  return v;
}

export const reqText = (what: string, v: unknown): string => noNul(what, reqString(what, v));

export function optText(what: string, v: unknown): string | null {
  const s = optString(what, v);
  return s === null ? null : noNul(what, s);
}
