/**
 * Storage-agnostic encoding of a core Message into two columns: the body bytes (BLOB / bytea)
 * and a compact JSON text holding everything else. Shared by the SQLite and PostgreSQL stores.
 *
 * Meta layout (keys omitted when empty / default):
 *   { "v": 1, "p": {properties}, "h": {headers}, "t": 1 if NOT persistent, "g": groupId, "d": dedupId, "k": partitionKey }
 *
 * JSON has no NaN / ±Infinity / -0: such header or property numbers are written as
 * {"$num": "NaN" | "Infinity" | "-Infinity" | "-0"} (real values are never objects, so the tag is unambiguous).
 */
import { BrokerError } from '../core/errors.js';
import type { HeaderValue, Headers, Message, MessageProperties } from '../core/message.js';

export interface EncodedMessage {
  body: Buffer;
  meta: string;
}

const META_VERSION = 1;

interface MetaV1 {
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

function tagNumber(n: number): { $num: string } {
  return { $num: Object.is(n, -0) ? '-0' : String(n) };
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
      out[key] = tagNumber(v);
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
  const meta: MetaV1 = { v: META_VERSION };
  for (const [k, v] of Object.entries(m.headers)) {
    const t = typeof v;
    if (!(v === null || t === 'string' || t === 'number' || t === 'boolean')) {
      throw new BrokerError('INVALID_ARGUMENT', `header "${k}" has an unsupported value type (${t})`);
    }
  }
  if (!isEmpty(m.properties)) meta.p = tagSpecials(m.properties as Record<string, unknown>);
  if (!isEmpty(m.headers)) meta.h = tagSpecials(m.headers);
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

/** Decode what encodeMessage produced. Throws STORE_FAILED on corrupt meta. */
export function decodeMessage(body: Buffer | Uint8Array | null, meta: string): Message {
  let parsed: unknown;
  try {
    parsed = JSON.parse(meta);
  } catch (err) {
    throw new BrokerError('STORE_FAILED', 'corrupt message meta: not JSON', { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null) throw new BrokerError('STORE_FAILED', 'corrupt message meta: not an object');
  const mv = parsed as MetaV1;
  if (mv.v !== META_VERSION) throw new BrokerError('STORE_FAILED', `unsupported message meta version ${String(mv.v)}`);
  const buf = body === null ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const msg: Message = {
    body: buf,
    properties: decodeRecord(mv.p, 'properties') as MessageProperties,
    headers: decodeRecord(mv.h, 'headers') as Record<string, HeaderValue> as Headers,
    persistent: mv.t !== 1,
  };
  if (mv.g !== undefined) msg.groupId = mv.g;
  if (mv.d !== undefined) msg.dedupId = mv.d;
  if (mv.k !== undefined) msg.partitionKey = mv.k;
  return msg;
}
