/**
 * Ways a message leaves a queue other than being acked/deleted: expiry (TTL or retention),
 * dead-lettering (maxReceiveCount or rejection) and rejection without a dead-letter queue.
 */
import type { Message } from '../message.js';
import { INFLIGHT, type QueueEntry } from './entry.js';
import type { QueueContext } from './queue-context.js';

/** The part of a Queue that receives dead-lettered messages. */
export interface DeadLetterTarget {
  readonly closed: boolean;
  /** Enqueue; any store write is issued before this returns. */
  acceptDeadLetter(message: Message, id: string): void;
}

export class QueueRemovals {
  constructor(
    private readonly ctx: QueueContext,
    private readonly self: DeadLetterTarget,
    private readonly resolveDeadLetter: ((name: string) => DeadLetterTarget | undefined) | undefined,
  ) {}

  isExpired(e: QueueEntry, now: number): boolean {
    const exp = e.message.properties.expiresAt;
    return (exp !== undefined && exp <= now) || e.enqueuedAt + this.ctx.attrs().retentionMs <= now;
  }

  dropExpired(e: QueueEntry): void {
    const ctx = this.ctx;
    ctx.core.remove(e);
    ctx.counters.expired += 1;
    if (e.persisted) ctx.bg(ctx.store.deleteMessage(ctx.name, e.seq), 'deleting expired message failed');
  }

  /** nack/close with requeue:false: dead-letter queue if configured and available, else drop. */
  reject(e: QueueEntry): void {
    if (this.deadLetter(e, 'rejected')) return;
    const ctx = this.ctx;
    ctx.core.remove(e);
    ctx.counters.rejected += 1;
    if (e.persisted) ctx.bg(ctx.store.deleteMessage(ctx.name, e.seq), 'deleting rejected message failed');
  }

  /** Move to the dead-letter queue; false (message untouched) if none is configured or it is unavailable. */
  deadLetter(e: QueueEntry, reason: 'maxReceiveCount' | 'rejected'): boolean {
    const ctx = this.ctx;
    const dlqName = ctx.attrs().deadLetterQueue;
    if (dlqName === null) return false;
    const target = this.resolveDeadLetter?.(dlqName);
    if (!target || target === this.self || target.closed) {
      ctx.logger.warn({ deadLetterQueue: dlqName, seq: e.seq, reason }, 'dead-letter queue is not available');
      return false;
    }
    ctx.core.remove(e);
    // Both writes issued back to back, so group commit puts them in one transaction.
    target.acceptDeadLetter(e.message, e.id);
    if (e.persisted) ctx.bg(ctx.store.deleteMessage(ctx.name, e.seq), 'deleting dead-lettered message failed');
    ctx.counters.deadLettered += 1;
    ctx.logger.debug({ deadLetterQueue: dlqName, id: e.id, receiveCount: e.receiveCount, reason }, 'message dead-lettered');
    return true;
  }

  /**
   * Drop messages past retention or TTL, except those in flight (checked when they come back).
   * Without TTLs only the old end of the queue is visited: entries are kept in enqueue order.
   */
  sweep(now: number): number {
    const core = this.ctx.core;
    const before = this.ctx.counters.expired;
    if (core.ttlCount > 0) {
      for (const e of core.entries.values()) if (e.state !== INFLIGHT && this.isExpired(e, now)) this.dropExpired(e);
    } else {
      const cutoff = now - this.ctx.attrs().retentionMs;
      for (const e of core.entries.values()) {
        if (e.enqueuedAt > cutoff) break;
        if (e.state !== INFLIGHT) this.dropExpired(e);
      }
    }
    return this.ctx.counters.expired - before;
  }
}
