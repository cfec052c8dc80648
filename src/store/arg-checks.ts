/**
 * Cheap argument checks a batching store runs when a write is queued, so that one caller's bad
 * value is rejected on its own (INVALID_ARGUMENT) instead of failing the shared batch it would
 * have joined. Storage-agnostic (SQLite and PostgreSQL stores).
 */
import { BrokerError } from '../core/errors.js';

export function reqString(what: string, v: unknown): string {
  if (typeof v !== 'string') throw new BrokerError('INVALID_ARGUMENT', `${what} must be a string`);
  return v;
}

export function optString(what: string, v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return reqString(what, v);
}

/** A finite number (timestamps, counts, sequence numbers). */
export function reqNumber(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new BrokerError('INVALID_ARGUMENT', `${what} must be a finite number`);
  return v;
}

export function optNumber(what: string, v: unknown): number | null {
  if (v === null || v === undefined) return null;
  return reqNumber(what, v);
}

export function reqBuffer(what: string, v: unknown): Buffer {
  if (!Buffer.isBuffer(v)) throw new BrokerError('INVALID_ARGUMENT', `${what} must be a Buffer`);
  return v;
}

/** JSON text of a JSON-serialisable attributes object. */
export function attributesJson(what: string, v: unknown): string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BrokerError('INVALID_ARGUMENT', `${what} must be an object`);
  try {
    return JSON.stringify(v);
  } catch (err) {
    throw new BrokerError('INVALID_ARGUMENT', `${what} is not JSON-serialisable: ${(err as Error).message}`, { cause: err });
  }
}
