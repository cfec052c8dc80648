/**
 * A subscription fed by a core queue's push consumer: `/queue/NAME`, `/temp-queue/NAME` and
 * durable topic subscriptions (whose queue is fed by the topic). Competing consumers: each
 * message goes to one subscription of the queue.
 *
 * Flow control is the core's prefetch: client modes use the subscription's prefetch; `auto`
 * uses a window of `autoAckWindow` deliveries, each acknowledged once its MESSAGE frame was
 * flushed to the socket — so a client that stops reading holds at most that many messages and a
 * disconnect returns the unwritten ones to the queue.
 */
import type { Queue } from '../../src/core/broker.js';
import type { QueueConsumer, QueueDelivery } from '../../src/core/queue/types.js';
import { toMessageFrame } from './message-mapping.js';
import { StompSubscription, type SubscriptionInit } from './subscription.js';

export interface QueueSubscriptionInit extends SubscriptionInit {
  /** Resolves the queue when the subscription starts (creating it if needed). */
  openQueue: () => Promise<Queue>;
  /** Value of the MESSAGE `destination` header. */
  destinationHeader: string;
}

export class QueueSubscription extends StompSubscription {
  private consumer: QueueConsumer | undefined;
  private readonly openQueue: () => Promise<Queue>;
  private readonly destinationHeader: string;

  constructor(init: QueueSubscriptionInit) {
    super(init);
    this.openQueue = init.openQueue;
    this.destinationHeader = init.destinationHeader;
  }

  async start(): Promise<void> {
    const queue = await this.openQueue();
    if (this.isClosed) return;
    const prefetch = this.ackMode === 'auto' ? this.host.options.autoAckWindow : this.prefetch;
    this.consumer = queue.addConsumer({
      prefetch,
      autoAck: false,
      tag: this.id,
      onMessage: (d) => this.deliver(d),
      onClosed: (reason) => {
        this.isClosed = true;
        this.window.clear();
        this.host.subscriptionEnded(this, reason);
      },
    });
  }

  /** A durable topic subscription reports the concrete topic each message was published to. */
  private destinationOf(m: QueueDelivery['message']): string {
    const topic = m.properties.topic;
    return topic !== undefined && this.destinationHeader.startsWith('/topic/') ? `/topic/${topic}` : this.destinationHeader;
  }

  private deliver(d: QueueDelivery): void {
    const consumer = this.consumer;
    if (!consumer || this.isClosed) return;
    const ackId = this.track(d.id, () => consumer.ack(d.tag), (requeue) => consumer.nack(d.tag, { requeue }));
    const frame = toMessageFrame({
      subscription: this.id,
      messageId: d.id,
      destination: this.destinationOf(d.message),
      ...(ackId !== undefined ? { ack: ackId } : {}),
      redelivered: d.redelivered,
      message: d.message,
    }, this.host.version);
    if (this.ackMode !== 'auto') {
      this.host.writeFrame(frame);
      return;
    }
    this.host.writeFrame(frame, (err) => {
      // Not flushed (connection gone): closing the consumer returns it to the queue.
      if (err || consumer.closed) return;
      consumer.ack(d.tag).then(undefined, (e: unknown) => this.host.logger.error({ err: e, subscription: this.id, id: d.id }, 'auto-ack of a queue delivery failed'));
    });
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.window.clear();
    this.consumer?.close({ requeue: true });
  }
}
