/**
 * A queue's clock timers: one for the earliest due time (delays and pull visibility deadlines),
 * one for the earliest expiry of an undelivered message (TTL, so a dead-letter exchange gets
 * expired messages on time even with no consumer), and the periodic sweep (retention, dedup
 * window). Timer callbacks run the dispatcher synchronously.
 */
import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../../log.js';
import { EarliestTimer } from './earliest-timer.js';
import type { QueueCore } from './queue-core.js';
import type { QueueRemovals } from './removals.js';

export interface QueueTimerHooks {
  readonly clock: Clock;
  readonly core: QueueCore;
  readonly logger: Logger;
  readonly sweepIntervalMs: number;
  removals(): QueueRemovals;
  pump(): void;
  schedulePump(): void;
  pruneDedup(now: number): void;
}

export class QueueTimers {
  private readonly due: EarliestTimer;
  private readonly expiry: EarliestTimer;
  private sweepTimer: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly h: QueueTimerHooks) {
    this.due = new EarliestTimer(h.clock, this.onDue);
    this.expiry = new EarliestTimer(h.clock, this.onExpiry);
  }

  start(): void {
    this.scheduleDue();
    this.scheduleExpiry();
    this.scheduleSweep();
  }

  stop(): void {
    this.stopped = true;
    this.due.cancel();
    this.expiry.cancel();
    this.sweepTimer?.cancel();
    this.sweepTimer = undefined;
  }

  /** Re-arm for the earliest due time, if it moved earlier (or cancel when nothing is due). */
  scheduleDue(): void {
    if (this.stopped) return;
    const top = this.h.core.due.peek();
    if (top) this.due.armAt(top.dueAt);
    else this.due.cancel();
  }

  /** Re-arm for the earliest message expiry, if it moved earlier. */
  scheduleExpiry(): void {
    if (this.stopped) return;
    const top = this.h.core.expiring.peek();
    if (top) this.expiry.armAt(top.expiresAt);
    else this.expiry.cancel();
  }

  private readonly onDue = (): void => {
    if (this.stopped) return;
    const core = this.h.core;
    const now = this.h.clock.now();
    for (let top = core.due.peek(); top && top.dueAt <= now; top = core.due.peek()) {
      core.makeReady(top); // delay over, or visibility timeout over (receipt kept for a late delete)
    }
    this.scheduleDue();
    this.scheduleExpiry();
    this.h.pump();
  };

  private readonly onExpiry = (): void => {
    if (this.stopped) return;
    if (this.h.removals().expireDue(this.h.clock.now()) > 0) this.h.schedulePump();
    this.scheduleExpiry();
  };

  private scheduleSweep(): void {
    if (this.stopped) return;
    this.sweepTimer = this.h.clock.setTimer(this.h.sweepIntervalMs, this.onSweep);
  }

  private readonly onSweep = (): void => {
    this.sweepTimer = undefined;
    if (this.stopped) return;
    const now = this.h.clock.now();
    const dropped = this.h.removals().sweep(now);
    this.h.pruneDedup(now);
    if (dropped > 0) {
      this.h.logger.debug({ dropped }, 'expired messages swept');
      this.scheduleExpiry();
      this.h.schedulePump();
    }
    this.scheduleSweep();
  };
}
