/**
 * A stream consumer over Stream.subscribe, from a start offset (stream-offset.ts). Records are
 * immutable: acks only free window room, nacks are no-ops. Each delivery carries the record's
 * sequence number as `streamOffset`.
 *
 * Flow control: the reader is paused whenever the consumer may not deliver (paused, window full,
 * no credit) and resumed when it may again; nothing is lost, and at most the record in flight
 * when the reader paused is held.
 */
import type { Stream } from '../stream/stream.js';
import type { StreamReader, StreamRecordView, SubscribeStart } from '../stream/types.js';
import { ConsumerBase } from './consumer-base.js';

export class StreamSessionConsumer extends ConsumerBase<null> {
  private reader: StreamReader | undefined;

  attach(stream: Stream, start: SubscribeStart): void {
    if (this.isClosed) return;
    const name = stream.name;
    this.reader = stream.subscribe({ start, onRecord: (r) => this.onRecord(name, r) });
    this.flowChanged();
  }

  protected override get tracks(): boolean {
    return this.ackMode !== 'auto';
  }

  private onRecord(stream: string, r: StreamRecordView): void {
    if (this.isClosed) return;
    this.accept({
      item: null, messageId: r.sequenceNumber, message: r.message, redelivered: false, receiveCount: 1,
      destination: { kind: 'stream', name: stream }, streamOffset: r.sequenceNumber,
    });
  }

  protected override flowChanged(): void {
    const reader = this.reader;
    if (!reader || reader.closed || this.isClosed) return;
    const may = this.held.length === 0 && this.mayDeliver();
    if (!may && !reader.paused) reader.pause();
    else if (may && reader.paused) reader.resume();
  }

  protected settleAck(): Promise<void> {
    return Promise.resolve();
  }

  protected settleNack(): void {
    // records are immutable: nothing to hand back
  }

  protected detach(): void {
    this.reader?.close();
  }
}
