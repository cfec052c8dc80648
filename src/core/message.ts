/**
 * The one message model of the core. Every front-end converts to and from this shape;
 * the store persists exactly this shape.
 */
import { randomBytes } from 'node:crypto';
import type { ProtocolDetails } from './protocol-slot.js';
import { valueSize, type Value } from './values.js';

/**
 * Application header values: a plain string, number, boolean or null (the shorthand), or a
 * typed value that keeps its wire type (src/core/values.ts).
 */
export type HeaderValue = Value;
export type Headers = Record<string, HeaderValue>;

/** Standard properties, named after their JMS / AMQP meaning. All optional. */
export interface MessageProperties {
  /** Application-supplied message id (JMSMessageID / AMQP message-id / STOMP message-id on SEND). */
  messageId?: string;
  correlationId?: string;
  replyTo?: string;
  contentType?: string;
  contentEncoding?: string;
  /** 0 (lowest) .. 9 (highest); absent means the default priority 4. */
  priority?: number;
  /** Producer's creation time, ms since the epoch. */
  timestamp?: number;
  /** Absolute expiry, ms since the epoch; absent means no TTL. */
  expiresAt?: number;
  /** AMQP subject / JMSType-like routing hint. */
  subject?: string;
  type?: string;
  /** Authenticated user that published (set by the broker, not trusted from clients). */
  userId?: string;
  /**
   * The core topic the message was published to. Set by the broker on the copies that topic
   * subscriptions put into queues, so a consumer of a durable subscription (MQTT persistent
   * session, STOMP/AMQP durable subscriber) learns the concrete topic behind a wildcard.
   */
  topic?: string;
}

export interface Message {
  body: Buffer;
  properties: MessageProperties;
  headers: Headers;
  /** Persistent messages to durable destinations are committed to the store before the publish resolves. */
  persistent: boolean;
  /** FIFO message group (SQS MessageGroupId, JMSXGroupID). */
  groupId?: string;
  /** Deduplication id (SQS MessageDeduplicationId). */
  dedupId?: string;
  /** Stream partition key (Kinesis PartitionKey). */
  partitionKey?: string;
  /**
   * Protocol-private details (AMQP 1.0 body kind and id types, MQTT QoS and topic): read back only
   * by the protocol that wrote them, never shown to other protocols as headers (protocol-slot.ts).
   */
  protocol?: ProtocolDetails;
}

export const DEFAULT_PRIORITY = 4;

export function priorityOf(m: Message): number {
  const p = m.properties.priority;
  return p === undefined ? DEFAULT_PRIORITY : p;
}

/** Build a message with defaults filled in. */
export function createMessage(body: Buffer | string, init: Partial<Omit<Message, 'body'>> = {}): Message {
  return {
    body: typeof body === 'string' ? Buffer.from(body) : body,
    properties: init.properties ?? {},
    headers: init.headers ?? {},
    persistent: init.persistent ?? true,
    ...(init.groupId !== undefined ? { groupId: init.groupId } : {}),
    ...(init.dedupId !== undefined ? { dedupId: init.dedupId } : {}),
    ...(init.partitionKey !== undefined ? { partitionKey: init.partitionKey } : {}),
    ...(init.protocol !== undefined ? { protocol: init.protocol } : {}),
  };
}

/** Size that counts against max message size: body plus header keys and values (values.ts valueSize). */
export function messageSize(m: Message): number {
  let size = m.body.length;
  for (const [k, v] of Object.entries(m.headers)) {
    size += Buffer.byteLength(k) + valueSize(v);
  }
  return size;
}

const idPrefix = `ID:${randomBytes(6).toString('hex')}-${Date.now().toString(36)}`;
let idCounter = 0;

/** Broker-assigned unique message id, ActiveMQ style: `ID:<node>-<boot>-<n>`. Unique across restarts. */
export function newMessageId(): string {
  idCounter += 1;
  return `${idPrefix}-${idCounter}`;
}
