/**
 * TopicRouter: SNS-style fan-out for the core.
 *
 * Every subscription whose pattern matches the published topic and whose filter policy accepts
 * the message's headers gets a copy:
 *  - live subscriptions (sessions; not persisted) synchronously through LiveSink.offer; a refusal
 *    (slow consumer) drops that copy and is counted;
 *  - queue subscriptions (durable, persisted in the store) through the QueueTarget, which
 *    resolves once the copy is committed. A queue receives at most one copy per publish even if
 *    several of its subscriptions match (as a RabbitMQ queue bound twice to an exchange).
 *
 * publish() resolves when every queue copy (and retained/dedup record) is committed, so a
 * producer ack implies every durable copy is on disk.
 *
 * Failure policy (SNS keeps delivering to the other subscribers; so do we):
 *  - Every subscriber is attempted regardless of the others' outcome.
 *  - A queue copy rejected with a client-class BrokerError (status < 500: the queue is missing,
 *    refuses the message as too large or lacking a group id, ...) is a per-subscription failure:
 *    logged, counted in `failed`, and the publish still resolves. Retrying the publish could not
 *    fix it and would duplicate the copies that did land.
 *  - Any other failure (store failure, store closed, broker not active, unexpected error) means a
 *    copy may not be durable: the publish rejects (after all attempts settled) so the producer is
 *    not acknowledged and retries. Copies that did commit stay (at-least-once). For FIFO topics
 *    the dedup entry is forgotten so the retry is not swallowed as a duplicate.
 *
 * FIFO topics (name ends `.fifo`): publishes need a group id and a dedup id (explicit, or the
 * body's SHA-256 with contentBasedDeduplication). A dedup id seen within 5 minutes returns
 * `duplicate: true` with the first message's id and delivers nothing. Publishes to one topic are
 * handed to subscribers in call order.
 *
 * Parts: the fan-out of one publish in topic-fanout.ts, per-topic state and counters in
 * topic-states.ts, the subscription set in topic-subscriptions.ts.
 */
import type { Clock } from '../clock.js';
import { BrokerError } from '../errors.js';
import type { Message } from '../message.js';
import { isFifoName, validatePattern } from '../names.js';
import { silentLogger, type Logger } from '../../log.js';
import type { Store, SubscriptionRecord } from '../store.js';
import type { TopicAttributes } from './topic-attributes.js';
import { TopicDedup } from './topic-dedup.js';
import { TopicFanout } from './topic-fanout.js';
import { RetainedMessages } from './topic-retained.js';
import { TopicStates } from './topic-states.js';
import { TopicSubscriptions, type LiveSubscribeOptions, type QueueSubscriptionInput } from './topic-subscriptions.js';
import type {
  LiveSink, LiveSubscription, PublishOptions, PublishResult, QueueTarget, SubscriptionCounters, SubscriptionInfo, TopicMessage, TopicStats,
} from './topic-types.js';

export type {
  ExtraTarget, LiveSink, LiveSubscription, LiveSubscriptionInfo, PublishOptions, PublishResult, QueueTarget, SubscriptionCounters,
  SubscriptionInfo, TopicMessage, TopicStats,
} from './topic-types.js';
export type { LiveSubscribeOptions, QueueSubscriptionInput } from './topic-subscriptions.js';

export { MAX_FIFO_ID_LENGTH } from './topic-dedup.js';

export interface TopicRouterDeps {
  store: Store;
  clock: Clock;
  logger?: Logger;
  enqueue: QueueTarget;
  /** Is the named queue FIFO? Default: its name ends with `.fifo`. */
  isFifoQueue?: (queueName: string) => boolean;
  /** How many undeclared (auto-created) topics keep per-topic counters; the oldest idle ones are forgotten beyond it. Default 10 000. */
  maxUndeclaredTopics?: number;
}

export const DEFAULT_MAX_UNDECLARED_TOPICS = 10_000;

export class TopicRouter {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly subs: TopicSubscriptions;
  private readonly states: TopicStates;
  private readonly dedup: TopicDedup;
  private readonly retainedSet: RetainedMessages;
  private readonly fanout: TopicFanout;
  private closed = false;

  constructor(deps: TopicRouterDeps) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.logger = (deps.logger ?? silentLogger).child({ component: 'topic-router' });
    this.states = new TopicStates(deps.maxUndeclaredTopics ?? DEFAULT_MAX_UNDECLARED_TOPICS);
    this.subs = new TopicSubscriptions({
      store: this.store,
      clock: this.clock,
      logger: this.logger,
      isFifoQueue: deps.isFifoQueue ?? isFifoName,
      isFifoTopic: (name) => this.states.known(name)?.attrs.fifo ?? isFifoName(name),
    });
    this.dedup = new TopicDedup(this.store, this.clock, this.logger);
    this.retainedSet = new RetainedMessages(this.store, this.clock, this.logger);
    this.fanout = new TopicFanout({
      clock: this.clock, logger: this.logger, enqueue: deps.enqueue, subs: this.subs, dedup: this.dedup, retained: this.retainedSet,
      states: this.states, check: () => this.check(),
    });
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Load durable subscriptions, retained messages and the dedup windows of declared FIFO topics
   * from the store. Replaces previously loaded durable state; live subscriptions are kept.
   * A stored subscription that no longer validates is logged and skipped (left in the store).
   * (Dedup windows of topics declared later are loaded on their first publish.)
   */
  async load(): Promise<void> {
    this.check();
    const [records, retained] = await Promise.all([this.store.loadSubscriptions(), this.store.loadRetained()]);
    this.subs.replaceQueueSubscriptions(records);
    this.retainedSet.replace(retained);
    const fifo = this.states.declaredFifo();
    await Promise.all(fifo.map((name) => this.dedup.load(name)));
    this.logger.debug({ subscriptions: records.length, retained: this.retainedSet.size }, 'topic state loaded');
  }

  /** Stop routing: live subscriptions are closed, in-memory state dropped. Publishing afterwards rejects NOT_ACTIVE. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.subs.clear();
    this.dedup.clear();
    this.retainedSet.clearMemory();
  }

  private check(): void {
    if (this.closed) throw new BrokerError('NOT_ACTIVE', 'topic router is closed');
  }

  // ------------------------------------------------------------------ topics (topic-states.ts)

  /** Register (or update) a topic's attributes. Undeclared topics get attributes derived from their name. */
  declareTopic(name: string, attrs: TopicAttributes): void {
    this.states.declare(name, attrs);
  }

  /** Forget a topic: its retained message and dedup window (also in the store) and its counters. Subscriptions are left to the caller. */
  async removeTopic(name: string): Promise<void> {
    this.check();
    const fifo = this.states.known(name)?.attrs.fifo ?? isFifoName(name);
    this.states.forget(name);
    await Promise.all([this.retainedSet.clear(name), fifo ? this.dedup.purge(name) : undefined]);
  }

  // ------------------------------------------------------------------ subscriptions (topic-subscriptions.ts)

  /** A live (session) subscription: not persisted, delivered to synchronously during publish. */
  subscribeLive(pattern: string, sink: LiveSink, opts: LiveSubscribeOptions = {}): LiveSubscription {
    this.check();
    return this.subs.subscribeLive(pattern, sink, opts);
  }

  /** Durable fan-out into a queue; see TopicSubscriptions.addQueue for idempotency and FIFO rules. */
  addQueueSubscription(input: QueueSubscriptionInput): Promise<SubscriptionRecord> {
    try {
      this.check();
      return this.subs.addQueue(input);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Remove a live or queue subscription by id. Resolves true if it existed. */
  removeSubscription(id: string): Promise<boolean> {
    return this.subs.remove(id);
  }

  /** Remove every queue subscription into `queue` (call when the queue is deleted). Resolves to how many. */
  removeQueueSubscriptions(queue: string): Promise<number> {
    return this.subs.removeForQueue(queue);
  }

  /** See TopicSubscriptions.list: queue entries are SubscriptionRecord copies, live ones have `live: true`. */
  listSubscriptions(filter: { topic?: string; queue?: string } = {}): SubscriptionInfo[] {
    return this.subs.list(filter);
  }

  /** Delivery counters of one subscription, or undefined if unknown. */
  subscriptionStats(id: string): SubscriptionCounters | undefined {
    return this.subs.counters(id);
  }

  // ------------------------------------------------------------------ publish (topic-fanout.ts)

  /**
   * Publish to a concrete topic. Live subscribers are offered the message before this returns;
   * the promise resolves once every durable copy is committed. See the file comment for the
   * failure policy. Validation errors (name, FIFO group/dedup id) reject without delivering.
   */
  publish(topic: string, message: Message, opts: PublishOptions = {}): Promise<PublishResult> {
    return this.fanout.publish(topic, message, opts);
  }

  // ------------------------------------------------------------------ retained & stats

  /** Every retained message whose topic matches `pattern` (a concrete name or a wildcard pattern). */
  retained(pattern: string): TopicMessage[] {
    validatePattern(pattern, 'pattern');
    return this.retainedSet.match(pattern);
  }

  /**
   * Counters for one topic (since it was declared or first published in this process; an
   * undeclared topic's counters restart once it is evicted, see maxUndeclaredTopics), or overall
   * (monotonic, including removed and evicted topics) when `topic` is omitted.
   */
  stats(topic?: string): TopicStats {
    if (topic === undefined) return { ...this.states.totals, subscriptions: this.subs.size };
    return { ...this.states.counters(topic), subscriptions: this.subs.count(topic) };
  }

  /** Dedup ids currently remembered for a FIFO topic (for tests and metrics). */
  dedupWindowSize(topic: string): number {
    return this.dedup.size(topic);
  }
}
