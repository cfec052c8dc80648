/**
 * Shapes of the exchange registry (AMQP 0-9-1 exchanges and bindings, protocol-neutral):
 * what front-ends pass in and get back. See README.md for the semantics.
 */
import type { Value } from '../values.js';

export type ExchangeType = 'direct' | 'fanout' | 'topic' | 'headers';
export const EXCHANGE_TYPES: readonly ExchangeType[] = ['direct', 'fanout', 'topic', 'headers'];

export interface ExchangeSpec {
  type: ExchangeType;
  /** Survives a restart and a failover (with its bindings to durable destinations). */
  durable: boolean;
  /** Deleted when its last binding (as source) is removed. */
  autoDelete: boolean;
  /** Clients cannot publish to it; only exchange-to-exchange bindings feed it. */
  internal: boolean;
  /** Typed values; `alternate-exchange` (a string) is the one the core acts on. */
  arguments: Record<string, Value>;
}

export interface ExchangeInfo extends ExchangeSpec {
  name: string;
  /** The default exchange and the predeclared `amq.*` ones: cannot be deleted or redeclared differently. */
  builtIn: boolean;
}

/** `queue` names a queue or a stream (one namespace, as RabbitMQ's stream queues). */
export type BindingDestination = { kind: 'queue' | 'exchange'; name: string };

export interface Binding {
  source: string;
  destination: BindingDestination;
  routingKey: string;
  arguments: Record<string, Value>;
}

export interface BindingFilter {
  /** Bindings whose source is this exchange. */
  source?: string;
  /** Bindings whose destination is this queue (or stream). */
  queue?: string;
  /** Bindings whose destination is this exchange. */
  exchange?: string;
}

export interface ExchangePublishResult {
  /**
   * Destinations that accepted a copy: queues and streams, plus live topic subscribers when the
   * message went through amq.topic (they are RabbitMQ's MQTT/STOMP subscription queues).
   * 0 = unroutable (the 0-9-1 front-end returns a mandatory message).
   */
  routed: number;
}

/** The default exchange: routes to the queue named by the routing key. */
export const DEFAULT_EXCHANGE = '';
/** The core topic space as an exchange. */
export const TOPIC_SPACE_EXCHANGE = 'amq.topic';
export const ALTERNATE_EXCHANGE_ARGUMENT = 'alternate-exchange';
