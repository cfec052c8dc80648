/**
 * Core Message → encoded AMQP 1.0 message (the transfer payload).
 * The mapping table is in docs/protocol-mapping.md (## AMQP 1.0).
 */
import rhea from 'rhea';
import type { HeaderValue, Message } from '../../src/core/message.js';
import { Descriptor, isBodySectionRun } from './amqp-codec.js';
import { ANNOTATION_PREFIX, idFromString, isReservedHeader } from './body-kind.js';
import { NO_BODY } from './rhea-internals.js';
import { isTypedValue } from '../../src/core/values.js';
import { toRheaValue } from './typed-codec.js';

export interface OutboundContext {
  now: number;
  /** Core receive count (queues): delivery-count = receiveCount - 1, first-acquirer = receiveCount === 1. */
  receiveCount?: number;
  /** properties.to: the address the receiving link is attached to. */
  to?: string;
  /** Extra message annotations (e.g. x-stream-offset). */
  annotations?: Record<string, unknown>;
}

const MAX_UINT = 0xffff_ffff;
/** Qpid JMS reads these annotations as bytes. */
const BYTE_ANNOTATIONS = new Set(['x-opt-jms-msg-type', 'x-opt-jms-dest', 'x-opt-jms-reply-to']);

/** Application-properties keep their core type (typed-codec.ts); plain numbers go as int, long or double. */
function appValue(v: HeaderValue): unknown {
  return toRheaValue(v);
}

function annotationValue(k: string, v: HeaderValue): unknown {
  if (typeof v === 'number' && BYTE_ANNOTATIONS.has(k) && Number.isInteger(v) && v >= -128 && v <= 127) {
    return rhea.types.wrap_byte(v);
  }
  return isTypedValue(v) ? toRheaValue(v) : v;
}

function idValue(id: string, type: unknown): unknown {
  const r = idFromString(id, type);
  return r.binary ? rhea.types.wrap_binary(r.value) : r.value;
}

/** The body for rhea's encoder, or the exact pre-encoded sections to append. */
function body(m: Message): { body: unknown; raw?: Buffer } {
  switch (m.protocol?.amqp10?.bodyKind) {
    case 'string':
      return { body: m.body.toString('utf8') };
    case 'binary':
      return { body: m.body };
    case 'null':
      return { body: null };
    case 'amqp-value':
      if (isBodySectionRun(m.body, Descriptor.amqpValue)) return { body: NO_BODY, raw: m.body };
      break;
    case 'amqp-sequence':
      if (isBodySectionRun(m.body, Descriptor.amqpSequence)) return { body: NO_BODY, raw: m.body };
      break;
    default:
      break;
  }
  return { body: rhea.message.data_section(m.body) };
}

export function toAmqp(m: Message, ctx: OutboundContext): Buffer {
  const p = m.properties;
  const out: Record<string, unknown> = { durable: m.persistent };
  if (p.priority !== undefined) out.priority = p.priority;
  if (p.expiresAt !== undefined) {
    out.ttl = Math.min(MAX_UINT, Math.max(1, p.expiresAt - ctx.now));
    out.absolute_expiry_time = p.expiresAt;
  }
  if (ctx.receiveCount !== undefined) {
    out.first_acquirer = ctx.receiveCount <= 1;
    out.delivery_count = Math.max(0, ctx.receiveCount - 1);
  }

  const annotations: Record<string, unknown> = { ...ctx.annotations };
  const app: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m.headers)) {
    if (isReservedHeader(k)) continue;
    if (k.startsWith(ANNOTATION_PREFIX)) annotations[k] = annotationValue(k, v);
    else app[k] = appValue(v);
  }
  if (m.partitionKey !== undefined && annotations['x-opt-partition-key'] === undefined) annotations['x-opt-partition-key'] = m.partitionKey;
  if (m.dedupId !== undefined) app._AMQ_DUPL_ID = m.dedupId;
  if (Object.keys(annotations).length > 0) out.message_annotations = annotations;
  if (Object.keys(app).length > 0) out.application_properties = app;

  if (p.messageId !== undefined) out.message_id = idValue(p.messageId, m.protocol?.amqp10?.messageIdType);
  if (p.userId !== undefined) out.user_id = Buffer.from(p.userId, 'utf8');
  if (ctx.to !== undefined) out.to = ctx.to;
  if (p.subject !== undefined) out.subject = p.subject;
  if (p.replyTo !== undefined) out.reply_to = p.replyTo;
  if (p.correlationId !== undefined) out.correlation_id = idValue(p.correlationId, m.protocol?.amqp10?.correlationIdType);
  if (p.contentType !== undefined) out.content_type = p.contentType;
  if (p.contentEncoding !== undefined) out.content_encoding = p.contentEncoding;
  if (p.timestamp !== undefined) out.creation_time = p.timestamp;
  if (m.groupId !== undefined) out.group_id = m.groupId;

  const b = body(m);
  out.body = b.body;
  const encoded = rhea.message.encode(out);
  return b.raw ? Buffer.concat([encoded, b.raw]) : encoded;
}
