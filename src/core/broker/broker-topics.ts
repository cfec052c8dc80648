/**
 * The Broker's topics over its TopicRouter: topic records (create, delete), publishes (size
 * checked; amq.topic's exchange-to-exchange bindings route them too), live and queue
 * subscriptions, and the copy a queue subscription enqueues.
 */
import { BrokerError } from '../errors.js';
import type { Message } from '../message.js';
import { validateName, validatePattern } from '../names.js';
import type { Queue } from '../queue/queue.js';
import { sameAttributes } from '../same-attributes.js';
import type { SubscriptionRecord } from '../store.js';
import { parseTopicAttributes, type TopicAttributes } from '../topic/topic-attributes.js';
import type { FilterPolicy } from '../topic/filter-policy.js';
import type {
  LiveSink, LiveSubscription, PublishOptions, PublishResult, TopicMessage, TopicRouter,
} from '../topic/topic-router.js';
import type { ExchangeRegistry } from '../exchange/exchange-registry.js';
import type { BrokerContext } from './broker-context.js';
import type { Destinations } from './destinations.js';
import type { QueueRegistry } from './queue-registry.js';
import { checkMessageSize } from './size-check.js';

export interface TopicInfo {
  name: string;
  attributes: TopicAttributes;
  createdAt: number;
}

export interface BrokerTopicsDeps {
  ctx: BrokerContext;
  destinations: Destinations;
  /** Attributes applied to topics created without explicit ones. */
  topicDefaults: Record<string, unknown>;
  router: TopicRouter;
  exchanges: ExchangeRegistry;
  /** A queue subscription's queue is created if needed. */
  queues: QueueRegistry;
}

export class BrokerTopics {
  private readonly ctx: BrokerContext;
  private readonly topics: Map<string, TopicInfo>;
  private readonly router: TopicRouter;

  constructor(private readonly deps: BrokerTopicsDeps) {
    this.ctx = deps.ctx;
    this.topics = deps.destinations.topics;
    this.router = deps.router;
  }

  async create(name: string, attributes: Record<string, unknown>): Promise<TopicInfo> {
    this.ctx.check();
    validateName(name, 'topic name');
    const parsed = parseTopicAttributes(name, { ...this.deps.topicDefaults, ...attributes }, { maxMessageBytes: this.ctx.maxMessageBytes });
    const existing = this.topics.get(name);
    if (existing) {
      if (Object.keys(attributes).length > 0 && !sameAttributes(existing.attributes, parsed)) {
        throw new BrokerError('ALREADY_EXISTS', `topic "${name}" exists with different attributes`);
      }
      return existing;
    }
    const info: TopicInfo = { name, attributes: parsed, createdAt: this.ctx.clock.now() };
    this.topics.set(name, info);
    this.router.declareTopic(name, parsed);
    await this.ctx.store.putDestination({ kind: 'topic', name, attributes: { ...parsed }, createdAt: info.createdAt });
    this.ctx.logger.info({ topic: name }, 'topic created');
    return info;
  }

  async delete(name: string): Promise<boolean> {
    if (!this.topics.delete(name)) return false;
    await this.router.removeTopic(name);
    for (const sub of this.router.listSubscriptions({ topic: name })) {
      if (!('live' in sub) && sub.pattern === name) await this.router.removeSubscription(sub.id);
    }
    await this.ctx.store.deleteDestination('topic', name);
    this.ctx.logger.info({ topic: name }, 'topic deleted');
    return true;
  }

  /** Publish to a topic: every matching live and queue subscription gets it. Resolves after durable copies are committed. */
  async publish(topic: string, message: Message, opts: { retain?: boolean }): Promise<PublishResult> {
    this.ctx.check();
    this.checkTopicSize(topic, message);
    // Topics come into being on first publish without a stored record (MQTT publishes to
    // unbounded sets of names); only topics created with attributes are persisted.
    if (!this.ctx.autoCreate && !this.topics.has(topic)) throw new BrokerError('AUTO_CREATE_DISABLED', `topic "${topic}"`);
    // amq.topic's exchange-to-exchange bindings route core topic publishes too.
    const extraTargets = this.deps.exchanges.topicSpaceTargets(topic, message);
    return this.router.publish(topic, message, extraTargets ? { ...opts, extraTargets } : opts);
  }

  /** A topic publish as amq.topic makes it: no auto-create check (the exchange always exists). */
  async publishToTopicSpace(topic: string, message: Message, opts: PublishOptions): Promise<PublishResult> {
    this.ctx.check();
    this.checkTopicSize(topic, message);
    return this.router.publish(topic, message, opts);
  }

  private checkTopicSize(topic: string, message: Message): void {
    checkMessageSize(message, Math.min(this.topics.get(topic)?.attributes.maxMessageBytes ?? this.ctx.maxMessageBytes, this.ctx.maxMessageBytes), `topic "${topic}"`);
  }

  subscribeLive(pattern: string, sink: LiveSink, opts: { filterPolicy?: FilterPolicy | string | object }): LiveSubscription {
    this.ctx.check();
    validatePattern(pattern, 'subscription pattern');
    return this.router.subscribeLive(pattern, sink, opts);
  }

  /** Durable fan-out: a topic (or pattern) delivering into a queue, created if needed. */
  async subscribeQueue(input: { pattern: string; queue: string; filterPolicy?: string | object | null; attributes?: Record<string, unknown>; id?: string; queueAttributes?: Record<string, unknown> }): Promise<SubscriptionRecord> {
    this.ctx.check();
    validatePattern(input.pattern, 'subscription pattern');
    if (!this.deps.destinations.queues.has(input.queue)) await this.deps.queues.create(input.queue, input.queueAttributes ?? {}, {});
    return this.router.addQueueSubscription(input);
  }
}

/** A queue subscription's copy of a topic message, into its queue (properties.topic names the topic). */
export async function enqueueFromTopic(queues: ReadonlyMap<string, Queue>, queueName: string, m: TopicMessage): Promise<unknown> {
  const queue = queues.get(queueName);
  if (!queue) throw new BrokerError('NOT_FOUND', `subscription target queue "${queueName}"`);
  const message = m.message.properties.topic === m.topic ? m.message : { ...m.message, properties: { ...m.message.properties, topic: m.topic } };
  return queue.send(message);
}
