/**
 * Hands visible messages to whoever can take them: pending long-poll receives first (oldest
 * first, each takes up to its max), then push consumers round-robin among those with capacity
 * (or only the single active one: single-active-consumer.ts).
 * Also owns the push-consumer lifecycle (ack, nack, close).
 *
 * pump() is re-entrancy safe: a consumer's onMessage may ack, nack, close or send
 * synchronously; the work is picked up by another turn of the running loop.
 */
import { BrokerError } from '../errors.js';
import type { QueueEntry } from './entry.js';
import { PushConsumer, type ConsumerHost } from './consumers.js';
import { MAX_VISIBILITY_TIMEOUT_MS } from './queue-attributes.js';
import type { QueueContext } from './queue-context.js';
import type { QueueRemovals } from './removals.js';
import type { ReceiptIssuer } from './receipts.js';
import type { ConsumerInfo, ConsumerOptions, NackOptions, QueueDelivery, ReceivedMessage } from './types.js';
import { LongPollWaiters } from './waiters.js';
import { ConsumerRotation } from './single-active-consumer.js';

const RESOLVED: Promise<void> = Promise.resolve();

export class Dispatcher {
  readonly waiters: LongPollWaiters;
  private readonly consumers = new ConsumerRotation<PushConsumer>();
  private nextTag = 1;
  private pumping = false;
  private pumpAgain = false;
  private pumpScheduled = false;
  private stopped = false;
  private readonly host: ConsumerHost;

  constructor(
    private readonly ctx: QueueContext,
    private readonly removals: QueueRemovals,
    private readonly receipts: ReceiptIssuer,
  ) {
    this.waiters = new LongPollWaiters(ctx.clock);
    this.host = {
      ack: (c, tag) => this.ack(c, tag),
      nack: (c, tag, opts) => this.nack(c, tag, opts),
      close: (c, requeue) => this.closeConsumer(c, requeue),
      changed: () => this.schedulePump(),
      pumpNow: () => this.pump(),
    };
  }

  get consumerCount(): number {
    return this.consumers.members.length;
  }

  // ------------------------------------------------------------------ pumping

  schedulePump(): void {
    if (this.pumpScheduled || this.stopped) return;
    this.pumpScheduled = true;
    queueMicrotask(this.runScheduledPump);
  }

  private readonly runScheduledPump = (): void => {
    this.pumpScheduled = false;
    this.pump();
  };

  pump(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.dispatch();
      } while (this.pumpAgain && !this.stopped);
    } finally {
      this.pumping = false;
    }
  }

  private dispatch(): void {
    const core = this.ctx.core;
    if (core.visible.size === 0) return;
    const now = this.ctx.clock.now();
    for (let w = this.waiters.first(); w !== undefined; w = this.waiters.first()) {
      this.takeInto(w.batch, w.max, w.visibilityTimeoutMs, now);
      if (w.batch.length === 0) return;
      this.waiters.finish(w);
    }
    const single = this.ctx.attrs().singleActiveConsumer;
    while (core.visible.size > 0 && !this.stopped) {
      const c = this.consumers.next(single);
      if (!c) return;
      const e = this.takeNext(now);
      if (!e) return;
      this.deliverPush(c, e);
    }
  }

  /** Next deliverable message: expires and dead-letters (or drops) those past maxReceiveCount on the way. */
  private takeNext(now: number): QueueEntry | undefined {
    for (;;) {
      const e = this.ctx.core.popVisible();
      if (!e) return undefined;
      if (this.removals.isExpired(e, now)) {
        this.removals.expire(e, now);
        continue;
      }
      const max = this.ctx.attrs().maxReceiveCount;
      if (max !== null && e.receiveCount >= max && this.removals.deliveryLimit(e)) continue;
      return e;
    }
  }

  // ------------------------------------------------------------------ pull deliveries

  /** Receive up to `max` messages into `batch` (pull: each invisible for the visibility timeout). */
  takeInto(batch: ReceivedMessage[], max: number, visibilityTimeoutMs: number, now: number): void {
    while (batch.length < max) {
      const e = this.takeNext(now);
      if (!e) return;
      batch.push(this.deliverPull(e, now, visibilityTimeoutMs));
    }
  }

  private deliverPull(e: QueueEntry, now: number, visibilityTimeoutMs: number): ReceivedMessage {
    const ctx = this.ctx;
    e.receiveCount += 1;
    ctx.core.markInFlight(e, now + visibilityTimeoutMs);
    const receipt = this.receipts.issue(e.seq);
    e.receipt = receipt;
    if (e.persisted) ctx.bg(ctx.store.setReceiveCount(ctx.name, e.seq, e.receiveCount), 'persisting receive count failed');
    ctx.scheduleDue();
    return { id: e.id, seq: e.seq, receipt, message: e.message, receiveCount: e.receiveCount, redelivered: e.receiveCount > 1, enqueuedAt: e.enqueuedAt };
  }

  // ------------------------------------------------------------------ push consumers

  addConsumer(opts: ConsumerOptions): PushConsumer {
    const c = new PushConsumer(this.host, opts);
    this.consumers.add(c);
    this.ctx.consumersChanged();
    this.schedulePump();
    return c;
  }

  listConsumers(): ConsumerInfo[] {
    const single = this.ctx.attrs().singleActiveConsumer;
    return this.consumers.members.map((c) => ({ ...c.info(), active: this.consumers.isActive(c, single) }));
  }

  private deliverPush(c: PushConsumer, e: QueueEntry): void {
    const ctx = this.ctx;
    e.receiveCount += 1;
    const tag = this.nextTag++;
    c.useCredit();
    e.receipt = undefined;
    if (c.autoAck) {
      ctx.core.remove(e);
      ctx.counters.dequeued += 1;
      if (e.persisted) ctx.bg(ctx.store.deleteMessage(ctx.name, e.seq), 'deleting auto-acked message failed');
    } else {
      ctx.core.markInFlight(e, undefined);
      e.holder = c;
      e.tag = tag;
      c.held.set(tag, e);
      if (e.persisted) ctx.bg(ctx.store.setReceiveCount(ctx.name, e.seq, e.receiveCount), 'persisting receive count failed');
    }
    const d: QueueDelivery = { tag, id: e.id, seq: e.seq, message: e.message, receiveCount: e.receiveCount, redelivered: e.receiveCount > 1, enqueuedAt: e.enqueuedAt };
    try {
      c.onMessage(d);
    } catch (err) {
      ctx.logger.error({ err, consumer: c.id, tag }, 'consumer onMessage threw; the delivery stays unacked until ack, nack or close');
    }
  }

  private ack(c: PushConsumer, tag: number): Promise<void> {
    const ctx = this.ctx;
    const e = c.held.get(tag);
    if (!e) return Promise.reject(new BrokerError('RECEIPT_INVALID', `delivery tag ${String(tag)} is not unacked on consumer ${c.id}`));
    c.held.delete(tag);
    ctx.core.remove(e);
    ctx.counters.dequeued += 1;
    this.schedulePump();
    return e.persisted ? ctx.store.deleteMessage(ctx.name, e.seq) : RESOLVED;
  }

  private nack(c: PushConsumer, tag: number, opts: NackOptions): void {
    const ctx = this.ctx;
    const e = c.held.get(tag);
    if (!e) throw new BrokerError('RECEIPT_INVALID', `delivery tag ${String(tag)} is not unacked on consumer ${c.id}`);
    const delayMs = opts.delayMs ?? 0;
    if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > MAX_VISIBILITY_TIMEOUT_MS) {
      throw new BrokerError('INVALID_ARGUMENT', `delayMs must be an integer between 0 and ${MAX_VISIBILITY_TIMEOUT_MS}, got ${String(delayMs)}`);
    }
    c.held.delete(tag);
    if (opts.countDelivery === false && e.receiveCount > 0) {
      e.receiveCount -= 1;
      if (e.persisted) ctx.bg(ctx.store.setReceiveCount(ctx.name, e.seq, e.receiveCount), 'persisting receive count failed');
    }
    if (opts.requeue === false) {
      this.removals.reject(e);
    } else if (delayMs > 0) {
      ctx.core.makeDelayed(e, ctx.clock.now() + delayMs);
      ctx.scheduleDue();
    } else {
      ctx.core.makeReady(e);
    }
    ctx.scheduleExpiry();
    this.schedulePump();
  }

  private closeConsumer(c: PushConsumer, requeue: boolean): void {
    this.consumers.remove(c);
    for (const e of c.held.values()) {
      if (requeue) this.ctx.core.makeReady(e);
      else this.removals.reject(e);
    }
    c.held.clear();
    this.ctx.scheduleExpiry();
    this.schedulePump();
    this.ctx.consumersChanged();
  }

  /** The queue is closing: end long polls with what they have ([]), detach consumers without requeueing. */
  stop(): void {
    this.stopped = true;
    this.waiters.finishAll();
    for (const c of this.consumers.clear()) {
      c.detach();
      if (!c.onClosed) continue;
      try {
        c.onClosed('queue closed');
      } catch (err) {
        this.ctx.logger.error({ err, consumer: c.id }, 'consumer onClosed threw');
      }
    }
  }
}
