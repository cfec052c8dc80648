/**
 * One clock timer for the earliest of a moving set of due times (the queue's delays and
 * visibility deadlines, its message expiries, its own expiry). Arming for a later time than
 * the one already armed is a no-op; the owner re-arms after each firing. Delays past Node's
 * setTimeout limit (2^31-1 ms, about 24.8 days) are reached in steps instead of firing at once.
 */
import type { Clock, TimerHandle } from '../clock.js';

export const MAX_TIMER_STEP_MS = 0x7fff_ffff;

export class EarliestTimer {
  private handle: TimerHandle | undefined;
  private at = Infinity;

  constructor(private readonly clock: Clock, private readonly fire: () => void) {}

  /** Fire at `at`, unless already armed for that time or earlier. */
  armAt(at: number): void {
    if (this.handle && this.at <= at) return;
    this.handle?.cancel();
    this.at = at;
    this.handle = this.clock.setTimer(Math.min(Math.max(0, at - this.clock.now()), MAX_TIMER_STEP_MS), this.onTimer);
  }

  cancel(): void {
    this.handle?.cancel();
    this.handle = undefined;
    this.at = Infinity;
  }

  private readonly onTimer = (): void => {
    this.handle = undefined;
    const at = this.at;
    this.at = Infinity;
    if (this.clock.now() < at) this.armAt(at); // one step of a long delay
    else this.fire();
  };
}
