/**
 * STOMP header ↔ conformance message mapping, shared by the stompit and @stomp/stompjs drivers
 * (docs/protocol-mapping.md, STOMP section).
 */
import type { Destination, ReceivedMessage, SendOptions } from '../driver.js';

/** Headers with protocol meaning or standard properties: not application headers. */
const PROTOCOL_HEADERS = new Set([
  'subscription', 'message-id', 'destination', 'ack', 'redelivered', 'content-length', 'content-type',
  'content-encoding', 'correlation-id', 'reply-to', 'persistent', 'expires', 'priority', 'timestamp', 'type',
  'subject', 'amqp-message-id', 'user-id', 'x-stream-offset', 'receipt', 'transaction',
]);

export function stompAddress(dest: Destination): string {
  switch (dest.kind) {
    case 'queue': return `/queue/${dest.name}`;
    case 'topic': return `/topic/${dest.name}`;
    case 'address': return dest.address;
  }
}

/** SEND headers for a message (without destination/receipt). */
export function stompSendHeaders(opts: SendOptions, bodyLength: number): Record<string, string> {
  const h: Record<string, string> = { ...opts.headers };
  if (opts.persistent ?? true) h.persistent = 'true';
  if (opts.contentType !== undefined) h['content-type'] = opts.contentType;
  if (opts.correlationId !== undefined) h['correlation-id'] = opts.correlationId;
  if (opts.replyTo !== undefined) h['reply-to'] = opts.replyTo;
  if (opts.messageId !== undefined) h['message-id'] = opts.messageId;
  h['content-length'] = String(bodyLength);
  return h;
}

export function stompReceived(headers: Record<string, string>, body: Buffer, raw: unknown): ReceivedMessage {
  const app: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(headers)) if (!PROTOCOL_HEADERS.has(k)) app[k] = v;
  const m: ReceivedMessage = { body, headers: app, redelivered: headers.redelivered === 'true', raw };
  if (headers['content-type'] !== undefined) m.contentType = headers['content-type'];
  if (headers['correlation-id'] !== undefined) m.correlationId = headers['correlation-id'];
  if (headers['reply-to'] !== undefined) m.replyTo = headers['reply-to'];
  // The application's id travels as amqp-message-id; message-id is the broker's delivery id.
  if (headers['amqp-message-id'] !== undefined) m.messageId = headers['amqp-message-id'];
  return m;
}

export const STOMP_CAPABILITIES = {
  queues: true,
  topics: true,
  applicationHeaders: true,
  headersAsText: true,
  standardProperties: true,
  clientWindow: true,
  brokerWindow: false,
  transactions: true,
  typedProperties: false,
  tempReplyQueue: true,
  durableSubscriptions: true,
  redeliveredFlag: true,
  publishRefusalVisible: true,
} as const;

export const STOMP_NOTES = {
  typedProperties: 'STOMP headers are strings: typed values arrive as their text form',
  brokerWindow: 'the window is the SUBSCRIBE prefetch (activemq.prefetchSize)',
} as const;
