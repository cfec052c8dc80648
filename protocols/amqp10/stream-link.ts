/**
 * A receiver on `stream://NAME`: a push reader from the requested offset, paused whenever the
 * link has no credit (records are never lost, the reader resumes where it stopped). Each message
 * carries its sequence number in the `x-stream-offset` message annotation. Outcomes are accepted
 * and ignored: stream records are immutable and the consumer keeps its own position.
 * Drain delivers the records already read, then reports the rest of the credit consumed.
 */
import type { Delivery, Sender } from 'rhea';
import type { Stream } from '../../src/core/broker.js';
import type { StreamReader, StreamRecordView, SubscribeStart } from '../../src/core/stream/types.js';
import type { LinkContext } from './link-context.js';
import { toAmqp } from './message-out.js';
import { OutgoingLink } from './outgoing-link.js';

export class StreamLink extends OutgoingLink {
  private reader: StreamReader | undefined;
  private readonly pending: StreamRecordView[] = [];

  constructor(sender: Sender, ctx: LinkContext, presettled: boolean, address: string) {
    super(sender, ctx, presettled, address);
  }

  async start(stream: Promise<Stream>, start: SubscribeStart): Promise<void> {
    let s: Stream;
    try {
      s = await stream;
    } catch (err) {
      this.ctx.logger.info({ err, link: this.sender.name, address: this.address }, 'AMQP 1.0: stream receiver attach failed');
      this.fail(err);
      return;
    }
    if (this.stopped) return;
    this.reader = s.subscribe({ start, onRecord: (r) => this.onRecord(r) });
    if (this.pumpable <= 0) this.reader.pause();
  }

  private onRecord(r: StreamRecordView): void {
    if (this.stopped) return;
    if (this.pending.length > 0 || this.pumpable <= 0 || !this.send(r)) this.pending.push(r);
    if (this.pumpable <= 0) this.reader?.pause();
  }

  private send(r: StreamRecordView): boolean {
    const payload = toAmqp(r.message, { now: Date.now(), to: this.address, annotations: { 'x-stream-offset': r.seq } });
    return this.transfer(payload) !== undefined;
  }

  private pump(): void {
    while (this.pending.length > 0 && this.pumpable > 0 && !this.stopped) {
      if (!this.send(this.pending[0]!)) return;
      this.pending.shift();
    }
    if (this.pumpable > 0 && this.pending.length === 0 && !this.stopped) this.reader?.resume();
  }

  protected creditChanged(): void {
    this.pump();
  }

  protected deliverForDrain(): void {
    this.pump();
    this.reader?.pause();
  }

  protected settleOutcome(_outcome: unknown, delivery: Delivery): void {
    this.settleLocally(delivery);
  }

  protected release(): void {
    this.reader?.close();
    this.reader = undefined;
    this.pending.length = 0;
  }
}
