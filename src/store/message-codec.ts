/**
 * Storage-agnostic encoding of a core Message into two columns: the body bytes (BLOB / bytea)
 * and a compact JSON text holding everything else. Shared by the SQLite and PostgreSQL stores.
 *
 * Meta layout (keys omitted when empty / default):
 *   { "v": 2, "p": {properties}, "h": {headers}, "t": 1 if NOT persistent, "g": groupId, "d": dedupId, "k": partitionKey }
 *
 * Version 2 (current): each header value is in the JSON form of src/core/value-json.ts, so typed
 * values (long as bigint, binary as Buffer, nested lists and maps...) decode to exactly what was
 * encoded. Version 1 (written before typed values existed) held only plain scalars; it is still
 * read, and schema migration 2 of both stores rewrites v1 rows to v2 (`upgradeMeta`).
 *
 * In both versions JSON has no NaN / ±Infinity / -0: such plain header or property numbers are
 * written as {"$num": "NaN" | "Infinity" | "-Infinity" | "-0"}.
 */
import { BrokerError, isBrokerError } from '../core/errors.js';
import type { Headers, Message, MessageProperties } from '../core/message.js';
import { numberToJson, valueFromJson, valueToJson, type JsonValue } from '../core/value-json.js';
import { valueProblem } from '../core/values.js';

export interface EncodedMessage {
  body: Buffer;
  meta: string;
}

export const META_VERSION = 2;

interface Meta {
  v: number;
  p?: Record<string, unknown>;
  h?: Record<string, unknown>;
  t?: 1;
  g?: string;
  d?: string;
  k?: string;
}

function isSpecialNumber(v: unknown): v is number {
  return typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0));
}


function untagNumber(tag: Record<string, unknown>, where: string): number {
  switch (tag.$num) {
    case 'NaN': return Number.NaN;
    case 'Infinity': return Number.POSITIVE_INFINITY;
    case '-Infinity': return Number.NEGATIVE_INFINITY;
    case '-0': return -0;
    default: throw new BrokerError('STORE_FAILED', `corrupt message meta: bad value in ${where}`);
  }
}

/** Copy of `obj` with special numbers tagged, or `obj` itself when it has none (the common case). */
function tagSpecials(obj: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (isSpecialNumber(v)) {
      out ??= { ...obj };
      out[key] = numberToJson(v);
    }
  }
  return out ?? obj;
}

function isEmpty(obj: object): boolean {
  for (const _ in obj) return false;
  return true;
}

/** Encode a message. The result owns its body bytes (a copy), so later changes to `m` do not leak in. */
export function encodeMessage(m: Message): EncodedMessage {
  if (typeof m !== 'object' || m === null) throw new BrokerError('INVALID_ARGUMENT', 'message must be an object');
  if (!(m.body instanceof Uint8Array)) throw new BrokerError('INVALID_ARGUMENT', 'message body must be a Buffer');
  if (typeof m.properties !== 'object' || m.properties === null) throw new BrokerError('INVALID_ARGUMENT', 'message properties must be an object');
  if (typeof m.headers !== 'object' || m.headers === null) throw new BrokerError('INVALID_ARGUMENT', 'message headers must be an object');
  const meta: Meta = { v: META_VERSION };
  let headers: Record<string, JsonValue> | undefined;
  for (const [k, v] of Object.entries(m.headers)) {
    const problem = valueProblem(v);
    if (problem !== undefined) throw new BrokerError('INVALID_ARGUMENT', `header "${k}": ${problem}`);
    headers ??= {};
    headers[k] = valueToJson(v);
  }
  if (!isEmpty(m.properties)) meta.p = tagSpecials(m.properties as Record<string, unknown>);
  if (headers !== undefined) meta.h = headers;
  if (!m.persistent) meta.t = 1;
  if (m.groupId !== undefined) meta.g = m.groupId;
  if (m.dedupId !== undefined) meta.d = m.dedupId;
  if (m.partitionKey !== undefined) meta.k = m.partitionKey;
  return { body: Buffer.from(m.body), meta: JSON.stringify(meta) };
}

function decodeRecord(raw: unknown, where: string): Record<string, unknown> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new BrokerError('STORE_FAILED', `corrupt message meta: ${where} is not an object`);
  }
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (typeof v === 'object' && v !== null) obj[key] = untagNumber(v as Record<string, unknown>, where);
  }
  return obj;
}

/** Headers of a v2 meta: each value in the value-json form. */
function decodeHeaders(raw: unknown): Headers {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new BrokerError('STORE_FAILED', 'corrupt message meta: headers is not an object');
  }
  const out: Headers = {};
  for (const [k, j] of Object.entries(raw)) {
    try {
      Object.defineProperty(out, k, { value: valueFromJson(j, `header "${k}"`), enumerable: true, writable: true, configurable: true });
    } catch (err) {
      if (!isBrokerError(err)) throw err;
      throw new BrokerError('STORE_FAILED', `corrupt message meta: ${err.message}`, { cause: err });
    }
  }
  return out;
}

/**
 * The meta text of `meta` rewritten in the current version, or undefined when it is current
 * already. Used by the stores' row migration. Throws STORE_FAILED on corrupt meta.
 */
export function upgradeMeta(meta: string): string | undefined {
  if (meta.startsWith(`{"v":${META_VERSION},`) || meta === `{"v":${META_VERSION}}`) return undefined;
  return encodeMessage(decodeMessage(null, meta)).meta;
}

/** Decode what encodeMessage produced (any supported meta version). Throws STORE_FAILED on corrupt meta. */
export function decodeMessage(body: Buffer | Uint8Array | null, meta: string): Message {
  let parsed: unknown;
  try {
    parsed = JSON.parse(meta);
  } catch (err) {
    throw new BrokerError('STORE_FAILED', 'corrupt message meta: not JSON', { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null) throw new BrokerError('STORE_FAILED', 'corrupt message meta: not an object');
  const mv = parsed as Meta;
  if (mv.v !== 1 && mv.v !== 2) throw new BrokerError('STORE_FAILED', `unsupported message meta version ${String(mv.v)}`);
  const buf = body === null ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const msg: Message = {
    body: buf,
    properties: decodeRecord(mv.p, 'properties') as MessageProperties,
    headers: mv.v === 1 ? (decodeRecord(mv.h, 'headers') as Headers) : decodeHeaders(mv.h),
    persistent: mv.t !== 1,
  };
  if (mv.g !== undefined) msg.groupId = mv.g;
  if (mv.d !== undefined) msg.dedupId = mv.d;
  if (mv.k !== undefined) msg.partitionKey = mv.k;
  return msg;
}
