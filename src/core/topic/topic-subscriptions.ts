/**
 * The set of topic subscriptions: live ones (sessions, in memory only) and queue ones (durable
 * SNS→SQS fan-out, persisted in the store), indexed by pattern in one trie for publish.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { BrokerError } from '../errors.js';
import { isPattern, validateName, validatePattern } from '../names.js';
import type { Logger } from '../../log.js';
import type { Store, SubscriptionRecord } from '../store.js';
import { compileFilterPolicy, FilterPolicy } from './filter-policy.js';
import { SubscriptionIndex } from './topic-matcher.js';
import type { LiveSink, LiveSubscription, LiveSubscriptionInfo, SubscriptionCounters, SubscriptionInfo } from './topic-types.js';

export interface LiveSubscribeOptions {
  filterPolicy?: FilterPolicy | string | object | null;
  /** With `owner`: do not deliver messages published with the same `origin` (JMS noLocal, MQTT 5 No Local). */
  noLocal?: boolean;
  /** Identity of the subscribing connection, compared with PublishOptions.origin. */
  owner?: string;
}

export interface QueueSubscriptionInput {
  pattern: string;
  queue: string;
  filterPolicy?: string | object | null;
  attributes?: Record<string, unknown>;
  id?: string;
}

export class LiveSub implements LiveSubscription {
  readonly kind = 'live' as const;
  dropped = 0;
  delivered = 0;
  closed = false;

  constructor(
    readonly id: string,
    readonly pattern: string,
    readonly filter: FilterPolicy | null,
    readonly sink: LiveSink,
    readonly noLocal: boolean,
    readonly owner: string | undefined,
    readonly createdAt: number,
    private readonly detach: (s: LiveSub) => void,
  ) {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detach(this);
  }
}

export interface QueueSub {
  readonly kind: 'queue';
  readonly record: SubscriptionRecord;
  readonly filter: FilterPolicy | null;
  delivered: number;
  failed: number;
}

export type Sub = LiveSub | QueueSub;

export interface SubscriptionsDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  isFifoQueue: (queueName: string) => boolean;
  isFifoTopic: (topicName: string) => boolean;
}

export class TopicSubscriptions {
  private readonly index = new SubscriptionIndex<Sub>();
  private readonly subs = new Map<string, Sub>();

  constructor(private readonly deps: SubscriptionsDeps) {}

  get size(): number {
    return this.subs.size;
  }

  /** Subscriptions whose pattern matches the concrete topic `name` (filters not applied). Hot path. */
  match(name: string): Sub[] {
    return this.index.match(name);
  }

  /** How many subscriptions a publish to `topic` would consider; for a pattern, how many have exactly it. */
  count(topic: string): number {
    return isPattern(topic) ? this.withPattern(topic).length : this.index.match(topic).length;
  }

  /** Replace every queue subscription with the stored records (live ones are kept). Invalid records are logged and skipped. */
  replaceQueueSubscriptions(records: SubscriptionRecord[]): void {
    for (const sub of [...this.subs.values()]) if (sub.kind === 'queue') this.detachQueue(sub);
    for (const rec of records) {
      let filter: FilterPolicy | null;
      try {
        validatePattern(rec.pattern, 'subscription pattern', { zeroOrMore: true });
        validateName(rec.queue, 'subscription queue');
        filter = toFilter(rec.filterPolicy);
      } catch (err) {
        this.deps.logger.error({ err, subscription: rec.id, pattern: rec.pattern, queue: rec.queue }, 'stored topic subscription is invalid; not routing to it');
        continue;
      }
      this.attachQueue({ kind: 'queue', record: copyRecord(rec), filter, delivered: 0, failed: 0 });
    }
  }

  subscribeLive(pattern: string, sink: LiveSink, opts: LiveSubscribeOptions): LiveSubscription {
    validatePattern(pattern, 'subscription pattern');
    const filter = toFilter(opts.filterPolicy);
    const sub = new LiveSub(randomUUID(), pattern, filter, sink, opts.noLocal === true, opts.owner, this.deps.clock.now(), (s) => this.detachLive(s));
    this.subs.set(sub.id, sub);
    this.index.add(pattern, sub);
    return sub;
  }

  private detachLive(sub: LiveSub): void {
    if (this.subs.get(sub.id) !== sub) return;
    this.subs.delete(sub.id);
    this.index.remove(sub.pattern, sub);
  }

  /**
   * Durable subscription delivering into a queue; persisted before this resolves, but routed
   * from the moment it is called.
   *  - With an `id` that exists: same pattern and queue → filter policy and attributes are
   *    updated; otherwise ALREADY_EXISTS.
   *  - Without an `id`: an existing subscription with the same pattern, queue and filter policy
   *    is returned unchanged (subscribe is idempotent, as in SNS).
   *  - A concrete FIFO topic (pattern without wildcards, FIFO) only accepts FIFO queues.
   */
  async addQueue(input: QueueSubscriptionInput): Promise<SubscriptionRecord> {
    // `**` reaches here only from the core (amq.topic bindings); the Broker refuses it from users.
    const pattern = validatePattern(input.pattern, 'subscription pattern', { zeroOrMore: true });
    const queue = validateName(input.queue, 'subscription queue');
    const filter = toFilter(input.filterPolicy);
    const filterPolicy = filter ? filter.source : null;
    if (!isPattern(pattern) && this.deps.isFifoTopic(pattern) && !this.deps.isFifoQueue(queue)) {
      throw new BrokerError('INVALID_ARGUMENT', `FIFO topic "${pattern}" can only deliver to FIFO queues; "${queue}" is not one`);
    }

    let previous: QueueSub | undefined;
    if (input.id !== undefined) {
      if (typeof input.id !== 'string' || input.id.length === 0) throw new BrokerError('INVALID_ARGUMENT', 'subscription id must be a non-empty string');
      const existing = this.subs.get(input.id);
      if (existing?.kind === 'live') throw new BrokerError('ALREADY_EXISTS', `subscription id "${input.id}" is a live subscription`);
      if (existing && (existing.record.pattern !== pattern || existing.record.queue !== queue)) {
        throw new BrokerError('ALREADY_EXISTS', `subscription "${input.id}" exists for pattern "${existing.record.pattern}" → queue "${existing.record.queue}"`);
      }
      previous = existing;
    } else {
      for (const sub of this.subs.values()) {
        if (sub.kind === 'queue' && sub.record.pattern === pattern && sub.record.queue === queue && sub.record.filterPolicy === filterPolicy) {
          return copyRecord(sub.record);
        }
      }
    }

    const record: SubscriptionRecord = {
      id: input.id ?? randomUUID(),
      pattern,
      queue,
      filterPolicy,
      createdAt: previous?.record.createdAt ?? this.deps.clock.now(),
      attributes: { ...(input.attributes ?? {}) },
    };
    const sub: QueueSub = { kind: 'queue', record, filter, delivered: previous?.delivered ?? 0, failed: previous?.failed ?? 0 };
    if (previous) this.detachQueue(previous);
    this.attachQueue(sub);
    try {
      await this.deps.store.putSubscription(copyRecord(record));
    } catch (err) {
      // Not durable: undo, so routing matches what a restart would see.
      this.detachQueue(sub);
      if (previous) this.attachQueue(previous);
      throw err;
    }
    this.deps.logger.info({ subscription: record.id, pattern, queue, filterPolicy }, previous ? 'topic subscription updated' : 'topic subscription added');
    return copyRecord(record);
  }

  private attachQueue(sub: QueueSub): void {
    this.subs.set(sub.record.id, sub);
    this.index.add(sub.record.pattern, sub);
  }

  private detachQueue(sub: QueueSub): void {
    if (this.subs.get(sub.record.id) === sub) this.subs.delete(sub.record.id);
    this.index.remove(sub.record.pattern, sub);
  }

  /** Remove a live or queue subscription. Resolves true if it existed (queue ones after the store delete commits). */
  async remove(id: string): Promise<boolean> {
    const sub = this.subs.get(id);
    if (!sub) return false;
    if (sub.kind === 'live') {
      sub.close();
      return true;
    }
    this.detachQueue(sub);
    await this.deps.store.deleteSubscription(id);
    this.deps.logger.info({ subscription: id, pattern: sub.record.pattern, queue: sub.record.queue }, 'topic subscription removed');
    return true;
  }

  /** Remove every queue subscription delivering into `queue`. Resolves to how many. */
  async removeForQueue(queue: string): Promise<number> {
    const ids: string[] = [];
    for (const s of this.subs.values()) if (s.kind === 'queue' && s.record.queue === queue) ids.push(s.record.id);
    for (const id of ids) await this.remove(id);
    return ids.length;
  }

  /**
   * Subscriptions, optionally narrowed:
   *  - `topic`: a concrete name → subscriptions that would receive a publish to it (patterns
   *    included); a pattern → subscriptions with exactly that pattern;
   *  - `queue`: only queue subscriptions into that queue.
   * Queue subscriptions are SubscriptionRecord copies (no `live` key); live ones are LiveSubscriptionInfo.
   */
  list(filter: { topic?: string; queue?: string }): SubscriptionInfo[] {
    let candidates: Iterable<Sub>;
    if (filter.topic === undefined) candidates = this.subs.values();
    else if (isPattern(filter.topic)) candidates = this.withPattern(filter.topic);
    else candidates = this.index.match(filter.topic);
    const out: SubscriptionInfo[] = [];
    for (const s of candidates) {
      if (filter.queue !== undefined && (s.kind !== 'queue' || s.record.queue !== filter.queue)) continue;
      out.push(s.kind === 'queue' ? copyRecord(s.record) : liveInfo(s));
    }
    return out;
  }

  counters(id: string): SubscriptionCounters | undefined {
    const s = this.subs.get(id);
    if (!s) return undefined;
    return s.kind === 'live' ? { delivered: s.delivered, dropped: s.dropped, failed: 0 } : { delivered: s.delivered, dropped: 0, failed: s.failed };
  }

  /** Forget everything; live subscriptions are marked closed without callbacks. */
  clear(): void {
    for (const sub of this.subs.values()) if (sub.kind === 'live') sub.closed = true;
    this.subs.clear();
    this.index.clear();
  }

  private withPattern(pattern: string): Sub[] {
    const out: Sub[] = [];
    for (const s of this.subs.values()) if ((s.kind === 'live' ? s.pattern : s.record.pattern) === pattern) out.push(s);
    return out;
  }
}

/** No policy, an empty string and `{}` all mean "no filter". */
export function toFilter(policy: FilterPolicy | string | object | null | undefined): FilterPolicy | null {
  if (policy === undefined || policy === null || policy === '') return null;
  const compiled = policy instanceof FilterPolicy ? policy : compileFilterPolicy(policy);
  return compiled.empty ? null : compiled;
}

function copyRecord(r: SubscriptionRecord): SubscriptionRecord {
  return { ...r, attributes: { ...r.attributes } };
}

function liveInfo(s: LiveSub): LiveSubscriptionInfo {
  return {
    id: s.id, pattern: s.pattern, live: true, filterPolicy: s.filter ? s.filter.source : null,
    noLocal: s.noLocal, createdAt: s.createdAt, delivered: s.delivered, dropped: s.dropped,
  };
}
