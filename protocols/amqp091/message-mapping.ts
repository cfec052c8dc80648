/**
 * basic.publish content ↔ the core message model (documented in docs/protocol-mapping.md,
 * ## AMQP 0-9-1).
 *
 * | 0-9-1 property    | core                                                        |
 * |-------------------|-------------------------------------------------------------|
 * | content-type      | properties.contentType                                      |
 * | content-encoding  | properties.contentEncoding                                  |
 * | headers           | headers (typed values, codec/field-table.ts)                |
 * | delivery-mode     | persistent (2 → true; 1 or absent → false)                  |
 * | priority          | properties.priority (0..9; above 9 counts as 9, exact value kept for 0-9-1) |
 * | correlation-id    | properties.correlationId                                    |
 * | reply-to          | properties.replyTo                                          |
 * | expiration        | properties.expiresAt = now + ms (text kept for 0-9-1)       |
 * | message-id        | properties.messageId                                        |
 * | timestamp (s)     | properties.timestamp (ms)                                   |
 * | type              | properties.type                                             |
 * | user-id           | properties.userId = the authenticated user (a different user-id is refused, 406) |
 * | app-id, cluster-id| protocol slot `amqp091` (0-9-1 consumers only)              |
 * | exchange, routing key | the core routing slot (`protocol.routing`; basic.deliver shows it) |
 */
import type { Message, MessageProperties } from '../../src/core/message.js';
import { publishedWith, ROUTING_SLOT } from '../../src/core/queue/dead-letter-target.js';
import type { Value } from '../../src/core/values.js';
import type { BasicProperties } from './codec/content-header.js';
import { AmqpError } from './errors.js';

export const SLOT = 'amqp091';

export interface InboundContext {
  /** The authenticated user name. */
  userName: string;
  exchange: string;
  routingKey: string;
  now: number;
}

const EXPIRATION = /^(0|[1-9][0-9]{0,15})$/;
const PUBLISH = { classId: 60, methodId: 40 };

export function toCoreMessage(props: BasicProperties, body: Buffer, ctx: InboundContext): Message {
  const p: MessageProperties = {};
  const slot: Record<string, Value> = {};
  if (props.contentType !== undefined) p.contentType = props.contentType;
  if (props.contentEncoding !== undefined) p.contentEncoding = props.contentEncoding;
  if (props.priority !== undefined) {
    p.priority = Math.min(9, props.priority);
    if (props.priority > 9) slot.priority = props.priority;
  }
  if (props.correlationId !== undefined) p.correlationId = props.correlationId;
  if (props.replyTo !== undefined) p.replyTo = props.replyTo;
  if (props.expiration !== undefined) {
    if (!EXPIRATION.test(props.expiration)) throw new AmqpError('PRECONDITION_FAILED', `invalid expiration '${props.expiration}'`, PUBLISH);
    p.expiresAt = ctx.now + Number(props.expiration);
    slot.expiration = props.expiration;
  }
  if (props.messageId !== undefined) p.messageId = props.messageId;
  if (props.timestamp !== undefined) p.timestamp = props.timestamp * 1000;
  if (props.type !== undefined) p.type = props.type;
  if (props.userId !== undefined) {
    if (props.userId !== ctx.userName) {
      throw new AmqpError('PRECONDITION_FAILED', `user_id property set to '${props.userId}' but authenticated user was '${ctx.userName}'`, PUBLISH);
    }
    slot.userIdSet = true;
  }
  p.userId = ctx.userName;
  if (props.appId !== undefined) slot.appId = props.appId;
  if (props.clusterId !== undefined) slot.clusterId = props.clusterId;
  return {
    body,
    properties: p,
    headers: props.headers ?? {},
    persistent: props.deliveryMode === 2,
    protocol: { [SLOT]: slot, [ROUTING_SLOT]: { exchange: ctx.exchange, routingKey: ctx.routingKey } },
  };
}

function slotString(slot: Readonly<Record<string, Value | undefined>> | undefined, key: string): string | undefined {
  const v = slot?.[key];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Where a delivered message says it came from: the core routing slot (written on publish, and by
 * dead-lettering: the dead-letter exchange and key), else amq.topic and the topic for topic
 * copies, else the default exchange and the queue's name.
 */
export function deliveryRoute(m: Message, queueName: string): { exchange: string; routingKey: string } {
  return publishedWith(m, queueName);
}

export function toBasicProperties(m: Message, now: number): BasicProperties {
  const p = m.properties;
  const slot = m.protocol?.[SLOT];
  const out: BasicProperties = {};
  if (p.contentType !== undefined) out.contentType = p.contentType;
  if (p.contentEncoding !== undefined) out.contentEncoding = p.contentEncoding;
  if (Object.keys(m.headers).length > 0) out.headers = m.headers;
  out.deliveryMode = m.persistent ? 2 : 1;
  const exactPriority = slot?.priority;
  if (typeof exactPriority === 'number') out.priority = exactPriority;
  else if (p.priority !== undefined) out.priority = p.priority;
  if (p.correlationId !== undefined) out.correlationId = shortstr(p.correlationId);
  if (p.replyTo !== undefined) out.replyTo = shortstr(p.replyTo);
  const expiration = slotString(slot, 'expiration');
  if (expiration !== undefined) out.expiration = expiration;
  else if (p.expiresAt !== undefined) out.expiration = String(Math.max(0, p.expiresAt - now));
  if (p.messageId !== undefined) out.messageId = shortstr(p.messageId);
  if (p.timestamp !== undefined) out.timestamp = Math.max(0, Math.floor(p.timestamp / 1000));
  if (p.type !== undefined) out.type = shortstr(p.type);
  const fromAmqp091 = slot !== undefined;
  if (p.userId !== undefined && (!fromAmqp091 || slot.userIdSet === true)) out.userId = shortstr(p.userId);
  const appId = slotString(slot, 'appId');
  if (appId !== undefined) out.appId = appId;
  const clusterId = slotString(slot, 'clusterId');
  if (clusterId !== undefined) out.clusterId = clusterId;
  return out;
}

/** Properties from other protocols may be longer than a shortstr: cut to 255 bytes. */
function shortstr(s: string): string {
  if (Buffer.byteLength(s) <= 255) return s;
  return Buffer.from(s).subarray(0, 255).toString('utf8').replace(/\uFFFD+$/, '');
}
