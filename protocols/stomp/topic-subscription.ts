/**
 * A live (non-durable) topic subscription: `/topic/NAME` or a wildcard pattern (`*` one level,
 * `>` one or more), fed synchronously by the core's TopicRouter through a LiveSink.
 *
 * Messages are written at once while the client keeps up. When the prefetch window is full
 * (client ack modes) or the socket is backed up, they wait in a buffer of at most
 * `liveBufferMessages`; beyond that the sink refuses them, and the core drops and counts them
 * (SNS/ActiveMQ semantics for non-durable subscribers: a live subscription is best effort).
 * ACK frees window room; NACK too (a live message cannot be redelivered; it is discarded).
 */
import type { Broker } from '../../src/core/broker.js';
import type { LiveSubscription, TopicMessage } from '../../src/core/topic/topic-router.js';
import { toMessageFrame } from './message-mapping.js';
import { settled, StompSubscription, type SubscriptionInit } from './subscription.js';

export interface TopicSubscriptionInit extends SubscriptionInit {
  broker: Broker;
  pattern: string;
  filterPolicy: string | undefined;
}

export class TopicSubscription extends StompSubscription {
  private live: LiveSubscription | undefined;
  private readonly buffer: TopicMessage[] = [];
  private pumping = false;
  /** Messages refused because the buffer was full. */
  dropped = 0;

  constructor(private readonly init: TopicSubscriptionInit) {
    super(init);
  }

  async start(): Promise<void> {
    const { broker, pattern, filterPolicy } = this.init;
    this.live = broker.subscribeLive(pattern, { offer: (m) => this.offer(m) }, filterPolicy !== undefined ? { filterPolicy } : {});
  }

  private offer(m: TopicMessage): boolean {
    if (this.isClosed) return false;
    if (this.buffer.length === 0 && this.canWrite()) {
      this.write(m);
      return true;
    }
    if (this.buffer.length >= this.host.options.liveBufferMessages) {
      this.dropped += 1;
      if (this.dropped === 1 || this.dropped % 1000 === 0) {
        this.host.logger.warn({ subscription: this.id, pattern: this.init.pattern, dropped: this.dropped }, 'slow STOMP topic subscriber: messages dropped');
      }
      return false;
    }
    this.buffer.push(m);
    return true;
  }

  private canWrite(): boolean {
    return !this.windowFull && !this.host.backedUp;
  }

  private write(m: TopicMessage): void {
    const ackId = this.track(m.id, settled, () => undefined);
    this.host.writeFrame(toMessageFrame({
      subscription: this.id,
      messageId: m.id,
      destination: `/topic/${m.topic}`,
      ...(ackId !== undefined ? { ack: ackId } : {}),
      message: m.message,
    }, this.host.version));
  }

  override pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.isClosed && this.buffer.length > 0 && this.canWrite()) this.write(this.buffer.shift()!);
    } finally {
      this.pumping = false;
    }
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.buffer.length = 0;
    this.window.clear();
    this.live?.close();
  }
}
