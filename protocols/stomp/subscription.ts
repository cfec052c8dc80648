/**
 * One STOMP subscription: a thin adapter from a session consumer (src/core/session) to MESSAGE
 * frames. The session does the work (authorization, flow control, durable subscriptions, temp
 * queues, settling); this keeps the STOMP view: the subscription id, the ack mode, and how a
 * delivery becomes a MESSAGE frame.
 *
 * Ack modes (STOMP 1.2) → session ack modes:
 * - `auto` → `auto`: the client never acknowledges. Queue deliveries (`/queue/`, `/temp-queue/`,
 *   durable topic subscriptions) are settled once the MESSAGE frame has been flushed to the
 *   socket, with at most `autoAckWindow` unflushed (so a slow reader bounds what is buffered, and
 *   a disconnect returns the unwritten ones to the queue).
 * - `client` → `client`: cumulative; ACK (or NACK) of one delivery covers every earlier delivery
 *   of the same subscription still pending.
 * - `client-individual` → `individual`: one delivery per ACK/NACK.
 * In the client modes at most `prefetch` deliveries are pending per subscription. The MESSAGE
 * `ack` header is the session's delivery id (unique per connection).
 */
import type { Logger } from '../../src/log.js';
import type { ConsumerSource, Delivery, SessionConsumer } from '../../src/core/session/types.js';
import type { StompFrame, StompVersion } from './frame.js';
import { toMessageFrame, type OutboundDelivery } from './message-mapping.js';

export type AckMode = 'auto' | 'client' | 'client-individual';

export const ACK_MODES: readonly AckMode[] = ['auto', 'client', 'client-individual'];

/** What a subscription needs from its connection. */
export interface SubscriptionHost {
  readonly version: StompVersion;
  readonly logger: Logger;
  /** Write a frame; `flushed` runs once it reached the OS (err set if the connection went away). */
  writeFrame(frame: StompFrame, flushed?: (err?: Error | null) => void): void;
  /** The core ended the subscription (queue deleted, broker closing). */
  subscriptionEnded(sub: StompSubscription, reason: string): void;
}

export interface SubscriptionInit {
  id: string;
  ackMode: AckMode;
  /** Window for the client ack modes; Infinity = unlimited. */
  prefetch: number;
  source: ConsumerSource;
  host: SubscriptionHost;
}

export class StompSubscription {
  readonly id: string;
  readonly ackMode: AckMode;
  readonly prefetch: number;
  readonly source: ConsumerSource;
  private readonly host: SubscriptionHost;
  private consumer: SessionConsumer | undefined;
  private readonly settleWhenWritten: boolean;
  private isClosed = false;

  constructor(init: SubscriptionInit) {
    this.id = init.id;
    this.ackMode = init.ackMode;
    this.prefetch = init.prefetch;
    this.source = init.source;
    this.host = init.host;
    const queueBacked = init.source.kind === 'queue' || init.source.kind === 'temp-queue' || (init.source.kind === 'topic' && init.source.durable !== undefined);
    this.settleWhenWritten = init.ackMode === 'auto' && queueBacked;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get cumulative(): boolean {
    return this.ackMode === 'client';
  }

  /** The session consumer is attached (createConsumer resolved). */
  attached(consumer: SessionConsumer): void {
    this.consumer = consumer;
    if (this.isClosed) consumer.close();
  }

  /** Is `ackId` a pending delivery of this subscription (client ack modes only)? */
  has(ackId: string): boolean {
    const c = this.consumer;
    return c !== undefined && this.ackMode !== 'auto' && c.has(Number(ackId));
  }

  /** The ack id of the oldest pending delivery of broker message `messageId` (STOMP 1.0/1.1 ACK). */
  findByMessageId(messageId: string): string | undefined {
    const c = this.consumer;
    if (c === undefined || this.ackMode === 'auto') return undefined;
    const id = c.findByMessageId(messageId);
    return id === undefined ? undefined : String(id);
  }

  /** The session consumer, once a delivery or the attach made it known. */
  get sessionConsumer(): SessionConsumer | undefined {
    return this.consumer;
  }

  /** ACK: settle the delivery (cumulatively in `client` mode). Resolves after the core committed. */
  ack(ackId: string): Promise<void> {
    if (!this.consumer) return Promise.resolve();
    return this.consumer.ack(Number(ackId), this.cumulative ? { cumulative: true } : {});
  }

  /** NACK: hand the delivery back (requeue: redelivered later; else dead-letter or drop). */
  nack(ackId: string, requeue: boolean): void {
    this.consumer?.nack(Number(ackId), { requeue, ...(this.cumulative ? { cumulative: true } : {}) });
  }

  /** The session's callback: a delivery becomes a MESSAGE frame. */
  deliver(d: Delivery): void {
    this.consumer ??= d.consumer;
    if (this.isClosed) return;
    const out: OutboundDelivery = { subscription: this.id, messageId: d.messageId, destination: this.destinationOf(d), redelivered: d.redelivered, message: d.message };
    if (this.ackMode !== 'auto') out.ack = String(d.id);
    if (d.streamOffset !== undefined) out.extra = [['x-stream-offset', d.streamOffset]];
    const frame = toMessageFrame(out, this.host.version);
    if (!this.settleWhenWritten) {
      this.host.writeFrame(frame);
      return;
    }
    const consumer = d.consumer;
    this.host.writeFrame(frame, (err) => {
      // Not flushed (connection gone): closing the consumer returns it to the queue.
      if (err || consumer.closed) return;
      consumer.ack(d.id).then(undefined, (e: unknown) => this.host.logger.error({ err: e, subscription: this.id, id: d.messageId }, 'auto-ack of a queue delivery failed'));
    });
  }

  ended(reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.host.subscriptionEnded(this, reason);
  }

  private destinationOf(d: Delivery): string {
    if (this.source.kind === 'temp-queue') return `/temp-queue/${this.source.name}`;
    return `/${d.destination.kind}/${d.destination.name}`;
  }

  /** Detach; unacknowledged queue deliveries go back to their queue (redelivered). */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.consumer?.close();
  }
}
