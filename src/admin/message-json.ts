/**
 * The admin API's JSON form of a core message, both directions.
 * Bodies travel as UTF-8 text or base64 (`bodyEncoding`). Header values are plain JSON scalars
 * or typed values in the JSON form of src/core/value-json.ts (`{"type": "long", "value": "5"}`),
 * documented in docs/admin-api.md.
 */
import { BrokerError } from '../core/errors.js';
import type { HeaderValue, Headers, Message, MessageProperties } from '../core/message.js';
import type { ProtocolDetails } from '../core/protocol-slot.js';
import { valueFromJson, valueToJson } from '../core/value-json.js';
import { isTypedValue } from '../core/values.js';

export interface MessageInput {
  message: Message;
  delayMs?: number;
  retain?: boolean;
  explicitHashKey?: string;
}

const PROPERTY_KEYS: Array<keyof MessageProperties> = [
  'messageId', 'correlationId', 'replyTo', 'contentType', 'contentEncoding', 'priority', 'timestamp', 'expiresAt', 'subject', 'type',
];

function obj(v: unknown, what: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new BrokerError('INVALID_ARGUMENT', `${what} must be an object`);
  return v as Record<string, unknown>;
}

function optString(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new BrokerError('INVALID_ARGUMENT', `${what} must be a string`);
  return v;
}

function optNumber(v: unknown, what: string, min: number, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new BrokerError('INVALID_ARGUMENT', `${what} must be a number ${min}..${max}`);
  }
  return v;
}

/** Parse the JSON body of a send / publish / put request. */
export function parseMessageInput(body: unknown): MessageInput {
  const b = obj(body, 'request body');
  const encoding = optString(b.bodyEncoding, 'bodyEncoding') ?? 'utf8';
  if (encoding !== 'utf8' && encoding !== 'base64') throw new BrokerError('INVALID_ARGUMENT', 'bodyEncoding must be "utf8" or "base64"');
  const rawBody = b.body ?? '';
  if (typeof rawBody !== 'string') throw new BrokerError('INVALID_ARGUMENT', 'body must be a string (use bodyEncoding "base64" for binary)');
  const headersIn = obj(b.headers, 'headers');
  const headers: Record<string, HeaderValue> = {};
  for (const [k, v] of Object.entries(headersIn)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      headers[k] = valueFromJson(v, `header "${k}"`);
    } else if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new BrokerError('INVALID_ARGUMENT', `header "${k}" must be a string, number, boolean, null or a typed value {"type", "value"}`);
    } else {
      headers[k] = v;
    }
  }
  const propsIn = obj(b.properties, 'properties');
  const properties: MessageProperties = {};
  for (const [k, v] of Object.entries(propsIn)) {
    if (!PROPERTY_KEYS.includes(k as keyof MessageProperties)) {
      throw new BrokerError('INVALID_ARGUMENT', `unknown property "${k}" (known: ${PROPERTY_KEYS.join(', ')})`);
    }
    if (k === 'priority') properties.priority = optNumber(v, 'properties.priority', 0, 9);
    else if (k === 'timestamp' || k === 'expiresAt') properties[k] = optNumber(v, `properties.${k}`, 0, Number.MAX_SAFE_INTEGER);
    else (properties as Record<string, unknown>)[k] = optString(v, `properties.${k}`);
  }
  const ttlMs = optNumber(b.ttlMs, 'ttlMs', 1, Number.MAX_SAFE_INTEGER);
  if (ttlMs !== undefined) properties.expiresAt = Date.now() + ttlMs;
  if (b.persistent !== undefined && typeof b.persistent !== 'boolean') throw new BrokerError('INVALID_ARGUMENT', 'persistent must be a boolean');
  const message: Message = {
    body: encoding === 'base64' ? Buffer.from(rawBody, 'base64') : Buffer.from(rawBody, 'utf8'),
    properties,
    headers,
    persistent: b.persistent !== false,
  };
  const groupId = optString(b.groupId, 'groupId');
  const dedupId = optString(b.dedupId, 'dedupId');
  const partitionKey = optString(b.partitionKey, 'partitionKey');
  if (groupId !== undefined) message.groupId = groupId;
  if (dedupId !== undefined) message.dedupId = dedupId;
  if (partitionKey !== undefined) message.partitionKey = partitionKey;
  const out: MessageInput = { message };
  const delaySeconds = optNumber(b.delaySeconds, 'delaySeconds', 0, 900);
  if (delaySeconds !== undefined) out.delayMs = delaySeconds * 1000;
  if (b.retain !== undefined) {
    if (typeof b.retain !== 'boolean') throw new BrokerError('INVALID_ARGUMENT', 'retain must be a boolean');
    out.retain = b.retain;
  }
  const explicitHashKey = optString(b.explicitHashKey, 'explicitHashKey');
  if (explicitHashKey !== undefined) out.explicitHashKey = explicitHashKey;
  return out;
}

/** Text that survives JSON as-is: valid UTF-8 without control characters other than tab, CR, LF. */
function isPrintableUtf8(buf: Buffer): boolean {
  for (const b of buf) if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) return false;
  return Buffer.from(buf.toString('utf8'), 'utf8').equals(buf);
}

/** Headers for a response: plain values as they are, typed values in their JSON form. */
function headersToJson(h: Headers): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(h)) {
    if (!isTypedValue(v)) continue;
    out ??= { ...h };
    out[k] = valueToJson(v);
  }
  return out ?? h;
}

/** A core message as JSON for responses. */
export function messageToJson(m: Message): Record<string, unknown> {
  const text = isPrintableUtf8(m.body);
  return {
    body: m.body.toString(text ? 'utf8' : 'base64'),
    bodyEncoding: text ? 'utf8' : 'base64',
    properties: m.properties,
    headers: headersToJson(m.headers),
    persistent: m.persistent,
    ...(m.groupId !== undefined ? { groupId: m.groupId } : {}),
    ...(m.dedupId !== undefined ? { dedupId: m.dedupId } : {}),
    ...(m.partitionKey !== undefined ? { partitionKey: m.partitionKey } : {}),
    ...(m.protocol !== undefined ? { protocol: protocolToJson(m.protocol) } : {}),
  };
}

/** The protocol slot (read-only in the API): each protocol's fields, typed values in their JSON form. */
function protocolToJson(slot: ProtocolDetails): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [protocol, details] of Object.entries(slot)) {
    if (details === undefined) continue;
    const entry: Record<string, unknown> = {};
    for (const [field, v] of Object.entries(details)) if (v !== undefined) entry[field] = valueToJson(v);
    out[protocol] = entry;
  }
  return out;
}
