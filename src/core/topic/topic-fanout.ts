/**
 * A topic publish's fan-out (the TopicRouter's publish; see topic-router.ts for the delivery
 * rules and the failure policy): FIFO dedup and its load gate (call order), live offers, one
 * copy per queue, extra targets, settling the copies and counting them.
 */
import type { Clock } from '../clock.js';
import { BrokerError } from '../errors.js';
import { newMessageId, type Message } from '../message.js';
import { validateName } from '../names.js';
import type { Logger } from '../../log.js';
import { fifoDedupId, type DedupEntry, type TopicDedup } from './topic-dedup.js';
import type { RetainedMessages } from './topic-retained.js';
import type { TopicState, TopicStates } from './topic-states.js';
import type { LiveSub, QueueSub, TopicSubscriptions } from './topic-subscriptions.js';
import type { ExtraTarget, PublishOptions, PublishResult, QueueTarget, TopicMessage } from './topic-types.js';

export interface TopicFanoutDeps {
  clock: Clock;
  logger: Logger;
  enqueue: QueueTarget;
  subs: TopicSubscriptions;
  dedup: TopicDedup;
  retained: RetainedMessages;
  states: TopicStates;
  /** Throws NOT_ACTIVE once the router is closed. */
  check(): void;
}

export class TopicFanout {
  private readonly logger: Logger;
  private readonly dedup: TopicDedup;
  private readonly retained: RetainedMessages;
  private readonly states: TopicStates;

  constructor(private readonly deps: TopicFanoutDeps) {
    this.logger = deps.logger;
    this.dedup = deps.dedup;
    this.retained = deps.retained;
    this.states = deps.states;
  }

  private check(): void {
    this.deps.check();
  }

  /** TopicRouter.publish: FIFO publishes whose dedup window is still loading wait behind it, in call order. */
  publish(topic: string, message: Message, opts: PublishOptions = {}): Promise<PublishResult> {
    try {
      this.check();
      validateName(topic, 'topic name');
      const state = this.states.state(topic);
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
    const tm: TopicMessage = { id, topic, message, publishedAt: this.deps.clock.now() };
    const entry = dedupId !== undefined ? this.dedup.record(topic, dedupId, id) : undefined;
    state.published += 1;
    this.states.totals.published += 1;

    let writes: Promise<unknown>[] | undefined;
    if (opts.retain) {
      writes = [message.body.length === 0 ? this.retained.clear(topic) : this.retained.set(tm)];
    }

    const matched = this.deps.subs.match(topic);
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
    this.states.totals.delivered += live;
    this.states.totals.dropped += dropped;

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
      return this.deps.enqueue(queue, tm);
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
      this.states.totals.failed += 1;
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
    this.states.totals.delivered += queued;
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
      this.states.totals.duplicates += 1;
      return result;
    };
    if (!seen.pending) return Promise.resolve(count());
    // The first copy is still committing: answer only once it is durable; if it failed, this send
    // is the one that counts (its entry was forgotten), so publish it for real.
    return seen.pending.then((ok) => (ok ? count() : this.deliver(topic, state, message, opts, dedupId)));
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

/** A client-class refusal by the target queue (missing, message rejected): retrying the publish cannot help. */
function isTargetRejection(err: unknown): boolean {
  return err instanceof BrokerError && err.status < 500;
}

function ignore(): void {
  // ordering gate only; outcomes reach callers through their own promise
}
