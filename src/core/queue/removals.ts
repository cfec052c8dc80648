/**
 * Ways a message leaves a queue other than being acked/deleted: expiry (TTL or retention),
 * overflow (drop-head), the delivery limit (maxReceiveCount) and rejection. Each either
 * dead-letters the message, to the queue's dead-letter queue (SQS redrive: the message moves as
 * it is, minus its expiry) or dead-letter exchange (RabbitMQ: a copy with x-death headers), or
 * drops it, counted by reason. Retention expiry always drops (SQS deletes old messages).
 */
import type { Message } from '../message.js';
import { INFLIGHT, type QueueEntry } from './entry.js';
import type { QueueContext, QueueCounters } from './queue-context.js';
import {
  isPermanentRefusal, publishedWith, withPublishedWith, type DeadLetterPublisher, type DeadLetterQueueTarget,
} from './dead-letter-target.js';
import { deadLetteredCopy, isDeadLetterCycle, withoutExpiry, type DeadLetterReason } from './x-death.js';

/** The counter a drop (no dead-letter target) counts in, by reason. */
const DROP_COUNTER: Record<DeadLetterReason, keyof QueueCounters> = {
  rejected: 'rejected',
  expired: 'expired',
  maxlen: 'overflowed',
  delivery_limit: 'deliveryLimitDropped',
};

export class QueueRemovals {
  constructor(
    private readonly ctx: QueueContext,
    private readonly self: DeadLetterQueueTarget,
    private readonly resolveDeadLetterQueue: ((name: string) => DeadLetterQueueTarget | undefined) | undefined,
    private readonly publish: DeadLetterPublisher | undefined,
  ) {}

  isExpired(e: QueueEntry, now: number): boolean {
    return e.expiresAt <= now || e.enqueuedAt + this.ctx.attrs().retentionMs <= now;
  }

  /** TTL: dead-letter (reason expired) or drop; past retention: drop. */
  expire(e: QueueEntry, now: number): void {
    if (e.expiresAt <= now && this.deadLetter(e, 'expired')) return;
    this.drop(e, 'expired');
  }

  /** nack/close with requeue:false. */
  reject(e: QueueEntry): void {
    if (!this.deadLetter(e, 'rejected')) this.drop(e, 'rejected');
  }

  /** drop-head overflow. */
  overflow(e: QueueEntry): void {
    if (!this.deadLetter(e, 'maxlen')) this.drop(e, 'maxlen');
  }

  /**
   * Past maxReceiveCount. True when the message left the queue; false when it should be
   * delivered anyway: its dead-letter queue cannot be resolved (nothing is lost, as before).
   */
  deliveryLimit(e: QueueEntry): boolean {
    if (this.deadLetter(e, 'delivery_limit')) return true;
    if (this.ctx.attrs().deadLetterQueue !== null) return false;
    this.drop(e, 'delivery_limit');
    return true;
  }

  /** Dead-letter a message that never entered the queue (dead on arrival, refused by reject-publish-dlx). */
  deadLetterUnqueued(message: Message, id: string, reason: DeadLetterReason, now: number): boolean {
    return this.send(message, id, reason, now, undefined);
  }

  /** To the dead-letter target; false (message untouched) if there is none or it is unavailable. */
  private deadLetter(e: QueueEntry, reason: DeadLetterReason): boolean {
    return this.send(e.message, e.id, reason, e.enqueuedAt, e);
  }

  private send(message: Message, id: string, reason: DeadLetterReason, enqueuedAt: number, e: QueueEntry | undefined): boolean {
    const ctx = this.ctx;
    const a = ctx.attrs();
    if (a.deadLetterQueue !== null) {
      const target = this.resolveDeadLetterQueue?.(a.deadLetterQueue);
      if (!target || target === this.self || target.closed) {
        ctx.logger.warn({ deadLetterQueue: a.deadLetterQueue, id, reason }, 'dead-letter queue is not available');
        return false;
      }
      if (e) ctx.core.remove(e);
      // Both writes issued back to back, so group commit puts them in one transaction.
      target.acceptDeadLetter({ ...message, properties: withoutExpiry(message.properties) }, id);
      if (e?.persisted) ctx.bg(ctx.store.deleteMessage(ctx.name, e.seq), 'deleting dead-lettered message failed');
    } else if (a.deadLetterExchange !== null) {
      if (!this.publish) {
        ctx.logger.warn({ deadLetterExchange: a.deadLetterExchange, id, reason }, 'no dead-letter exchange routing in this broker');
        return false;
      }
      if (e) ctx.core.remove(e);
      if (isDeadLetterCycle(message, ctx.name, reason)) {
        ctx.logger.warn({ id, reason }, 'dead-letter cycle (the message died here before, never rejected): dropped');
        this.count(reason);
        if (e?.persisted) ctx.bg(ctx.store.deleteMessage(ctx.name, e.seq), 'deleting dead-lettered message failed');
        return true;
      }
      this.publishCopy(message, reason, enqueuedAt, e);
    } else {
      return false;
    }
    ctx.counters.deadLettered += 1;
    ctx.logger.debug({ id, reason }, 'message dead-lettered');
    return true;
  }

  /** The source row goes after the copies are committed (a crash in between redelivers: at-least-once). */
  private publishCopy(message: Message, reason: DeadLetterReason, enqueuedAt: number, e: QueueEntry | undefined): void {
    const ctx = this.ctx;
    const a = ctx.attrs();
    const exchange = a.deadLetterExchange!;
    const from = publishedWith(message, ctx.name);
    const routingKey = a.deadLetterRoutingKey ?? from.routingKey;
    const copy = deadLetteredCopy(message, {
      queue: ctx.name, reason, time: ctx.clock.now(), exchange: from.exchange, routingKeys: [from.routingKey], enqueuedAt,
    });
    const deleteSource = (): void => {
      if (e?.persisted) ctx.bg(ctx.store.deleteMessage(ctx.name, e.seq), 'deleting dead-lettered message failed');
    };
    let published: Promise<unknown>;
    try {
      published = this.publish!(exchange, routingKey, withPublishedWith(copy, exchange, routingKey));
    } catch (err) {
      published = Promise.reject(err);
    }
    published.then(deleteSource, (err: unknown) => {
      if (isPermanentRefusal(err)) {
        ctx.logger.warn({ err, exchange, routingKey, reason }, 'dead-letter target refused the message; dropped');
        deleteSource();
      } else {
        ctx.logger.error({ err, exchange, routingKey, reason }, 'dead-lettering failed; the message stays in the store until the next restart');
      }
    });
  }

  private drop(e: QueueEntry, reason: DeadLetterReason): void {
    const ctx = this.ctx;
    ctx.core.remove(e);
    this.count(reason);
    if (e.persisted) ctx.bg(ctx.store.deleteMessage(ctx.name, e.seq), `deleting ${reason} message failed`);
  }

  private count(reason: DeadLetterReason): void {
    this.ctx.counters[DROP_COUNTER[reason]] += 1;
  }

  /** Expire what is due in the expiry set (undelivered entries with a TTL). */
  expireDue(now: number): number {
    const core = this.ctx.core;
    let n = 0;
    for (let top = core.expiring.peek(); top && top.expiresAt <= now; top = core.expiring.peek()) {
      this.expire(top, now);
      n += 1;
    }
    return n;
  }

  /**
   * Drop messages past retention (or TTL), except those in flight (checked when they come back).
   * Only the old end of the queue is visited: entries are kept in enqueue order.
   */
  sweep(now: number): number {
    let n = this.expireDue(now);
    const cutoff = now - this.ctx.attrs().retentionMs;
    for (const e of this.ctx.core.entries.values()) {
      if (e.enqueuedAt > cutoff) break;
      if (e.state !== INFLIGHT) {
        this.expire(e, now);
        n += 1;
      }
    }
    return n;
  }
}
