/**
 * Builds the ExchangeHost from the Broker's parts (its queue and stream maps, its topic router),
 * so broker.ts only wires it.
 */
import { BrokerError } from '../errors.js';
import type { Message } from '../message.js';
import type { Queue } from '../queue/queue.js';
import type { StateMap } from '../state-map.js';
import type { SubscriptionRecord } from '../store.js';
import type { Stream } from '../stream/stream.js';
import type { ExtraTarget, PublishResult, TopicRouter } from '../topic/topic-router.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../../log.js';
import type { ExchangeHost } from './exchange-host.js';

export interface BrokerParts {
  clock: Clock;
  logger: Logger;
  maxMessageBytes: number;
  queues: ReadonlyMap<string, Queue>;
  streams: ReadonlyMap<string, Stream>;
  router: TopicRouter;
  state(namespace: string): Promise<StateMap>;
  /** A core topic publish without the exchange hook (amq.topic's own e2e bindings are already in `extraTargets`). */
  publishToTopicSpace(topic: string, message: Message, extraTargets: readonly ExtraTarget[]): Promise<PublishResult>;
}

export function exchangeHost(p: BrokerParts): ExchangeHost {
  return {
    clock: p.clock,
    logger: p.logger,
    maxMessageBytes: p.maxMessageBytes,
    state: (ns) => p.state(ns),
    destination: (name) => {
      const q = p.queues.get(name);
      if (q) return { kind: 'queue', durable: q.attributes.durable };
      return p.streams.has(name) ? { kind: 'stream', durable: true } : undefined;
    },
    deliver: (name, message, routingKey) => {
      const q = p.queues.get(name);
      if (q) return q.send(message);
      const s = p.streams.get(name);
      if (s) return s.put(message.partitionKey ? message : { ...message, partitionKey: routingKey || name });
      return Promise.reject(new BrokerError('NOT_FOUND', `queue "${name}"`));
    },
    topicSpace: {
      subscribe: (sub) => p.router.addQueueSubscription(sub),
      unsubscribe: (id) => p.router.removeSubscription(id),
      subscriptions: (filter) => p.router.listSubscriptions(filter).filter((s): s is SubscriptionRecord => !('live' in s)),
      publish: (topic, message, extraTargets) => p.publishToTopicSpace(topic, message, extraTargets),
    },
  };
}
