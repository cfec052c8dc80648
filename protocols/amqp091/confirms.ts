/**
 * Publisher confirms (confirm.select): every publish on the channel gets the next sequence
 * number (from 1). A publish is acked once the core accepted it (for a persistent message to a
 * durable queue: after the store commit; an unroutable one at once, after its basic.return) and
 * nacked when the core refused it. Outcomes are flushed once per tick, in sequence order: a run
 * of acks is one basic.ack with multiple=true for its last tag, a nack is its own basic.nack.
 */
import type { Channel } from './channel.js';

export class ConfirmTracker {
  private next = 0;
  /** Lowest sequence number not yet confirmed to the client. */
  private low = 1;
  private readonly done = new Map<number, boolean>();
  private scheduled = false;

  constructor(private readonly channel: Channel) {}

  /** Sequence number of the publish being handled. */
  nextSeq(): number {
    this.next += 1;
    return this.next;
  }

  settle(seq: number, ok: boolean): void {
    this.done.set(seq, ok);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    let ackUpTo = 0;
    while (this.done.has(this.low)) {
      const ok = this.done.get(this.low)!;
      this.done.delete(this.low);
      if (ok) {
        ackUpTo = this.low;
      } else {
        if (ackUpTo > 0) this.sendAck(ackUpTo);
        ackUpTo = 0;
        this.channel.send('basic.nack', { deliveryTag: this.low, multiple: false, requeue: false });
        this.lastAcked = this.low;
      }
      this.low += 1;
    }
    if (ackUpTo > 0) this.sendAck(ackUpTo);
  }

  private lastAcked = 0;

  private sendAck(upTo: number): void {
    // multiple=true covers everything unconfirmed up to `upTo`; a single one is sent as multiple=false.
    const multiple = upTo - this.lastAcked > 1;
    this.channel.send('basic.ack', { deliveryTag: upTo, multiple });
    this.lastAcked = upTo;
  }
}
