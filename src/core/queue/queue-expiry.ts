/**
 * When a queue deletes itself (it asks its owner, the broker, which removes it everywhere):
 *
 *  - expiresMs (RabbitMQ x-expires): after being unused that long: no push consumer attached,
 *    no receive, no redeclare (touch). Publishing does not count as use (RabbitMQ). The clock
 *    starts when the queue opens (also after a restart) and again when its last consumer goes.
 *  - autoDelete: when its last push consumer goes away, once it has had one (a queue that never
 *    had a consumer stays, as in RabbitMQ).
 *
 * Use is recorded cheaply (a timestamp); the timer checks it when it fires and re-arms.
 */
import type { Clock } from '../clock.js';
import type { QueueAttributes } from './queue-attributes.js';
import { EarliestTimer } from './earliest-timer.js';

export type UnusedReason = 'expired' | 'auto-delete';

export class QueueExpiry {
  private lastUsed: number;
  private hadConsumer = false;
  private stopped = false;
  private readonly timer: EarliestTimer;

  constructor(
    private readonly clock: Clock,
    private readonly attrs: () => Readonly<QueueAttributes>,
    private readonly consumerCount: () => number,
    private readonly onUnused: ((reason: UnusedReason) => void) | undefined,
  ) {
    this.lastUsed = clock.now();
    this.timer = new EarliestTimer(clock, this.onTimer);
  }

  /** A receive, a consumer attaching, a redeclare. */
  touch(): void {
    this.lastUsed = this.clock.now();
  }

  /** Consumers attached or went away, or attributes changed: re-arm (or fire autoDelete). */
  changed(): void {
    if (this.stopped) return;
    const n = this.consumerCount();
    if (n > 0) {
      this.hadConsumer = true;
      this.touch();
      this.timer.cancel();
      return;
    }
    if (this.hadConsumer) {
      this.hadConsumer = false;
      this.touch();
      if (this.attrs().autoDelete && this.onUnused) {
        // After the current call (a consumer's close) returns; a consumer attached meanwhile keeps the queue.
        queueMicrotask(() => {
          if (!this.stopped && this.consumerCount() === 0) this.fire('auto-delete');
        });
        return;
      }
    }
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.timer.cancel();
  }

  private arm(): void {
    const ms = this.attrs().expiresMs;
    if (ms === null || !this.onUnused || this.consumerCount() > 0) {
      this.timer.cancel();
      return;
    }
    this.timer.cancel();
    this.timer.armAt(this.lastUsed + ms);
  }

  private readonly onTimer = (): void => {
    if (this.stopped) return;
    const ms = this.attrs().expiresMs;
    if (ms === null || this.consumerCount() > 0) return;
    if (this.lastUsed + ms > this.clock.now()) {
      this.arm(); // used since the timer was armed
      return;
    }
    this.fire('expired');
  };

  private fire(reason: UnusedReason): void {
    this.stopped = true;
    this.timer.cancel();
    this.onUnused?.(reason);
  }
}
