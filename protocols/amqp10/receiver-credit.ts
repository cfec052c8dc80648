/**
 * The credit a receiving link (a client's sender: message or coordinator link) grants: a window
 * of `incomingWindow` transfers, counting those received but not yet answered, topped up once
 * fewer than half remain. A delivery holds its credit until it is answered, so a slow store
 * slows the producer instead of growing memory.
 */
import type { Receiver } from 'rhea';

export class ReceiverCredit {
  private credit = 0;
  private inflight = 0;

  constructor(private readonly receiver: Receiver, private readonly window: number) {}

  /** Grant credit back up to the window, when less than half of it is left. */
  topUp(): void {
    if (this.credit + this.inflight > this.window / 2) return;
    const grant = this.window - this.credit - this.inflight;
    if (grant <= 0) return;
    this.credit += grant;
    this.receiver.add_credit(grant);
  }

  /** A transfer arrived: it uses one credit until answered. */
  received(): void {
    if (this.credit > 0) this.credit -= 1;
    this.inflight += 1;
  }

  /** A transfer was answered (settled, accepted or refused). */
  answered(): void {
    this.inflight -= 1;
  }
}
