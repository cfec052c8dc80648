/**
 * RabbitMQ's direct reply-to: a client consumes the pseudo-queue `amq.rabbitmq.reply-to` (no-ack
 * only) and publishes requests with reply-to `amq.rabbitmq.reply-to`, which the broker rewrites;
 * a responder publishing to the default exchange with the rewritten reply-to as routing key
 * reaches the consumer. The reply path is a temporary queue of the channel's session (`temp.…`,
 * deleted with the channel), and the rewritten reply-to is `/queue/temp.…` (RabbitMQ writes
 * `amq.rabbitmq.reply-to.<opaque>`): the form STOMP and AMQP 1.0 clients can answer too, and that
 * the default exchange routes (basic-publish.ts). `amq.rabbitmq.reply-to.temp.…` keys route too.
 */
import type { Channel } from './channel.js';
import { AmqpError, type ErrorSite } from './errors.js';

export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';
const PREFIX = `${DIRECT_REPLY_TO}.`;
/** The session-local name of the channel's reply queue. */
export const REPLY_QUEUE_LOCAL = 'amq.rabbitmq.reply-to';

/** The core queue behind `amq.rabbitmq.reply-to.<name>`, or undefined for other routing keys. */
export function replyQueueOf(routingKey: string): string | undefined {
  return routingKey.startsWith(PREFIX) && routingKey.length > PREFIX.length ? routingKey.slice(PREFIX.length) : undefined;
}

/** The reply-to a request published on `ch` carries instead of `amq.rabbitmq.reply-to`. */
export function rewrittenReplyTo(ch: Channel, site: ErrorSite): string {
  if (ch.directReplyQueue === undefined) throw new AmqpError('PRECONDITION_FAILED', 'fast reply consumer does not exist', site);
  return `/queue/${ch.directReplyQueue}`;
}
