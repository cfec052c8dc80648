/**
 * The Broker: the protocol-neutral core every front-end drives. It owns the map of names to
 * Queue | Topic | Stream, creates destinations on first use (unless configured not to),
 * persists destination records, and routes publishes. Front-ends call only this API.
 *
 * Namespaces: queues and streams share one namespace (as in RabbitMQ, where a stream is a
 * queue type); topics have their own (as in ActiveMQ, `/queue/a` and `/topic/a` differ).
 *
 * This class is the public API and the wiring; its parts are in src/core/broker/ (README.md).
 */
import { BrokerError } from './errors.js';
import { systemClock, type Clock } from './clock.js';
import type { Message } from './message.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from './message-limits.js';
import type { Address, DestinationKind } from './names.js';
import type { Queue } from './queue/queue.js';
import type { DeadLetterPublisher } from './queue/dead-letter-target.js';
import type { QueueAttributes } from './queue/queue-attributes.js';
import {
  TopicRouter, type LiveSink, type LiveSubscription, type PublishResult, type TopicMessage,
} from './topic/topic-router.js';
import type { TopicAttributes } from './topic/topic-attributes.js';
import type { FilterPolicy } from './topic/filter-policy.js';
import type { Stream } from './stream/stream.js';
import type { StreamAttributes } from './stream/stream-attributes.js';
import { StateMap } from './state-map.js';
import type { Store, SubscriptionRecord } from './store.js';
import { silentLogger, type Logger } from '../log.js';
import { ExchangeRegistry } from './exchange/exchange-registry.js';
import { exchangeHost } from './exchange/broker-host.js';
import type { BrokerContext } from './broker/broker-context.js';
import { loadBroker } from './broker/broker-load.js';
import { BrokerTopics, enqueueFromTopic, type TopicInfo } from './broker/broker-topics.js';
import { DedupSweep } from './broker/dedup-sweep.js';
import { Destinations } from './broker/destinations.js';
import { QueueRegistry } from './broker/queue-registry.js';
import { checkMessageSize } from './broker/size-check.js';
import { StreamRegistry } from './broker/stream-registry.js';

export interface BrokerOptions {
  store: Store;
  clock?: Clock;
  logger?: Logger;
  /** Create destinations on first use (default true). */
  autoCreate?: boolean;
  /** Attributes applied to destinations created without explicit ones. */
  queueDefaults?: Record<string, unknown>;
  topicDefaults?: Record<string, unknown>;
  streamDefaults?: Record<string, unknown>;
  /** Broker-wide message size limit, default and ceiling of every destination's maxMessageBytes (default 16 MiB). */
  maxMessageBytes?: number;
}

export interface SendResult {
  id: string;
  duplicate: boolean;
  /** queue: seq; stream: sequence number; topic: number of subscriptions reached */
  seq?: number;
  shardId?: string;
  delivered?: number;
}

export type { TopicInfo };

export class Broker {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly autoCreate: boolean;
  readonly maxMessageBytes: number;
  readonly startedAt: number;
  private readonly ctx: BrokerContext;
  private readonly destinations: Destinations;
  private readonly stateMaps = new Map<string, Promise<StateMap>>();
  private readonly router: TopicRouter;
  /** AMQP 0-9-1 exchanges and bindings (src/core/exchange); amq.topic is this broker's topic space. */
  readonly exchanges: ExchangeRegistry;
  private readonly queueRegistry: QueueRegistry;
  private readonly streamRegistry: StreamRegistry;
  private readonly topicRegistry: BrokerTopics;
  private readonly sweep: DedupSweep;
  private closed = false;
  /**
   * Where queues publish dead-lettered copies (attribute deadLetterExchange): through the
   * exchanges, once every destination is loaded.
   */
  private readonly deadLetterTo: DeadLetterPublisher;
  /** Resolved when load() has opened every destination (dead-lettering during load waits for its target). */
  private readonly loaded: Promise<void>;
  private markLoaded: () => void = () => undefined;

  private constructor(opts: BrokerOptions) {
    this.store = opts.store;
    this.clock = opts.clock ?? systemClock;
    this.logger = (opts.logger ?? silentLogger).child({ component: 'broker' });
    this.autoCreate = opts.autoCreate ?? true;
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.startedAt = this.clock.now();
    this.ctx = {
      store: this.store, clock: this.clock, logger: this.logger, autoCreate: this.autoCreate, maxMessageBytes: this.maxMessageBytes,
      isClosed: () => this.closed,
      check: () => this.check(),
    };
    this.destinations = new Destinations(this.autoCreate);
    const { queues, streams } = this.destinations;
    this.loaded = new Promise((resolve) => { this.markLoaded = resolve; });
    this.deadLetterTo = async (exchange, routingKey, message) => {
      await this.loaded;
      return this.exchanges.publishDeadLetter(exchange, routingKey, message);
    };
    this.router = new TopicRouter({
      store: this.store,
      clock: this.clock,
      logger: this.logger,
      enqueue: (queue, m) => enqueueFromTopic(queues, queue, m),
      isFifoQueue: (name) => queues.get(name)?.attributes.fifo ?? name.endsWith('.fifo'),
    });
    this.exchanges = new ExchangeRegistry(exchangeHost({
      clock: this.clock, logger: this.logger, maxMessageBytes: this.maxMessageBytes, queues, streams,
      router: this.router, state: (ns) => this.state(ns),
      publishToTopicSpace: (topic, message, extraTargets) => this.topicRegistry.publishToTopicSpace(topic, message, { extraTargets }),
    }));
    const parts = { ctx: this.ctx, destinations: this.destinations, router: this.router, exchanges: this.exchanges };
    this.queueRegistry = new QueueRegistry({ ...parts, queueDefaults: opts.queueDefaults ?? {}, deadLetterTo: this.deadLetterTo });
    this.streamRegistry = new StreamRegistry({ ...parts, streamDefaults: opts.streamDefaults ?? {} });
    this.topicRegistry = new BrokerTopics({ ...parts, topicDefaults: opts.topicDefaults ?? {}, queues: this.queueRegistry });
    this.sweep = new DedupSweep(this.ctx);
  }

  /** Open the store's state: every destination, subscription and retained message. */
  static async open(opts: BrokerOptions): Promise<Broker> {
    const broker = new Broker(opts);
    await broker.load();
    return broker;
  }

  private load(): Promise<void> {
    return loadBroker({
      ctx: this.ctx, destinations: this.destinations, queues: this.queueRegistry, router: this.router, exchanges: this.exchanges,
      sweep: this.sweep, markLoaded: () => this.markLoaded(),
    });
  }

  private check(): void {
    if (this.closed) throw new BrokerError('STORE_CLOSED', 'broker is closed');
  }

  // ---------------------------------------------------------------- queues (broker/queue-registry.ts)

  /** Create a queue, or return the existing one. Attributes given for an existing queue must match. */
  createQueue(name: string, attributes: Record<string, unknown> = {}, opts: { durable?: boolean } = {}): Promise<Queue> {
    return this.queueRegistry.create(name, attributes, opts);
  }

  /** Change attributes of an existing queue (partial input merged over current values). */
  setQueueAttributes(name: string, attributes: Record<string, unknown>): Promise<Queue> {
    return this.queueRegistry.setAttributes(name, attributes);
  }

  getQueue(name: string): Queue | undefined {
    return this.destinations.queues.get(name);
  }

  requireQueue(name: string): Queue {
    return this.queueRegistry.require(name);
  }

  /** The queue, created on first use unless auto-create is off. */
  queue(name: string): Promise<Queue> {
    return this.queueRegistry.queue(name);
  }

  /** A non-durable queue with a unique name, for request/reply and temp destinations. The caller deletes it. */
  createTemporaryQueue(prefix = 'temp'): Promise<Queue> {
    return this.queueRegistry.createTemporary(prefix);
  }

  deleteQueue(name: string): Promise<boolean> {
    return this.queueRegistry.delete(name);
  }

  listQueues(): Queue[] {
    return [...this.destinations.queues.values()];
  }

  // ---------------------------------------------------------------- topics (broker/broker-topics.ts)

  createTopic(name: string, attributes: Record<string, unknown> = {}): Promise<TopicInfo> {
    return this.topicRegistry.create(name, attributes);
  }

  getTopic(name: string): TopicInfo | undefined {
    return this.destinations.topics.get(name);
  }

  deleteTopic(name: string): Promise<boolean> {
    return this.topicRegistry.delete(name);
  }

  listTopics(): TopicInfo[] {
    return [...this.destinations.topics.values()];
  }

  /** Publish to a topic: every matching live and queue subscription gets it. Resolves after durable copies are committed. */
  publish(topic: string, message: Message, opts: { retain?: boolean } = {}): Promise<PublishResult> {
    return this.topicRegistry.publish(topic, message, opts);
  }

  subscribeLive(pattern: string, sink: LiveSink, opts: { filterPolicy?: FilterPolicy | string | object } = {}): LiveSubscription {
    return this.topicRegistry.subscribeLive(pattern, sink, opts);
  }

  /** Durable fan-out: a topic (or pattern) delivering into a queue, created if needed. */
  subscribeQueue(input: { pattern: string; queue: string; filterPolicy?: string | object | null; attributes?: Record<string, unknown>; id?: string; queueAttributes?: Record<string, unknown> }): Promise<SubscriptionRecord> {
    return this.topicRegistry.subscribeQueue(input);
  }

  unsubscribe(id: string): Promise<boolean> {
    return this.router.removeSubscription(id);
  }

  listSubscriptions(filter?: { topic?: string; queue?: string }): ReturnType<TopicRouter['listSubscriptions']> {
    return this.router.listSubscriptions(filter);
  }

  retained(pattern: string): TopicMessage[] {
    return this.router.retained(pattern);
  }

  topicStats(topic?: string): ReturnType<TopicRouter['stats']> {
    return this.router.stats(topic);
  }

  // ---------------------------------------------------------------- streams (broker/stream-registry.ts)

  createStream(name: string, attributes: Record<string, unknown> = {}): Promise<Stream> {
    return this.streamRegistry.create(name, attributes);
  }

  getStream(name: string): Stream | undefined {
    return this.destinations.streams.get(name);
  }

  requireStream(name: string): Stream {
    return this.streamRegistry.require(name);
  }

  /** The stream, created on first use unless auto-create is off. */
  stream(name: string): Promise<Stream> {
    return this.streamRegistry.stream(name);
  }

  deleteStream(name: string): Promise<boolean> {
    return this.streamRegistry.delete(name);
  }

  listStreams(): Stream[] {
    return [...this.destinations.streams.values()];
  }

  // ---------------------------------------------------------------- generic

  /** Send to any destination by address (created on first use). Resolves after the durable commit. */
  async send(address: Address, message: Message, opts: { delayMs?: number; retain?: boolean } = {}): Promise<SendResult> {
    this.check();
    switch (address.kind) {
      case 'queue': {
        const queue = await this.queue(address.name);
        // The queue checks its own limit; the broker's caps queues stored under a larger one.
        if (queue.attributes.maxMessageBytes > this.maxMessageBytes) checkMessageSize(message, this.maxMessageBytes, 'the broker');
        const r = await queue.send(message, opts.delayMs !== undefined ? { delayMs: opts.delayMs } : {});
        return { id: r.id, duplicate: r.duplicate, seq: r.seq };
      }
      case 'topic': {
        const r = await this.publish(address.name, message, opts.retain !== undefined ? { retain: opts.retain } : {});
        return { id: r.id, duplicate: r.duplicate, delivered: r.delivered };
      }
      case 'stream': {
        const stream = await this.stream(address.name);
        const r = await stream.put(message);
        return { id: r.sequenceNumber, duplicate: false, seq: r.seq, shardId: r.shardId };
      }
    }
  }

  /** Which kind of destination `name` is in the queue/stream namespace, if any. */
  lookup(name: string): DestinationKind | undefined {
    return this.destinations.lookup(name);
  }

  /** Durable keyed state for a front-end (MQTT sessions, QoS 2 ids, ...), loaded once per namespace. */
  state(namespace: string): Promise<StateMap> {
    let p = this.stateMaps.get(namespace);
    if (!p) {
      p = StateMap.load(this.store, namespace);
      this.stateMaps.set(namespace, p);
    }
    return p;
  }

  /** Stop timers and consumers, flush the store. Does not close the store (the server owns it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sweep.cancel();
    this.exchanges.close();
    this.router.close();
    for (const q of this.destinations.queues.values()) q.close();
    for (const s of this.destinations.streams.values()) s.close();
    await this.store.flush();
  }
}

export type { Queue, Stream, QueueAttributes, StreamAttributes, TopicAttributes };
