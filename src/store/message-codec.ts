/**
 * Storage-agnostic encoding of a core Message into two columns: the body bytes (BLOB / bytea)
 * and a compact JSON text holding everything else. Shared by the SQLite and PostgreSQL stores.
 *
 * Meta layout (keys omitted when empty / default):
 *   { "v": 3, "p": {properties}, "h": {headers}, "t": 1 if NOT persistent, "g": groupId, "d": dedupId,
 *     "k": partitionKey, "x": {protocol slot: {"amqp10": {"bodyKind": "string"}, "mqtt": {...}}} }
 *
 * Version 3 (current): header values and protocol-slot fields are in the JSON form of
 * src/core/value-json.ts, so typed values (long as bigint, binary as Buffer, nested lists and
 * maps...) decode to exactly what was encoded.
 * Version 2: the same without the protocol slot ("x").
 * Version 1 (written before typed values existed) held only plain scalars.
 * Versions 1 and 2 are still read: their protocol details, kept then as the headers listed in
 * src/core/protocol-slot.ts LEGACY_DETAIL_HEADERS (`x-amqp-body`, `x-mqtt-publish-qos`...), are
 * moved into the slot on decode, so a message stored by an older broker delivers the same.
 * Schema migrations 2 and 3 of both stores rewrite older rows to the current version (`upgradeMeta`).
 *
 * In every version JSON has no NaN / ±Infinity / -0: such plain header or property numbers are
 * written as {"$num": "NaN" | "Infinity" | "-Infinity" | "-0"}.
 */
import { BrokerError, isBrokerError } from '../core/errors.js';
import type { Headers, Message, MessageProperties } from '../core/message.js';
import { liftLegacyDetails, type ProtocolDetails } from '../core/protocol-slot.js';
import { numberToJson, valueFromJson, valueToJson, type JsonValue } from '../core/value-json.js';
import { valueProblem, type Value } from '../core/values.js';

export interface EncodedMessage {
  body: Buffer;
  meta: string;
}

export const META_VERSION = 3;

interface Meta {
  v: number;
  p?: Record<string, unknown>;
  h?: Record<string, unknown>;
  t?: 1;
  g?: string;
  d?: string;
  k?: string;
  x?: Record<string, Record<string, JsonValue>>;
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
  for (const k in m.headers) {
    if (!Object.hasOwn(m.headers, k)) continue;
    const v = m.headers[k];
    headers ??= {};
    if (v === null || typeof v === 'string' || typeof v === 'boolean') {
      headers[k] = v; // the common case: no validation or conversion needed
      continue;
    }
    const problem = valueProblem(v);
    if (problem !== undefined) throw new BrokerError('INVALID_ARGUMENT', `header "${k}": ${problem}`);
    headers[k] = valueToJson(v!);
  }
  if (!isEmpty(m.properties)) meta.p = tagSpecials(m.properties as Record<string, unknown>);
  if (headers !== undefined) meta.h = headers;
  if (!m.persistent) meta.t = 1;
  if (m.groupId !== undefined) meta.g = m.groupId;
  if (m.dedupId !== undefined) meta.d = m.dedupId;
  if (m.partitionKey !== undefined) meta.k = m.partitionKey;
  if (m.protocol !== undefined) {
    const x = encodeSlot(m.protocol);
    if (x !== undefined) meta.x = x;
  }
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

/** The protocol slot as JSON (undefined fields and empty entries left out), or undefined when empty. */
function encodeSlot(slot: ProtocolDetails): Record<string, Record<string, JsonValue>> | undefined {
  if (typeof slot !== 'object' || slot === null) throw new BrokerError('INVALID_ARGUMENT', 'message protocol slot must be an object');
  let out: Record<string, Record<string, JsonValue>> | undefined;
  for (const [protocol, details] of Object.entries(slot)) {
    if (details === undefined) continue;
    if (typeof details !== 'object' || details === null) throw new BrokerError('INVALID_ARGUMENT', `protocol slot "${protocol}" must be an object`);
    let entry: Record<string, JsonValue> | undefined;
    const fields = details as Readonly<Record<string, Value | undefined>>;
    for (const field in fields) {
      const v = fields[field];
      if (v === undefined || !Object.hasOwn(fields, field)) continue;
      if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v) && !Object.is(v, -0))) {
        (entry ??= {})[field] = v; // the common case (body kind, QoS, topic)
        continue;
      }
      const problem = valueProblem(v);
      if (problem !== undefined) throw new BrokerError('INVALID_ARGUMENT', `protocol slot "${protocol}.${field}": ${problem}`);
      entry ??= {};
      entry[field] = valueToJson(v);
    }
    if (entry !== undefined) (out ??= {})[protocol] = entry;
  }
  return out;
}

/** A record of values in the value-json form (headers, one protocol's slot entry). */
function decodeValues(raw: unknown, what: string): Headers {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new BrokerError('STORE_FAILED', `corrupt message meta: ${what} is not an object`);
  }
  const out: Headers = {};
  const obj = raw as Record<string, unknown>;
  for (const k in obj) {
    const j = obj[k];
    try {
      const v = j === null || typeof j === 'string' || typeof j === 'boolean' || typeof j === 'number' ? j : valueFromJson(j, () => `${what} "${k}"`);
      // a key named __proto__ must stay an ordinary entry
      if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      else out[k] = v;
    } catch (err) {
      if (!isBrokerError(err)) throw err;
      throw new BrokerError('STORE_FAILED', `corrupt message meta: ${err.message}`, { cause: err });
    }
  }
  return out;
}

function decodeSlot(raw: unknown): ProtocolDetails | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new BrokerError('STORE_FAILED', 'corrupt message meta: protocol slot is not an object');
  }
  const out: ProtocolDetails = {};
  const obj = raw as Record<string, unknown>;
  for (const protocol in obj) {
    const details = decodeValues(obj[protocol], `protocol slot ${protocol}`);
    if (protocol === '__proto__') Object.defineProperty(out, protocol, { value: details, enumerable: true, writable: true, configurable: true });
    else out[protocol] = details;
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
  if (mv.v !== 1 && mv.v !== 2 && mv.v !== 3) throw new BrokerError('STORE_FAILED', `unsupported message meta version ${String(mv.v)}`);
  const buf = body === null ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const msg: Message = {
    body: buf,
    properties: decodeRecord(mv.p, 'properties') as MessageProperties,
    headers: mv.v === 1 ? (decodeRecord(mv.h, 'headers') as Headers) : decodeValues(mv.h, 'header'),
    persistent: mv.t !== 1,
  };
  if (mv.g !== undefined) msg.groupId = mv.g;
  if (mv.d !== undefined) msg.dedupId = mv.d;
  if (mv.k !== undefined) msg.partitionKey = mv.k;
  const slot = mv.v === 3 ? decodeSlot(mv.x) : liftLegacyDetails(msg.headers, undefined);
  if (slot !== undefined) msg.protocol = slot;
  return msg;
}
