/**
 * Drives the heart-beats of one STOMP connection once they are negotiated (see negotiate.ts).
 *
 * - Outgoing: `onSend()` is called whenever nothing was written for `sendEveryMs`; the caller
 *   writes a HEARTBEAT. The caller reports every other write with `sent()`.
 * - Incoming: `onTimeout()` is called once when nothing at all (frame or heart-beat) was received
 *   for `expectEveryMs * toleranceFactor + graceMs`; the monitor then stops and the caller closes
 *   the connection. The caller reports every received chunk with `received()`.
 *
 * The spec leaves the receive tolerance to implementations; network delay and busy event loops
 * make an exact limit too strict. Default: factor 2, grace 0 (stomp.js and RabbitMQ use a factor
 * of about 2; ActiveMQ adds a grace on top of the interval).
 *
 * Timers are one-shot and re-armed lazily: `sent()`/`received()` only record the time, and a
 * timer that fires early (because traffic happened) re-arms itself for the remaining time. So
 * there is no timer churn per frame, and the timing is exact rather than a multiple of a tick.
 * The clock interface is the same shape as the core's Clock, which can be passed as is.
 */

export interface HeartbeatTimerHandle {
  cancel(): void;
}

export interface HeartbeatClock {
  /** Milliseconds, monotonic enough for intervals. */
  now(): number;
  /** Run `fn` once after `ms` milliseconds. */
  setTimer(ms: number, fn: () => void): HeartbeatTimerHandle;
}

export const systemHeartbeatClock: HeartbeatClock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

export interface HeartbeatMonitorOptions {
  /** 0 = the server sends no heart-beats. */
  sendEveryMs: number;
  /** 0 = the client's liveness is not checked. */
  expectEveryMs: number;
  onSend: () => void;
  onTimeout: () => void;
  clock?: HeartbeatClock;
  /** Receive limit = expectEveryMs * toleranceFactor + graceMs. Default 2. Must be >= 1. */
  toleranceFactor?: number;
  /** Added to the receive limit. Default 0. */
  graceMs?: number;
}

export class HeartbeatMonitor {
  private readonly sendEveryMs: number;
  private readonly receiveLimitMs: number;
  private readonly onSend: () => void;
  private readonly onTimeout: () => void;
  private readonly clock: HeartbeatClock;
  private lastSent = 0;
  private lastReceived = 0;
  private sendTimer: HeartbeatTimerHandle | undefined;
  private receiveTimer: HeartbeatTimerHandle | undefined;
  private running = false;
  private timedOut = false;

  constructor(opts: HeartbeatMonitorOptions) {
    const factor = opts.toleranceFactor ?? 2;
    const grace = opts.graceMs ?? 0;
    for (const [name, v] of [['sendEveryMs', opts.sendEveryMs], ['expectEveryMs', opts.expectEveryMs], ['graceMs', grace]] as const) {
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`HeartbeatMonitor: ${name} must be a non-negative number, got ${v}`);
    }
    if (!Number.isFinite(factor) || factor < 1) throw new RangeError(`HeartbeatMonitor: toleranceFactor must be >= 1, got ${factor}`);
    this.sendEveryMs = opts.sendEveryMs;
    this.receiveLimitMs = opts.expectEveryMs === 0 ? 0 : opts.expectEveryMs * factor + grace;
    this.onSend = opts.onSend;
    this.onTimeout = opts.onTimeout;
    this.clock = opts.clock ?? systemHeartbeatClock;
  }

  /** The silence after which `onTimeout` fires (0 = never). */
  get receiveTimeoutMs(): number {
    return this.receiveLimitMs;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Whether `onTimeout` has fired. */
  get hasTimedOut(): boolean {
    return this.timedOut;
  }

  /** Start both timers; the connection counts as just active in both directions. */
  start(): void {
    if (this.running || this.timedOut) return;
    this.running = true;
    const now = this.clock.now();
    this.lastSent = now;
    this.lastReceived = now;
    if (this.sendEveryMs > 0) this.armSend(this.sendEveryMs);
    if (this.receiveLimitMs > 0) this.armReceive(this.receiveLimitMs);
  }

  stop(): void {
    this.running = false;
    this.sendTimer?.cancel();
    this.receiveTimer?.cancel();
    this.sendTimer = undefined;
    this.receiveTimer = undefined;
  }

  /** Something (a frame or a heart-beat) was written to the client. */
  sent(): void {
    this.lastSent = this.clock.now();
  }

  /** Some bytes (a frame, part of one, or a heart-beat) were received from the client. */
  received(): void {
    this.lastReceived = this.clock.now();
  }

  private armSend(ms: number): void {
    this.sendTimer = this.clock.setTimer(ms, () => this.sendDue());
  }

  private armReceive(ms: number): void {
    this.receiveTimer = this.clock.setTimer(ms, () => this.receiveDue());
  }

  private sendDue(): void {
    if (!this.running) return;
    const now = this.clock.now();
    const idle = now - this.lastSent;
    if (idle < this.sendEveryMs) {
      this.armSend(this.sendEveryMs - idle);
      return;
    }
    this.lastSent = now;
    this.armSend(this.sendEveryMs);
    this.onSend();
  }

  private receiveDue(): void {
    if (!this.running) return;
    const idle = this.clock.now() - this.lastReceived;
    if (idle < this.receiveLimitMs) {
      this.armReceive(this.receiveLimitMs - idle);
      return;
    }
    this.timedOut = true;
    this.stop();
    this.onTimeout();
  }
}
