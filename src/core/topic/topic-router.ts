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
 */
import type { Clock } from '../clock.js';
import { BrokerError } from '../errors.js';
import { newMessageId, type Message } from '../message.js';
import { isFifoName, validateName, validatePattern } from '../names.js';
import { silentLogger, type Logger } from '../../log.js';
import type { Store, SubscriptionRecord } from '../store.js';
import { defaultTopicAttributes, type TopicAttributes } from './topic-attributes.js';
import { fifoDedupId, TopicDedup, type DedupEntry } from './topic-dedup.js';
import { RetainedMessages } from './topic-retained.js';
import {
  TopicSubscriptions, type LiveSub, type LiveSubscribeOptions, type QueueSub, type QueueSubscriptionInput,
} from './topic-subscriptions.js';
import type {
  LiveSink, LiveSubscription, PublishResult, QueueTarget, SubscriptionCounters, SubscriptionInfo, TopicMessage, TopicStats,
} from './topic-types.js';

export type {
  LiveSink, LiveSubscription, LiveSubscriptionInfo, PublishResult, QueueTarget, SubscriptionCounters,
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

export interface PublishOptions {
  /** Also make this the topic's retained message (an empty body clears it and is still delivered). */
  retain?: boolean;
  /** Broker message id to use instead of a fresh one. */
  id?: string;
  /** Identity of the publishing connection, for noLocal subscriptions. */
  origin?: string;
  /**
   * More destinations of this one publish (queues an exchange routed it to, src/core/exchange).
   * Each is one more copy unless a queue subscription of the topic already targets that name
   * (a queue gets at most one copy per publish); counted in `delivered` like queue copies.
   */
  extraTargets?: readonly ExtraTarget[];
}

/** A destination added to a publish by its caller, by queue (or stream) name. */
export interface ExtraTarget {
  queue: string;
  enqueue(m: TopicMessage): Promise<unknown>;
}

interface TopicState {
  attrs: TopicAttributes;
  published: number;
  delivered: number;
  dropped: number;
  failed: number;
  duplicates: number;
  /** FIFO topics whose dedup window is still loading: the tail of the publishes waiting for it. */
  gate: Promise<void> | null;
}

type Counters = Omit<TopicStats, 'subscriptions'>;

export class TopicRouter {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly enqueue: QueueTarget;
  private readonly subs: TopicSubscriptions;
  /** Declared topics: kept until removeTopic. */
  private readonly topics = new Map<string, TopicState>();
  /**
   * Topics published to without being declared (MQTT publishes to unbounded sets of names):
   * insertion-ordered and bounded, so per-name counters cannot grow without limit.
   */
  private readonly undeclared = new Map<string, TopicState>();
  private readonly maxUndeclared: number;
  private readonly totals: Counters = { published: 0, delivered: 0, dropped: 0, failed: 0, duplicates: 0 };
  private readonly dedup: TopicDedup;
  private readonly retainedSet: RetainedMessages;
  private closed = false;

  constructor(deps: TopicRouterDeps) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.logger = (deps.logger ?? silentLogger).child({ component: 'topic-router' });
    this.enqueue = deps.enqueue;
    this.maxUndeclared = deps.maxUndeclaredTopics ?? DEFAULT_MAX_UNDECLARED_TOPICS;
    this.subs = new TopicSubscriptions({
      store: this.store,
      clock: this.clock,
      logger: this.logger,
      isFifoQueue: deps.isFifoQueue ?? isFifoName,
      isFifoTopic: (name) => this.knownState(name)?.attrs.fifo ?? isFifoName(name),
    });
    this.dedup = new TopicDedup(this.store, this.clock, this.logger);
    this.retainedSet = new RetainedMessages(this.store, this.clock, this.logger);
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
    const fifo = [...this.topics].filter(([, s]) => s.attrs.fifo).map(([name]) => name);
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

  // ------------------------------------------------------------------ topics

  /** Register (or update) a topic's attributes. Undeclared topics get attributes derived from their name. */
  declareTopic(name: string, attrs: TopicAttributes): void {
    const state = this.topics.get(name) ?? this.undeclared.get(name);
    this.undeclared.delete(name);
    if (state) state.attrs = { ...attrs };
    this.topics.set(name, state ?? newTopicState({ ...attrs }));
  }

  /** Forget a topic: its retained message and dedup window (also in the store) and its counters. Subscriptions are left to the caller. */
  async removeTopic(name: string): Promise<void> {
    this.check();
    const fifo = this.knownState(name)?.attrs.fifo ?? isFifoName(name);
    this.topics.delete(name);
    this.undeclared.delete(name);
    await Promise.all([this.retainedSet.clear(name), fifo ? this.dedup.purge(name) : undefined]);
  }

  private topicState(name: string): TopicState {
    const state = this.topics.get(name) ?? this.undeclared.get(name);
    if (state) return state;
    const created = newTopicState(defaultTopicAttributes(name));
    this.undeclared.set(name, created);
    if (this.undeclared.size > this.maxUndeclared) this.evictUndeclared();
    return created;
  }

  private knownState(name: string): TopicState | undefined {
    return this.topics.get(name) ?? this.undeclared.get(name);
  }

  /** Forget the oldest undeclared topics' counters, skipping any with publishes waiting on a dedup load. */
  private evictUndeclared(): void {
    for (const [name, state] of this.undeclared) {
      if (this.undeclared.size <= this.maxUndeclared) return;
      if (state.gate !== null) continue;
      // Counters only: a FIFO topic's dedup window stays (it may vouch for copies still committing).
      this.undeclared.delete(name);
    }
  }

  // ------------------------------------------------------------------ subscriptions

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

  // ------------------------------------------------------------------ publish

  /**
   * Publish to a concrete topic. Live subscribers are offered the message before this returns;
   * the promise resolves once every durable copy is committed. See the file comment for the
   * failure policy. Validation errors (name, FIFO group/dedup id) reject without delivering.
   */
  publish(topic: string, message: Message, opts: PublishOptions = {}): Promise<PublishResult> {
    try {
      this.check();
      validateName(topic, 'topic name');
      const state = this.topicState(topic);
      const dedupId = state.attrs.fifo ? fifoDedupId(topic, state.attrs, message) : undefined;
      if (dedupId === undefined) return this.deliver(topic, state, message, opts, undefined);
      if (state.gate === null && this.dedup.isLoaded(topic)) return this.deliver(topic, state, message, opts, dedupId);
      // The window is not loaded yet: queue behind the load (and earlier waiters) to keep call order.
      const prev = state.gate ?? this.dedup.load(topic);
      const run = prev.then(() => {
        this.check();
        return this.deliver(topic, state, message, opts, dedupId);
      });
      // The gate only orders; each caller gets its own outcome through `run`.
      const tail: Promise<void> = run.then(ignore, ignore);
      state.gate = tail;
      void tail.then(() => {
        if (state.gate === tail) state.gate = null;
      });
      return run;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private deliver(topic: string, state: TopicState, message: Message, opts: PublishOptions, dedupId: string | undefined): Promise<PublishResult> {
    if (dedupId !== undefined) {
      const seen = this.dedup.lookup(topic, dedupId);
      if (seen) return this.duplicate(topic, state, message, opts, dedupId, seen);
    }
    const id = opts.id ?? newMessageId();
    // A content-derived dedup id travels with the copies, so FIFO queue subscribers dedup them too (as SNS → SQS).
    if (dedupId !== undefined && message.dedupId !== dedupId) message = { ...message, dedupId };
    const tm: TopicMessage = { id, topic, message, publishedAt: this.clock.now() };
    const entry = dedupId !== undefined ? this.dedup.record(topic, dedupId, id) : undefined;
    state.published += 1;
    this.totals.published += 1;

    let writes: Promise<unknown>[] | undefined;
    if (opts.retain) {
      writes = [message.body.length === 0 ? this.retainedSet.clear(topic) : this.retainedSet.set(tm)];
    }

    const matched = this.subs.match(topic);
    let live = 0;
    let dropped = 0;
    let queueSubs: QueueSub[] | undefined;
    let copies: Promise<unknown>[] | undefined;
    let targets: Set<string> | undefined;
    const headers = message.headers;
    for (let i = 0; i < matched.length; i++) {
      const sub = matched[i]!;
      if (sub.filter !== null && !sub.filter.matches(headers)) continue;
      if (sub.kind === 'live') {
        if (sub.closed || (sub.noLocal && opts.origin !== undefined && sub.owner === opts.origin)) continue;
        if (this.offer(sub, tm)) live += 1;
        else dropped += 1;
        continue;
      }
      const queue = sub.record.queue;
      if (queueSubs !== undefined) {
        targets ??= new Set(queueSubs.map((q) => q.record.queue));
        if (targets.has(queue)) continue;
        targets.add(queue);
      }
      (queueSubs ??= []).push(sub);
      (copies ??= []).push(this.enqueueCopy(queue, tm));
    }
    if (opts.extraTargets !== undefined) {
      for (const target of opts.extraTargets) {
        if (queueSubs !== undefined) {
          targets ??= new Set(queueSubs.map((q) => q.record.queue));
          if (targets.has(target.queue)) continue;
          targets.add(target.queue);
        }
        (queueSubs ??= []).push(extraSub(topic, target.queue, tm.publishedAt));
        (copies ??= []).push(callTarget(target, tm));
      }
    }
    state.delivered += live;
    state.dropped += dropped;
    this.totals.delivered += live;
    this.totals.dropped += dropped;

    if (copies === undefined && writes === undefined && entry === undefined) {
      return Promise.resolve({ id, delivered: live, duplicate: false });
    }
    const settled = this.settle(topic, state, tm, queueSubs ?? [], copies ?? [], writes ?? [], live, dedupId, entry);
    if (entry) entry.pending = settled.then(() => true, () => false);
    return settled;
  }

  private offer(sub: LiveSub, tm: TopicMessage): boolean {
    let ok: boolean;
    try {
      ok = sub.sink.offer(tm);
    } catch (err) {
      this.logger.error({ err, subscription: sub.id, topic: tm.topic }, 'live subscriber threw while offered a message; counted as dropped');
      ok = false;
    }
    if (ok) sub.delivered += 1;
    else sub.dropped += 1;
    return ok;
  }

  private enqueueCopy(queue: string, tm: TopicMessage): Promise<unknown> {
    try {
      return this.enqueue(queue, tm);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private async settle(
    topic: string, state: TopicState, tm: TopicMessage, queueSubs: QueueSub[], copies: Promise<unknown>[],
    writes: Promise<unknown>[], live: number, dedupId: string | undefined, entry: DedupEntry | undefined,
  ): Promise<PublishResult> {
    const [copyResults, writeResults] = await Promise.all([Promise.allSettled(copies), Promise.allSettled(writes)]);
    let queued = 0;
    let fatal: unknown;
    copyResults.forEach((r, i) => {
      const sub = queueSubs[i]!;
      if (r.status === 'fulfilled') {
        queued += 1;
        sub.delivered += 1;
        return;
      }
      sub.failed += 1;
      state.failed += 1;
      this.totals.failed += 1;
      const fields = { err: r.reason, topic, messageId: tm.id, subscription: sub.record.id, queue: sub.record.queue };
      if (isTargetRejection(r.reason)) {
        this.logger.warn(fields, 'topic subscription target refused the message; other subscribers unaffected');
      } else {
        this.logger.error(fields, 'topic copy may not be durable; failing the publish');
        fatal ??= r.reason;
      }
    });
    for (const r of writeResults) {
      if (r.status === 'rejected') {
        this.logger.error({ err: r.reason, topic, messageId: tm.id }, 'retained message write failed; failing the publish');
        fatal ??= r.reason;
      }
    }
    state.delivered += queued;
    this.totals.delivered += queued;
    if (fatal === undefined && entry !== undefined && dedupId !== undefined) {
      // Only now: a durable dedup record must never exist without the copies it vouches for.
      try {
        await this.dedup.persist(topic, dedupId, entry);
      } catch (err) {
        this.logger.error({ err, topic, messageId: tm.id }, 'dedup record write failed; failing the publish');
        fatal = err;
      }
    }
    if (entry) entry.pending = null;
    if (fatal !== undefined) {
      if (entry !== undefined && dedupId !== undefined) this.dedup.forget(topic, dedupId, entry);
      throw fatal;
    }
    return { id: tm.id, delivered: live + queued, duplicate: false };
  }

  private duplicate(topic: string, state: TopicState, message: Message, opts: PublishOptions, dedupId: string, seen: DedupEntry): Promise<PublishResult> {
    const result: PublishResult = { id: seen.messageId, delivered: 0, duplicate: true };
    const count = (): PublishResult => {
      state.duplicates += 1;
      this.totals.duplicates += 1;
      return result;
    };
    if (!seen.pending) return Promise.resolve(count());
    // The first copy is still committing: answer only once it is durable; if it failed, this send
    // is the one that counts (its entry was forgotten), so publish it for real.
    return seen.pending.then((ok) => (ok ? count() : this.deliver(topic, state, message, opts, dedupId)));
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
    if (topic === undefined) return { ...this.totals, subscriptions: this.subs.size };
    const s = this.knownState(topic);
    const base: Counters = s
      ? { published: s.published, delivered: s.delivered, dropped: s.dropped, failed: s.failed, duplicates: s.duplicates }
      : { published: 0, delivered: 0, dropped: 0, failed: 0, duplicates: 0 };
    return { ...base, subscriptions: this.subs.count(topic) };
  }

  /** Dedup ids currently remembered for a FIFO topic (for tests and metrics). */
  dedupWindowSize(topic: string): number {
    return this.dedup.size(topic);
  }
}

/** Counters holder for an extra target, so settle() treats it like a queue subscription. */
function extraSub(topic: string, queue: string, at: number): QueueSub {
  const record = { id: `extra:${queue}`, pattern: topic, queue, filterPolicy: null, createdAt: at, attributes: {} };
  return { kind: 'queue', record, filter: null, delivered: 0, failed: 0 };
}

function callTarget(target: ExtraTarget, tm: TopicMessage): Promise<unknown> {
  try {
    return target.enqueue(tm);
  } catch (err) {
    return Promise.reject(err);
  }
}

function newTopicState(attrs: TopicAttributes): TopicState {
  return { attrs, published: 0, delivered: 0, dropped: 0, failed: 0, duplicates: 0, gate: null };
}

/** A client-class refusal by the target queue (missing, message rejected): retrying the publish cannot help. */
function isTargetRejection(err: unknown): boolean {
  return err instanceof BrokerError && err.status < 500;
}

function ignore(): void {
  // ordering gate only; outcomes reach callers through their own promise
}
