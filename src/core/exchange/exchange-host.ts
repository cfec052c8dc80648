/**
 * What the exchange registry needs of the Broker that owns it: the queue/stream namespace, the
 * core topic space (amq.topic) and durable keyed state. The Broker builds it from its private
 * parts, so amq.topic bindings can use the core-internal `**` pattern level that the Broker's
 * public subscribe methods refuse.
 */
import type { Clock } from '../clock.js';
import type { Message } from '../message.js';
import type { StateMap } from '../state-map.js';
import type { SubscriptionRecord } from '../store.js';
import type { ExtraTarget, PublishResult } from '../topic/topic-router.js';
import type { Logger } from '../../log.js';

export interface DestinationInfo {
  kind: 'queue' | 'stream';
  durable: boolean;
}

/** An amq.topic queue binding as a core topic subscription. */
export interface TopicSpaceSubscription {
  id: string;
  /** Core pattern (may use `**`). */
  pattern: string;
  queue: string;
  attributes: Record<string, unknown>;
}

export interface TopicSpace {
  subscribe(sub: TopicSpaceSubscription): Promise<unknown>;
  unsubscribe(id: string): Promise<boolean>;
  /** Queue subscriptions, optionally only those into `queue`. */
  subscriptions(filter: { queue?: string }): SubscriptionRecord[];
  /** Publish to a core topic, with extra destinations of the same publish (see TopicRouter). */
  publish(topic: string, message: Message, extraTargets: readonly ExtraTarget[]): Promise<PublishResult>;
}

export interface ExchangeHost {
  clock: Clock;
  logger: Logger;
  maxMessageBytes: number;
  state(namespace: string): Promise<StateMap>;
  /** The queue or stream of this name, if there is one. */
  destination(name: string): DestinationInfo | undefined;
  /**
   * One copy into the queue or stream; resolves once accepted (committed when persistent and
   * durable). A stream needs a partition key: the message's, else the routing key, else the stream's name.
   */
  deliver(name: string, message: Message, routingKey: string): Promise<unknown>;
  topicSpace: TopicSpace;
}
