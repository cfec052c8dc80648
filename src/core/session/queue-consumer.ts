/**
 * A session consumer fed by a core queue's push consumer: plain queues, the session's temporary
 * queues and durable topic subscriptions (whose queue a topic feeds). Competing consumers: each
 * message goes to one consumer of the queue.
 *
 * Prefetch and credit are enforced by the core queue consumer itself (it never dispatches past
 * them); the session only holds deliveries that arrive while the consumer or session is paused.
 * Those are unacknowledged in the core, so closing returns them to the queue with the rest.
 */
import type { Queue } from '../queue/queue.js';
import type { QueueConsumer, QueueDelivery } from '../queue/types.js';
import type { Address } from '../names.js';
import { ConsumerBase, type ConsumerHost } from './consumer-base.js';
import type { ConsumerCallback, ConsumerSpec, NackOutcome } from './types.js';

export class QueueSessionConsumer extends ConsumerBase<number> {
  private core: QueueConsumer | undefined;
  private readonly topicPattern: string | undefined;

  constructor(id: string, spec: ConsumerSpec, host: ConsumerHost, callback: ConsumerCallback) {
    super(id, spec, host, callback);
    this.topicPattern = spec.source.kind === 'topic' ? spec.source.pattern : undefined;
  }

  /** Start consuming `queue` (called once, after the session resolved it). */
  attach(queue: Queue): void {
    if (this.isClosed) return;
    const dispatchSettled = this.ackMode === 'auto' && this.autoSettle === 'dispatch';
    this.core = queue.addConsumer({
      prefetch: this.prefetchLimit,
      ...(this.creditLeft !== undefined ? { credit: this.creditLeft } : {}),
      autoAck: dispatchSettled,
      ...(this.tag !== undefined ? { tag: this.tag } : {}),
      onMessage: (d) => this.onMessage(queue.name, d),
      onClosed: (reason) => this.ended(reason),
    });
  }

  protected override get enforcesFlow(): boolean {
    return false;
  }

  override get credit(): number | undefined {
    return this.core ? this.core.credit : this.creditLeft;
  }

  private onMessage(queue: string, d: QueueDelivery): void {
    if (this.isClosed) return;
    this.accept({
      item: d.tag,
      messageId: d.id,
      message: d.message,
      redelivered: d.redelivered,
      receiveCount: d.receiveCount,
      destination: this.destinationOf(queue, d),
    });
  }

  /** A durable topic subscription reports the concrete topic each message was published to. */
  private destinationOf(queue: string, d: QueueDelivery): Address {
    if (this.topicPattern === undefined) return { kind: 'queue', name: queue };
    return { kind: 'topic', name: d.message.properties.topic ?? this.topicPattern };
  }

  protected settleAck(tag: number): Promise<void> {
    const core = this.core;
    if (!core || core.closed) return Promise.resolve();
    return core.ack(tag);
  }

  protected settleNack(tag: number, opts: NackOutcome): void {
    const core = this.core;
    if (!core || core.closed) return;
    core.nack(tag, { requeue: opts.requeue ?? true, ...(opts.countDelivery === false ? { countDelivery: false } : {}) });
  }

  override addCredit(n: number): void {
    if (!this.core) {
      super.addCredit(n);
      return;
    }
    this.core.addCredit(n);
    this.pump();
  }

  override setCredit(n: number): void {
    if (!this.core) {
      super.setCredit(n);
      return;
    }
    this.core.setCredit(n);
    this.pump();
  }

  override drain(): number {
    if (!this.core) return super.drain();
    this.pump();
    return this.core.drain();
  }

  protected detach(): void {
    this.core?.close({ requeue: true });
  }
}
