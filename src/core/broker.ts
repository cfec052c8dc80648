/**
 * The Broker: the protocol-neutral core every front-end drives. It owns the map of names to
 * Queue | Topic | Stream, creates destinations on first use (unless configured not to),
 * persists destination records, and routes publishes. Front-ends call only this API.
 *
 * Namespaces: queues and streams share one namespace (as in RabbitMQ, where a stream is a
 * queue type); topics have their own (as in ActiveMQ, `/queue/a` and `/topic/a` differ).
 */
import { BrokerError } from './errors.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { messageSize, newMessageId, type Message } from './message.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from './message-limits.js';
import { validateName, validatePattern, type Address, type DestinationKind } from './names.js';
import { Queue } from './queue/queue.js';
import type { DeadLetterPublisher } from './queue/dead-letter-target.js';
import { DEFAULT_QUEUE_ATTRIBUTES, parseQueueAttributes, type QueueAttributes } from './queue/queue-attributes.js';
import {
  TopicRouter, type LiveSink, type LiveSubscription, type PublishOptions, type PublishResult, type TopicMessage,
} from './topic/topic-router.js';
import { parseTopicAttributes, type TopicAttributes } from './topic/topic-attributes.js';
import type { FilterPolicy } from './topic/filter-policy.js';
import { Stream } from './stream/stream.js';
import { parseStreamAttributes, type StreamAttributes } from './stream/stream-attributes.js';
import { StateMap } from './state-map.js';
import { sameAttributes } from './same-attributes.js';
import type { Store, SubscriptionRecord } from './store.js';
import { silentLogger, type Logger } from '../log.js';
import { ExchangeRegistry } from './exchange/exchange-registry.js';
import { exchangeHost } from './exchange/broker-host.js';

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

export interface TopicInfo {
  name: string;
  attributes: TopicAttributes;
  createdAt: number;
}

const DEDUP_SWEEP_MS = 60_000;

export class Broker {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly autoCreate: boolean;
  readonly maxMessageBytes: number;
  readonly startedAt: number;
  private readonly queueDefaults: Record<string, unknown>;
  private readonly topicDefaults: Record<string, unknown>;
  private readonly streamDefaults: Record<string, unknown>;
  private readonly queues = new Map<string, Queue>();
  private readonly streams = new Map<string, Stream>();
  private readonly topics = new Map<string, TopicInfo>();
  private readonly opening = new Map<string, Promise<Queue | Stream>>();
  private readonly stateMaps = new Map<string, Promise<StateMap>>();
  private readonly router: TopicRouter;
  /** AMQP 0-9-1 exchanges and bindings (src/core/exchange); amq.topic is this broker's topic space. */
  readonly exchanges: ExchangeRegistry;
  private sweepTimer: TimerHandle | undefined;
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
    this.queueDefaults = opts.queueDefaults ?? {};
    this.topicDefaults = opts.topicDefaults ?? {};
    this.streamDefaults = opts.streamDefaults ?? {};
    this.startedAt = this.clock.now();
    this.loaded = new Promise((resolve) => { this.markLoaded = resolve; });
    this.deadLetterTo = async (exchange, routingKey, message) => {
      await this.loaded;
      return this.exchanges.publishDeadLetter(exchange, routingKey, message);
    };
    this.router = new TopicRouter({
      store: this.store,
      clock: this.clock,
      logger: this.logger,
      enqueue: (queue, m) => this.enqueueFromTopic(queue, m),
      isFifoQueue: (name) => this.queues.get(name)?.attributes.fifo ?? name.endsWith('.fifo'),
    });
    this.exchanges = new ExchangeRegistry(exchangeHost({
      clock: this.clock, logger: this.logger, maxMessageBytes: this.maxMessageBytes, queues: this.queues, streams: this.streams,
      router: this.router, state: (ns) => this.state(ns),
      publishToTopicSpace: (topic, message, extraTargets) => this.publishToTopicSpace(topic, message, { extraTargets }),
    }));
  }

  /** Open the store's state: every destination, subscription and retained message. */
  static async open(opts: BrokerOptions): Promise<Broker> {
    const broker = new Broker(opts);
    await broker.load();
    return broker;
  }

  private async load(): Promise<void> {
    const records = await this.store.loadDestinations();
    for (const rec of records) {
      if (rec.kind === 'topic') {
        // Loaded without the ceiling: a limit stored under a larger broker limit is capped at publish.
        const attributes = parseTopicAttributes(rec.name, rec.attributes);
        this.topics.set(rec.name, { name: rec.name, attributes, createdAt: rec.createdAt });
        this.router.declareTopic(rec.name, attributes);
      } else if (rec.kind === 'queue') {
        const attributes = parseQueueAttributes(rec.name, rec.attributes);
        this.queues.set(rec.name, await this.openQueue(rec.name, attributes));
      } else {
        const attributes = parseStreamAttributes(rec.name, rec.attributes);
        this.streams.set(rec.name, await Stream.open({ name: rec.name, attributes, store: this.store, clock: this.clock, logger: this.logger }));
      }
    }
    await this.router.load();
    // A subscription into a queue that did not survive (a non-durable queue) would fail every
    // matching publish from now on: drop it.
    for (const sub of this.router.listSubscriptions()) {
      if (!('live' in sub) && !this.queues.has(sub.queue)) {
        this.logger.warn({ subscription: sub.id, pattern: sub.pattern, queue: sub.queue }, 'dropping subscription whose queue no longer exists');
        await this.router.removeSubscription(sub.id);
      }
    }
    await this.exchanges.load();
    this.scheduleSweep();
    this.markLoaded();
    this.logger.info({ queues: this.queues.size, topics: this.topics.size, streams: this.streams.size }, 'broker state loaded');
  }

  private scheduleSweep(): void {
    this.sweepTimer = this.clock.setTimer(DEDUP_SWEEP_MS, () => {
      if (this.closed) return;
      this.store.expireDedup(this.clock.now()).catch((err: unknown) => this.logger.error({ err }, 'dedup sweep failed'));
      this.scheduleSweep();
    });
  }

  private openQueue(name: string, attributes: QueueAttributes): Promise<Queue> {
    return Queue.open({
      name,
      attributes,
      store: this.store,
      clock: this.clock,
      logger: this.logger,
      deadLetter: (dlq) => this.queues.get(dlq),
      deadLetterTo: this.deadLetterTo,
      onUnused: (queue, reason) => {
        if (this.closed || this.queues.get(name) !== queue) return;
        this.logger.info({ queue: name, reason }, 'deleting unused queue');
        this.deleteQueue(name).catch((err: unknown) => this.logger.error({ err, queue: name }, 'deleting unused queue failed'));
      },
    });
  }

  private check(): void {
    if (this.closed) throw new BrokerError('STORE_CLOSED', 'broker is closed');
  }

  // ---------------------------------------------------------------- queues

  /** Create a queue, or return the existing one. Attributes given for an existing queue must match. */
  async createQueue(name: string, attributes: Record<string, unknown> = {}, opts: { durable?: boolean } = {}): Promise<Queue> {
    this.check();
    validateName(name, 'queue name');
    if (this.streams.has(name)) throw new BrokerError('KIND_MISMATCH', `"${name}" is a stream`);
    const existing = this.queues.get(name);
    // The broker-wide limit is both the default and the ceiling of a queue's maxMessageBytes.
    const parsed = parseQueueAttributes(
      name,
      { ...this.queueDefaults, ...attributes, ...(opts.durable === false ? { durable: false } : {}) },
      { ...DEFAULT_QUEUE_ATTRIBUTES, maxMessageBytes: this.maxMessageBytes },
      { maxMessageBytes: this.maxMessageBytes },
    );
    if (existing) {
      if (Object.keys(attributes).length > 0 && !sameAttributes(existing.attributes, parsed)) {
        throw new BrokerError('ALREADY_EXISTS', `queue "${name}" exists with different attributes`);
      }
      existing.touch(); // a redeclare counts as use (expiresMs)
      return existing;
    }
    return this.openOnce(name, async () => {
      await this.ensureDeadLetterQueue(parsed);
      const queue = await this.openQueue(name, parsed);
      if (parsed.durable) await this.store.putDestination({ kind: 'queue', name, attributes: { ...parsed }, createdAt: this.clock.now() });
      this.queues.set(name, queue);
      this.logger.info({ queue: name, durable: parsed.durable, fifo: parsed.fifo }, 'queue created');
      return queue;
    });
  }

  /** Concurrent creations of one name share a single open (queue and stream share the namespace). */
  private async openOnce<T extends Queue | Stream>(name: string, open: () => Promise<T>): Promise<T> {
    const pending = this.opening.get(name);
    if (pending) return pending as Promise<T>;
    const promise = open();
    this.opening.set(name, promise);
    try {
      return await promise;
    } finally {
      this.opening.delete(name);
    }
  }

  /** An existing destination, or a new one when auto-create allows it. */
  private autoCreated<T>(existing: T | undefined, kind: DestinationKind, name: string, create: () => Promise<T>): Promise<T> {
    if (existing) return Promise.resolve(existing);
    if (!this.autoCreate) return Promise.reject(new BrokerError('AUTO_CREATE_DISABLED', `${kind} "${name}"`));
    return create();
  }

  /** Create the redrive target if it does not exist yet (parseQueueAttributes already checked its name). */
  private async ensureDeadLetterQueue(attrs: QueueAttributes): Promise<void> {
    const dlq = attrs.deadLetterQueue;
    if (dlq && !this.queues.has(dlq)) await this.createQueue(dlq, { durable: attrs.durable });
  }

  /** Change attributes of an existing queue (partial input merged over current values). */
  async setQueueAttributes(name: string, attributes: Record<string, unknown>): Promise<Queue> {
    const queue = this.requireQueue(name);
    const parsed = parseQueueAttributes(name, attributes, queue.attributes, { maxMessageBytes: this.maxMessageBytes });
    await this.ensureDeadLetterQueue(parsed);
    queue.setAttributes(parsed);
    if (parsed.durable) await this.store.putDestination({ kind: 'queue', name, attributes: { ...parsed }, createdAt: this.clock.now() });
    return queue;
  }

  getQueue(name: string): Queue | undefined {
    return this.queues.get(name);
  }

  requireQueue(name: string): Queue {
    const q = this.queues.get(name);
    if (!q) throw new BrokerError('NOT_FOUND', `queue "${name}"`);
    return q;
  }

  /** The queue, created on first use unless auto-create is off. */
  queue(name: string): Promise<Queue> {
    return this.autoCreated(this.queues.get(name), 'queue', name, () => this.createQueue(name));
  }

  /** A non-durable queue with a unique name, for request/reply and temp destinations. The caller deletes it. */
  async createTemporaryQueue(prefix = 'temp'): Promise<Queue> {
    const name = `${prefix}.${newMessageId().replace(/[^A-Za-z0-9-]/g, '')}`;
    return this.createQueue(name, {}, { durable: false });
  }

  async deleteQueue(name: string): Promise<boolean> {
    const queue = this.queues.get(name);
    if (!queue) return false;
    queue.close();
    this.queues.delete(name);
    await this.router.removeQueueSubscriptions(name);
    await this.exchanges.destinationDeleted(name);
    await this.store.deleteDestination('queue', name);
    this.logger.info({ queue: name }, 'queue deleted');
    return true;
  }

  listQueues(): Queue[] {
    return [...this.queues.values()];
  }

  // ---------------------------------------------------------------- topics

  async createTopic(name: string, attributes: Record<string, unknown> = {}): Promise<TopicInfo> {
    this.check();
    validateName(name, 'topic name');
    const parsed = parseTopicAttributes(name, { ...this.topicDefaults, ...attributes }, { maxMessageBytes: this.maxMessageBytes });
    const existing = this.topics.get(name);
    if (existing) {
      if (Object.keys(attributes).length > 0 && !sameAttributes(existing.attributes, parsed)) {
        throw new BrokerError('ALREADY_EXISTS', `topic "${name}" exists with different attributes`);
      }
      return existing;
    }
    const info: TopicInfo = { name, attributes: parsed, createdAt: this.clock.now() };
    this.topics.set(name, info);
    this.router.declareTopic(name, parsed);
    await this.store.putDestination({ kind: 'topic', name, attributes: { ...parsed }, createdAt: info.createdAt });
    this.logger.info({ topic: name }, 'topic created');
    return info;
  }

  getTopic(name: string): TopicInfo | undefined {
    return this.topics.get(name);
  }

  async deleteTopic(name: string): Promise<boolean> {
    if (!this.topics.delete(name)) return false;
    await this.router.removeTopic(name);
    for (const sub of this.router.listSubscriptions({ topic: name })) {
      if (!('live' in sub) && sub.pattern === name) await this.router.removeSubscription(sub.id);
    }
    await this.store.deleteDestination('topic', name);
    this.logger.info({ topic: name }, 'topic deleted');
    return true;
  }

  listTopics(): TopicInfo[] {
    return [...this.topics.values()];
  }

  /** Publish to a topic: every matching live and queue subscription gets it. Resolves after durable copies are committed. */
  async publish(topic: string, message: Message, opts: { retain?: boolean } = {}): Promise<PublishResult> {
    this.check();
    this.checkTopicSize(topic, message);
    // Topics come into being on first publish without a stored record (MQTT publishes to
    // unbounded sets of names); only topics created with attributes are persisted.
    if (!this.autoCreate && !this.topics.has(topic)) throw new BrokerError('AUTO_CREATE_DISABLED', `topic "${topic}"`);
    // amq.topic's exchange-to-exchange bindings route core topic publishes too.
    const extraTargets = this.exchanges.topicSpaceTargets(topic, message);
    return this.router.publish(topic, message, extraTargets ? { ...opts, extraTargets } : opts);
  }

  /** A topic publish as amq.topic makes it: no auto-create check (the exchange always exists). */
  private async publishToTopicSpace(topic: string, message: Message, opts: PublishOptions): Promise<PublishResult> {
    this.check();
    this.checkTopicSize(topic, message);
    return this.router.publish(topic, message, opts);
  }

  private checkTopicSize(topic: string, message: Message): void {
    this.checkSize(message, Math.min(this.topics.get(topic)?.attributes.maxMessageBytes ?? this.maxMessageBytes, this.maxMessageBytes), `topic "${topic}"`);
  }

  subscribeLive(pattern: string, sink: LiveSink, opts: { filterPolicy?: FilterPolicy | string | object } = {}): LiveSubscription {
    this.check();
    validatePattern(pattern, 'subscription pattern');
    return this.router.subscribeLive(pattern, sink, opts);
  }

  /** Durable fan-out: a topic (or pattern) delivering into a queue, created if needed. */
  async subscribeQueue(input: { pattern: string; queue: string; filterPolicy?: string | object | null; attributes?: Record<string, unknown>; id?: string; queueAttributes?: Record<string, unknown> }): Promise<SubscriptionRecord> {
    this.check();
    validatePattern(input.pattern, 'subscription pattern');
    if (!this.queues.has(input.queue)) await this.createQueue(input.queue, input.queueAttributes ?? {});
    return this.router.addQueueSubscription(input);
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

  private async enqueueFromTopic(queueName: string, m: TopicMessage): Promise<unknown> {
    const queue = this.queues.get(queueName);
    if (!queue) throw new BrokerError('NOT_FOUND', `subscription target queue "${queueName}"`);
    const message = m.message.properties.topic === m.topic ? m.message : { ...m.message, properties: { ...m.message.properties, topic: m.topic } };
    return queue.send(message);
  }

  // ---------------------------------------------------------------- streams

  async createStream(name: string, attributes: Record<string, unknown> = {}): Promise<Stream> {
    this.check();
    validateName(name, 'stream name');
    if (this.queues.has(name)) throw new BrokerError('KIND_MISMATCH', `"${name}" is a queue`);
    const parsed = parseStreamAttributes(name, { ...this.streamDefaults, ...attributes });
    const existing = this.streams.get(name);
    if (existing) {
      if (Object.keys(attributes).length > 0 && !sameAttributes(existing.attributes, parsed)) {
        throw new BrokerError('ALREADY_EXISTS', `stream "${name}" exists with different attributes`);
      }
      return existing;
    }
    return this.openOnce(name, async () => {
      const stream = await Stream.open({ name, attributes: parsed, store: this.store, clock: this.clock, logger: this.logger });
      await this.store.putDestination({ kind: 'stream', name, attributes: { ...parsed }, createdAt: this.clock.now() });
      this.streams.set(name, stream);
      this.logger.info({ stream: name, shards: parsed.shardCount }, 'stream created');
      return stream;
    });
  }

  getStream(name: string): Stream | undefined {
    return this.streams.get(name);
  }

  requireStream(name: string): Stream {
    const s = this.streams.get(name);
    if (!s) throw new BrokerError('NOT_FOUND', `stream "${name}"`);
    return s;
  }

  /** The stream, created on first use unless auto-create is off. */
  stream(name: string): Promise<Stream> {
    return this.autoCreated(this.streams.get(name), 'stream', name, () => this.createStream(name));
  }

  async deleteStream(name: string): Promise<boolean> {
    const stream = this.streams.get(name);
    if (!stream) return false;
    stream.close();
    this.streams.delete(name);
    await this.exchanges.destinationDeleted(name);
    await this.store.deleteDestination('stream', name);
    this.logger.info({ stream: name }, 'stream deleted');
    return true;
  }

  listStreams(): Stream[] {
    return [...this.streams.values()];
  }

  // ---------------------------------------------------------------- generic

  /** Send to any destination by address (created on first use). Resolves after the durable commit. */
  async send(address: Address, message: Message, opts: { delayMs?: number; retain?: boolean } = {}): Promise<SendResult> {
    this.check();
    switch (address.kind) {
      case 'queue': {
        const queue = await this.queue(address.name);
        // The queue checks its own limit; the broker's caps queues stored under a larger one.
        if (queue.attributes.maxMessageBytes > this.maxMessageBytes) this.checkSize(message, this.maxMessageBytes, 'the broker');
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
    if (this.queues.has(name)) return 'queue';
    if (this.streams.has(name)) return 'stream';
    return undefined;
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

  /** The same measure queues apply (body plus headers), so a publish is refused rather than acked with every copy failing. */
  private checkSize(message: Message, limit: number, what: string): void {
    const size = messageSize(message);
    if (size > limit) throw new BrokerError('MESSAGE_TOO_LARGE', `${size} bytes exceeds maxMessageBytes ${limit} of ${what}`);
  }

  /** Stop timers and consumers, flush the store. Does not close the store (the server owns it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sweepTimer?.cancel();
    this.exchanges.close();
    this.router.close();
    for (const q of this.queues.values()) q.close();
    for (const s of this.streams.values()) s.close();
    await this.store.flush();
  }
}

export type { Queue, Stream, QueueAttributes, StreamAttributes, TopicAttributes };
