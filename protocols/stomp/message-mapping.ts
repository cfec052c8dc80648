/**
 * STOMP SEND frame → core Message, and core Message → STOMP MESSAGE frame.
 * The table is documented in docs/protocol-mapping.md (## STOMP).
 *
 * | STOMP header (SEND / MESSAGE) | core                          | notes |
 * |---|---|---|
 * | body (content-length or NUL-terminated) | body (bytes)       | byte for byte, NULs included |
 * | `content-type`              | properties.contentType          | |
 * | `content-encoding`          | properties.contentEncoding      | |
 * | `correlation-id`            | properties.correlationId        | |
 * | `reply-to`                  | properties.replyTo              | passed through; `/temp-queue/x` is rewritten to `/queue/<core name>` by the session |
 * | `expires` (ms epoch, 0 = never) | properties.expiresAt        | |
 * | `priority` (0..9)           | properties.priority             | |
 * | `persistent` (`true`)       | persistent                      | absent → false (ActiveMQ's STOMP default) |
 * | `timestamp` (ms epoch)      | properties.timestamp            | set to the arrival time when absent |
 * | `type`                      | properties.type                 | JMSType |
 * | `subject`                   | properties.subject              | AMQP subject |
 * | `message-id` on SEND        | properties.messageId            | MESSAGE carries it back as `amqp-message-id` |
 * | MESSAGE `message-id`        | broker message id               | queue/topic: core id; stream: the sequence number |
 * | MESSAGE `user-id`           | properties.userId               | set from the authenticated login, never from the client |
 * | `JMSXGroupID`               | groupId                         | FIFO queues |
 * | `x-deduplication-id`        | dedupId                         | FIFO queues and topics |
 * | `x-partition-key`           | partitionKey                    | streams; default: the connection's session id |
 * | `AMQ_SCHEDULED_DELAY` (ms)  | send delay (queues)             | ActiveMQ scheduled delivery |
 * | any other header            | headers[name] (string)          | values from other protocols are written as their string form (src/core/values.ts valueToText): numbers of every width and timestamps (ms) as decimal text, booleans true / false, null empty, uuid canonical, binary base64, list/map JSON |
 */
import { BrokerError } from '../../src/core/errors.js';
import type { Headers, Message, MessageProperties } from '../../src/core/message.js';
import { valueToText } from '../../src/core/values.js';
import type { StompFrame, StompVersion } from './frame.js';

export const PARTITION_KEY_HEADER = 'x-partition-key';
export const DEDUP_ID_HEADER = 'x-deduplication-id';
export const GROUP_ID_HEADER = 'JMSXGroupID';
export const DELAY_HEADER = 'AMQ_SCHEDULED_DELAY';
export const APP_MESSAGE_ID_HEADER = 'amqp-message-id';

/** Headers with protocol meaning: never copied into core headers on SEND, never overwritten on MESSAGE. */
const RESERVED = new Set([
  'destination', 'content-length', 'receipt', 'transaction', 'subscription', 'message-id', 'ack', 'redelivered',
  'content-type', 'content-encoding', 'correlation-id', 'reply-to', 'expires', 'priority', 'persistent', 'timestamp',
  'type', 'subject', 'user-id', GROUP_ID_HEADER, DEDUP_ID_HEADER, PARTITION_KEY_HEADER, DELAY_HEADER, APP_MESSAGE_ID_HEADER,
  'x-stream-offset',
]);

export interface InboundContext {
  /** Authenticated user name, undefined for anonymous clients. */
  userId: string | undefined;
  now: number;
  /** Value for properties.replyTo (the session rewrites temp destinations). */
  replyTo: string | undefined;
}

export interface InboundMessage {
  message: Message;
  delayMs?: number;
}

/** Convert a SEND frame. Throws BrokerError INVALID_ARGUMENT for malformed standard headers. */
export function fromSendFrame(frame: StompFrame, ctx: InboundContext): InboundMessage {
  const first = new Map<string, string>();
  const headers: Headers = {};
  for (const [name, value] of frame.headers) {
    if (first.has(name)) continue; // repeated header: the first occurrence wins
    first.set(name, value);
    if (!RESERVED.has(name)) headers[name] = value;
  }
  const properties: MessageProperties = {};
  const str = (name: string): string | undefined => first.get(name);
  const contentType = str('content-type');
  if (contentType !== undefined) properties.contentType = contentType;
  const contentEncoding = str('content-encoding');
  if (contentEncoding !== undefined) properties.contentEncoding = contentEncoding;
  const correlationId = str('correlation-id');
  if (correlationId !== undefined) properties.correlationId = correlationId;
  if (ctx.replyTo !== undefined) properties.replyTo = ctx.replyTo;
  const messageId = str('message-id') ?? str(APP_MESSAGE_ID_HEADER);
  if (messageId !== undefined && messageId !== '') properties.messageId = messageId;
  const type = str('type');
  if (type !== undefined) properties.type = type;
  const subject = str('subject');
  if (subject !== undefined) properties.subject = subject;
  const expires = integerHeader(first, 'expires');
  if (expires !== undefined && expires > 0) properties.expiresAt = expires;
  const priority = integerHeader(first, 'priority');
  if (priority !== undefined) {
    if (priority > 9) throw new BrokerError('INVALID_ARGUMENT', `priority must be 0..9, got ${priority}`);
    properties.priority = priority;
  }
  properties.timestamp = integerHeader(first, 'timestamp') ?? ctx.now;
  if (ctx.userId !== undefined) properties.userId = ctx.userId;

  const message: Message = { body: frame.body, properties, headers, persistent: str('persistent')?.trim().toLowerCase() === 'true' };
  const groupId = str(GROUP_ID_HEADER);
  if (groupId !== undefined && groupId !== '') message.groupId = groupId;
  const dedupId = str(DEDUP_ID_HEADER);
  if (dedupId !== undefined && dedupId !== '') message.dedupId = dedupId;
  const partitionKey = str(PARTITION_KEY_HEADER);
  if (partitionKey !== undefined && partitionKey !== '') message.partitionKey = partitionKey;
  const delayMs = integerHeader(first, DELAY_HEADER);
  return delayMs !== undefined && delayMs > 0 ? { message, delayMs } : { message };
}

function integerHeader(headers: Map<string, string>, name: string): number | undefined {
  const v = headers.get(name);
  if (v === undefined || v.trim() === '') return undefined;
  const t = v.trim();
  const n = /^[0-9]{1,16}$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n)) throw new BrokerError('INVALID_ARGUMENT', `header ${name} must be a non-negative integer, got ${JSON.stringify(v.slice(0, 40))}`);
  return n;
}

export interface OutboundDelivery {
  subscription: string;
  /** Broker message id (or stream sequence number). */
  messageId: string;
  destination: string;
  /** The 1.2 `ack` header; omitted for ack:auto subscriptions and older versions. */
  ack?: string;
  redelivered?: boolean;
  /** Protocol headers added after the standard ones (e.g. x-stream-offset). */
  extra?: Array<[string, string]>;
  message: Message;
}

/** Build a MESSAGE frame (content-length is added by the writer). */
export function toMessageFrame(d: OutboundDelivery, version: StompVersion): StompFrame {
  const out: Array<[string, string]> = [
    ['subscription', d.subscription],
    ['message-id', d.messageId],
    ['destination', d.destination],
  ];
  if (d.ack !== undefined && version === '1.2') out.push(['ack', d.ack]);
  if (d.redelivered) out.push(['redelivered', 'true']);
  if (d.extra) out.push(...d.extra);
  const m = d.message;
  const p = m.properties;
  if (p.contentType !== undefined) out.push(['content-type', p.contentType]);
  if (p.contentEncoding !== undefined) out.push(['content-encoding', p.contentEncoding]);
  if (p.correlationId !== undefined) out.push(['correlation-id', p.correlationId]);
  if (p.replyTo !== undefined) out.push(['reply-to', p.replyTo]);
  if (p.expiresAt !== undefined) out.push(['expires', String(p.expiresAt)]);
  if (p.priority !== undefined) out.push(['priority', String(p.priority)]);
  if (m.persistent) out.push(['persistent', 'true']);
  if (p.timestamp !== undefined) out.push(['timestamp', String(p.timestamp)]);
  if (p.type !== undefined) out.push(['type', p.type]);
  if (p.subject !== undefined) out.push(['subject', p.subject]);
  if (p.userId !== undefined) out.push(['user-id', p.userId]);
  if (p.messageId !== undefined) out.push([APP_MESSAGE_ID_HEADER, p.messageId]);
  if (m.groupId !== undefined) out.push([GROUP_ID_HEADER, m.groupId]);
  if (m.dedupId !== undefined) out.push([DEDUP_ID_HEADER, m.dedupId]);
  if (m.partitionKey !== undefined) out.push([PARTITION_KEY_HEADER, m.partitionKey]);
  for (const [name, value] of Object.entries(m.headers)) {
    if (RESERVED.has(name) || name === '') continue;
    out.push([name, valueToText(value)]);
  }
  return { command: 'MESSAGE', headers: out, body: m.body };
}
