/**
 * A live (not durable) topic consumer: a pattern (`*` one level, `>` one or more) fed
 * synchronously by the core's TopicRouter through a LiveSink.
 *
 * Messages are handed over at once while the consumer may deliver. While it may not (paused,
 * prefetch window full, no credit) they wait in a buffer of at most `liveBufferMessages`; beyond
 * that the sink refuses them and the core drops and counts them (SNS/ActiveMQ semantics for
 * non-durable subscribers: best effort). Acks and nacks only free window room: a live message
 * cannot be redelivered.
 */
import type { Broker } from '../broker.js';
import type { LiveSubscription, TopicMessage } from '../topic/topic-router.js';
import { ConsumerBase, type ConsumerHost } from './consumer-base.js';
import type { ConsumerCallback, ConsumerSpec } from './types.js';

export class TopicSessionConsumer extends ConsumerBase<null> {
  private live: LiveSubscription | undefined;

  constructor(id: string, spec: ConsumerSpec, host: ConsumerHost, callback: ConsumerCallback, private readonly bufferLimit: number) {
    super(id, spec, host, callback);
  }

  attach(broker: Broker, pattern: string, filterPolicy: string | undefined): void {
    if (this.isClosed) return;
    this.live = broker.subscribeLive(pattern, { offer: (m) => this.offer(m) }, filterPolicy !== undefined ? { filterPolicy } : {});
  }

  protected override get tracks(): boolean {
    return this.ackMode !== 'auto';
  }

  private offer(m: TopicMessage): boolean {
    if (this.isClosed) return false;
    if (this.held.length >= this.bufferLimit) {
      this.droppedCount += 1;
      if (this.droppedCount === 1 || this.droppedCount % 1000 === 0) {
        this.host.logger.warn({ consumer: this.tag ?? this.id, pattern: this.live?.pattern, dropped: this.droppedCount }, 'slow topic subscriber: messages dropped');
      }
      return false;
    }
    this.accept({ item: null, messageId: m.id, message: m.message, redelivered: false, receiveCount: 1, destination: { kind: 'topic', name: m.topic } });
    return true;
  }

  protected settleAck(): Promise<void> {
    return Promise.resolve();
  }

  protected settleNack(): void {
    // a live message cannot be redelivered: it is discarded
  }

  protected detach(): void {
    this.live?.close();
  }
}
