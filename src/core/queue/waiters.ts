/**
 * Pending long-poll receives, oldest first. Each ends when the dispatcher fills its batch
 * (with at least one message), at its wait timeout (a Clock timer per receive call, not per
 * message), when its AbortSignal fires, or when the queue closes; it then resolves its batch.
 */
import type { Clock, TimerHandle } from '../clock.js';
import type { ReceivedMessage } from './types.js';

export interface Waiter {
  readonly max: number;
  readonly visibilityTimeoutMs: number;
  readonly batch: ReceivedMessage[];
  resolve: (r: ReceivedMessage[]) => void;
  timer: TimerHandle | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class LongPollWaiters {
  private readonly list: Waiter[] = [];

  constructor(private readonly clock: Clock) {}

  get length(): number {
    return this.list.length;
  }

  first(): Waiter | undefined {
    return this.list[0];
  }

  /** Wait up to `waitMs` for the dispatcher to fill `batch`. */
  wait(max: number, visibilityTimeoutMs: number, waitMs: number, signal: AbortSignal | undefined): Promise<ReceivedMessage[]> {
    return new Promise<ReceivedMessage[]>((resolve) => {
      const w: Waiter = { max, visibilityTimeoutMs, batch: [], resolve, timer: undefined, signal, onAbort: undefined };
      w.timer = this.clock.setTimer(waitMs, () => {
        w.timer = undefined;
        this.finish(w);
      });
      if (signal) {
        w.onAbort = () => this.finish(w);
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.list.push(w);
    });
  }

  /** Resolve the waiter with what its batch holds (no-op if already finished). */
  finish(w: Waiter): void {
    const i = this.list.indexOf(w);
    if (i < 0) return;
    this.list.splice(i, 1);
    w.timer?.cancel();
    w.timer = undefined;
    if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
    w.resolve(w.batch);
  }

  finishAll(): void {
    for (const w of [...this.list]) this.finish(w);
  }
}
