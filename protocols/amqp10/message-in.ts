/**
 * AMQP 1.0 message (as decoded by rhea, plus its raw encoding) → core Message.
 * The mapping table is in docs/protocol-mapping.md (## AMQP 1.0).
 */
import rhea, { type Message as RheaMessage } from 'rhea';
import type { Headers, Message, MessageProperties } from '../../src/core/message.js';
import { valueToNumber, valueToText, type Value } from '../../src/core/values.js';
import { AmqpDecodeError, bodySections, Descriptor, sectionValues } from './amqp-codec.js';
import type { Amqp10Details } from '../../src/core/protocol-slot.js';
import { ANNOTATION_PREFIX, idToString, isReservedHeader, type BodyMarker } from './body-kind.js';
import { isSection } from './rhea-internals.js';
import { decodeMapEntries } from './typed-codec.js';

export interface InboundMessage {
  message: Message;
  /** Per-message delay from x-opt-delivery-delay / x-opt-delivery-time (queues). */
  delayMs?: number;
  /** properties.to (anonymous-relay links route by it). */
  to?: string;
}

export interface InboundContext {
  /** Authenticated user: becomes properties.userId (the client's user-id is not trusted). */
  userId: string;
  now: number;
}

/** Artemis' duplicate-detection application property; mapped to the core dedupId. */
export const ARTEMIS_DUPLICATE_ID = '_AMQ_DUPL_ID';

/**
 * The entries of a map section (application-properties, message-annotations) with their AMQP
 * types (typed-codec.ts), decoded from the raw message; when there are no raw bytes, from rhea's
 * re-encoding of its decoded view (which has lost the widths).
 */
function typedSections(m: RheaMessage, raw: Buffer | undefined): { app: Array<[string, Value | undefined]>; ann: Array<[string, Value | undefined]> } {
  const bytes = raw ?? rhea.message.encode(m);
  const [appPos, annPos] = sectionValues(bytes, [Descriptor.applicationProperties, Descriptor.messageAnnotations]);
  return { app: mapEntriesAt(bytes, appPos), ann: mapEntriesAt(bytes, annPos) };
}

function mapEntriesAt(bytes: Buffer, pos: number | undefined): Array<[string, Value | undefined]> {
  if (pos === undefined) return [];
  try {
    return decodeMapEntries(bytes, pos, bytes.length);
  } catch (err) {
    if (!(err instanceof RangeError) && !(err instanceof AmqpDecodeError)) throw err;
    return []; // rhea decoded the same bytes already, so this is unreachable for a message rhea accepted
  }
}

function timeOf(v: unknown): number | undefined {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  return undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

interface Body {
  bytes: Buffer;
  marker?: BodyMarker;
}

/** Exact bytes of the body sections: from the raw payload, else re-encoded by rhea (type-lossy). */
function sectionBytes(raw: Buffer | undefined, body: unknown): Buffer {
  const r = raw ? bodySections(raw) : undefined;
  if (raw && r) return raw.subarray(r.start, r.end);
  const encoded = rhea.message.encode({ body });
  const e = bodySections(encoded);
  return e ? encoded.subarray(e.start, e.end) : Buffer.alloc(0);
}

function convertBody(m: RheaMessage, raw: Buffer | undefined): Body {
  const body: unknown = m.body;
  const kind = raw ? bodySections(raw)?.kind : undefined;
  if (isSection(body)) {
    if (body.typecode === Descriptor.data) {
      const c = body.content;
      if (Buffer.isBuffer(c)) return { bytes: c };
      if (Array.isArray(c)) return { bytes: Buffer.concat(c.filter((x): x is Buffer => Buffer.isBuffer(x))) };
      return { bytes: Buffer.alloc(0) };
    }
    return { bytes: sectionBytes(raw, body), marker: 'amqp-sequence' };
  }
  if (body === undefined && kind === undefined) return { bytes: Buffer.alloc(0) };
  if (typeof body === 'string') return { bytes: Buffer.from(body, 'utf8'), marker: 'string' };
  if (Buffer.isBuffer(body)) return { bytes: body, marker: 'binary' };
  if (body === null || body === undefined) return { bytes: Buffer.alloc(0), marker: 'null' };
  return { bytes: sectionBytes(raw, body), marker: 'amqp-value' };
}

export function fromAmqp(m: RheaMessage, raw: Buffer | undefined, ctx: InboundContext): InboundMessage {
  const headers: Headers = {};
  let dedupId: string | undefined;
  const sections = typedSections(m, raw);
  for (const [k, v] of sections.app) {
    if (isReservedHeader(k) || v === undefined) continue;
    if (k === ARTEMIS_DUPLICATE_ID && v !== null) dedupId = valueToText(v);
    else headers[k] = v;
  }
  let delayMs: number | undefined;
  let partitionKey: string | undefined;
  for (const [k, v] of sections.ann) {
    if (!k.startsWith(ANNOTATION_PREFIX) || v === undefined) continue;
    if (k === 'x-opt-delivery-delay') {
      const d = valueToNumber(v);
      if (d !== undefined && Number.isFinite(d) && d > 0) delayMs = d;
    } else if (k === 'x-opt-delivery-time') {
      const t = valueToNumber(v);
      if (t !== undefined && Number.isFinite(t) && t > ctx.now) delayMs = t - ctx.now;
    } else if (k === 'x-opt-partition-key' && typeof v === 'string' && v !== '') {
      partitionKey = v;
    } else {
      headers[k] = v;
    }
  }

  const properties: MessageProperties = { userId: ctx.userId };
  const details: Amqp10Details = {};
  const mid = idToString(m.message_id);
  if (mid) {
    properties.messageId = mid.id;
    if (mid.type) details.messageIdType = mid.type;
  }
  const cid = idToString(m.correlation_id);
  if (cid) {
    properties.correlationId = cid.id;
    if (cid.type) details.correlationIdType = cid.type;
  }
  const replyTo = str(m.reply_to);
  if (replyTo !== undefined) properties.replyTo = replyTo;
  const subject = str(m.subject);
  if (subject !== undefined) properties.subject = subject;
  const contentEncoding = str(m.content_encoding);
  if (contentEncoding !== undefined) properties.contentEncoding = contentEncoding;
  const created = timeOf(m.creation_time);
  if (created !== undefined) properties.timestamp = created;
  if (typeof m.priority === 'number') properties.priority = Math.max(0, Math.min(9, m.priority));
  let expiresAt = timeOf(m.absolute_expiry_time);
  if (expiresAt === 0) expiresAt = undefined;
  if (typeof m.ttl === 'number' && m.ttl > 0) expiresAt = Math.min(expiresAt ?? Infinity, ctx.now + m.ttl);
  if (expiresAt !== undefined) properties.expiresAt = expiresAt;

  const body = convertBody(m, raw);
  let contentType = str(m.content_type);
  if (body.marker === 'string' && contentType === undefined) contentType = 'text/plain';
  if (contentType !== undefined) properties.contentType = contentType;
  if (body.marker) details.bodyKind = body.marker;

  const message: Message = { body: body.bytes, properties, headers, persistent: m.durable === true };
  if (details.bodyKind !== undefined || details.messageIdType !== undefined || details.correlationIdType !== undefined) {
    message.protocol = { amqp10: details };
  }
  const groupId = str(m.group_id);
  if (groupId !== undefined && groupId !== '') message.groupId = groupId;
  if (dedupId !== undefined && dedupId !== '') message.dedupId = dedupId;
  if (partitionKey !== undefined) message.partitionKey = partitionKey;
  const out: InboundMessage = { message };
  if (delayMs !== undefined) out.delayMs = Math.round(delayMs);
  const to = str(m.to);
  if (to !== undefined) out.to = to;
  return out;
}
