/** The periodic sweep of expired deduplication records in the store (every minute while the broker runs). */
import type { BrokerContext } from './broker-context.js';
import type { TimerHandle } from '../clock.js';

const DEDUP_SWEEP_MS = 60_000;

export class DedupSweep {
  private sweepTimer: TimerHandle | undefined;

  constructor(private readonly ctx: BrokerContext) {}

  schedule(): void {
    this.sweepTimer = this.ctx.clock.setTimer(DEDUP_SWEEP_MS, () => {
      if (this.ctx.isClosed()) return;
      this.ctx.store.expireDedup(this.ctx.clock.now()).catch((err: unknown) => this.ctx.logger.error({ err }, 'dedup sweep failed'));
      this.schedule();
    });
  }

  cancel(): void {
    this.sweepTimer?.cancel();
  }
}
