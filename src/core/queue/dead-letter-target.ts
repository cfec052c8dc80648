/**
 * Where a queue's dead-lettered messages go: its dead-letter queue (SQS redrive, the message
 * moves as it is) or its dead-letter exchange (RabbitMQ DLX: a copy with x-death headers is
 * published through the broker's exchanges), and the routing facts a dead-lettered copy needs.
 */
import { BrokerError } from '../errors.js';
import type { Message } from '../message.js';
import type { Logger } from '../../log.js';

/**
 * Publishes a dead-lettered copy through an exchange (wired by the broker to its exchange
 * routing). Resolves when every copy is committed; unroutable is not an error (RabbitMQ drops).
 */
export type DeadLetterPublisher = (exchange: string, routingKey: string, message: Message) => Promise<unknown>;

/** The part of a Queue that receives messages moved by another queue's dead-letter queue redrive. */
export interface DeadLetterQueueTarget {
  readonly closed: boolean;
  /** Enqueue; any store write is issued before this returns. */
  acceptDeadLetter(message: Message, id: string): void;
}

/**
 * Core slot (`message.protocol.routing`) naming the exchange and routing key a message was
 * published with. The exchange router writes it on publish; dead-lettering writes it on the copy
 * it publishes; x-death's `exchange` and `routing-keys` come from it.
 */
export const ROUTING_SLOT = 'routing';

export interface PublishedWith {
  exchange: string;
  routingKey: string;
}

/**
 * How `message` reached `queue`: its routing slot; else a topic copy, published to amq.topic
 * with its topic as routing key; else the default exchange with the queue's name (every
 * other front-end addresses queues by name).
 */
export function publishedWith(message: Message, queue: string): PublishedWith {
  const slot = message.protocol?.[ROUTING_SLOT];
  if (slot && typeof slot['exchange'] === 'string' && typeof slot['routingKey'] === 'string') {
    return { exchange: slot['exchange'], routingKey: slot['routingKey'] };
  }
  const topic = message.properties.topic;
  if (topic !== undefined) return { exchange: 'amq.topic', routingKey: topic };
  return { exchange: '', routingKey: queue };
}

/** The message marked as published to `exchange` with `routingKey`. */
export function withPublishedWith(message: Message, exchange: string, routingKey: string): Message {
  return { ...message, protocol: { ...message.protocol, [ROUTING_SLOT]: { exchange, routingKey } } };
}

/** A queue as the default exchange sees it. */
export interface DefaultExchangeQueue {
  send(message: Message): Promise<unknown>;
}

/**
 * Dead-letter publishing without exchange routing: the default exchange `''` delivers to the
 * queue named by the routing key (nothing if there is none, as RabbitMQ); any other exchange
 * is unroutable here (logged). The broker uses this until core exchanges route it instead.
 */
export function defaultExchangePublisher(lookup: (queue: string) => DefaultExchangeQueue | undefined, logger: Logger): DeadLetterPublisher {
  return async (exchange, routingKey, message) => {
    if (exchange !== '') {
      logger.warn({ exchange, routingKey }, 'dead-letter exchange cannot route here (only the default exchange); message dropped');
      return { routed: false };
    }
    const queue = lookup(routingKey);
    if (!queue) {
      logger.debug({ routingKey }, 'dead-lettered message unroutable (no such queue); dropped');
      return { routed: false };
    }
    await queue.send(message);
    return { routed: true };
  };
}

/** A refusal by the target that retrying cannot fix (queue full, too large, ...): the copy is dropped, the source row deleted. */
export function isPermanentRefusal(err: unknown): boolean {
  return err instanceof BrokerError && err.status < 500;
}
