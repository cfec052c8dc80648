/**
 * A stream consumer: `/stream/NAME` with `x-stream-offset` (first, last, next, offset=N,
 * timestamp=T; default next), over Stream.subscribe. Records are immutable, so ACK only frees
 * prefetch room and NACK is a no-op; each MESSAGE carries `x-stream-offset` (the record's
 * sequence number), which a consumer stores to resume with `offset=N+1`.
 *
 * Flow control: the reader is paused while the prefetch window is full (client ack modes) or
 * the socket is backed up, and resumed on ACK or drain; nothing is lost or buffered meanwhile.
 */
import type { Stream } from '../../src/core/broker.js';
import type { StreamReader, StreamRecordView, SubscribeStart } from '../../src/core/stream/types.js';
import { toMessageFrame } from './message-mapping.js';
import type { StreamOffset } from './stream-offset.js';
import { settled, StompSubscription, type SubscriptionInit } from './subscription.js';

export interface StreamSubscriptionInit extends SubscriptionInit {
  openStream: () => Promise<Stream>;
  offset: StreamOffset;
  destinationHeader: string;
}

export function toSubscribeStart(offset: StreamOffset): SubscribeStart {
  if ('kind' in offset) return offset.kind;
  if ('seq' in offset) return { seq: offset.seq };
  return { timestamp: offset.timestamp };
}

export class StreamSubscription extends StompSubscription {
  private reader: StreamReader | undefined;

  constructor(private readonly init: StreamSubscriptionInit) {
    super(init);
  }

  async start(): Promise<void> {
    const stream = await this.init.openStream();
    if (this.isClosed) return;
    this.reader = stream.subscribe({ start: toSubscribeStart(this.init.offset), onRecord: (r) => this.onRecord(r) });
    if (this.mustPause()) this.reader.pause();
  }

  private mustPause(): boolean {
    return this.windowFull || this.host.backedUp;
  }

  private onRecord(r: StreamRecordView): void {
    if (this.isClosed) return;
    const ackId = this.track(r.sequenceNumber, settled, () => undefined);
    this.host.writeFrame(toMessageFrame({
      subscription: this.id,
      messageId: r.sequenceNumber,
      destination: this.init.destinationHeader,
      ...(ackId !== undefined ? { ack: ackId } : {}),
      extra: [['x-stream-offset', r.sequenceNumber]],
      message: r.message,
    }, this.host.version));
    if (this.reader && !this.reader.paused && this.mustPause()) this.reader.pause();
  }

  override pump(): void {
    if (this.isClosed || !this.reader || !this.reader.paused || this.mustPause()) return;
    this.reader.resume();
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.window.clear();
    this.reader?.close();
  }
}
