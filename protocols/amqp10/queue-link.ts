/**
 * Sending from a core queue (plain queue, durable topic subscription queue, or temporary queue)
 * through a credit-mode push consumer: the core never delivers past the link credit.
 *
 * Outcomes → core: accepted (or settled without an outcome) → ack; released → nack requeue
 * without counting the delivery; modified with delivery-failed or undeliverable-here → nack
 * requeue counting the delivery (undeliverable-here is not honoured per link: the message may
 * come back to the same link); modified without either flag → as released; rejected → nack
 * requeue:false (dead-letter queue if configured, else dropped).
 * Unsettled deliveries go back to the queue (redelivered) when the link or connection closes.
 */
import type { Delivery, Sender } from 'rhea';
import type { Queue } from '../../src/core/broker.js';
import type { NackOptions, QueueConsumer, QueueDelivery } from '../../src/core/queue/types.js';
import type { LinkContext } from './link-context.js';
import { toAmqp } from './message-out.js';
import { OutgoingLink, type Outcome } from './outgoing-link.js';

export interface QueueLinkOptions {
  /** Called when the link is released; `terminusClosed` = the client closed (not just detached) the link. */
  onRelease?(terminusClosed: boolean): void;
}

export class QueueLink extends OutgoingLink {
  private consumer: QueueConsumer | undefined;
  private readonly tags = new WeakMap<Delivery, number>();

  constructor(sender: Sender, ctx: LinkContext, presettled: boolean, address: string, private readonly opts: QueueLinkOptions = {}) {
    super(sender, ctx, presettled, address);
  }

  /** Start consuming once the queue exists (the attach has already been answered). */
  async start(queue: Promise<Queue>): Promise<void> {
    let q: Queue;
    try {
      q = await queue;
    } catch (err) {
      this.ctx.logger.info({ err, link: this.sender.name, address: this.address }, 'AMQP 1.0: receiver attach failed');
      this.fail(err);
      return;
    }
    if (this.stopped) return;
    this.consumer = q.addConsumer({
      credit: this.pumpable,
      prefetch: this.ctx.limits.prefetch,
      autoAck: this.presettled,
      tag: this.sender.name,
      onMessage: (d) => this.onMessage(d),
      onClosed: (reason) => this.fail({ condition: 'amqp:resource-deleted', description: reason }),
    });
  }

  private onMessage(d: QueueDelivery): void {
    const delivery = this.transfer(toAmqp(d.message, { now: Date.now(), receiveCount: d.receiveCount, to: this.address }));
    if (this.pumpable === 0) this.consumer?.setCredit(0); // socket backed up: stop until it drains
    if (this.presettled) return;
    if (delivery) this.tags.set(delivery, d.tag);
    else this.nack(d.tag, { requeue: true, countDelivery: false });
  }

  protected creditChanged(): void {
    this.consumer?.setCredit(this.pumpable);
  }

  protected deliverForDrain(): void {
    this.consumer?.drain();
  }

  protected settleOutcome(outcome: Outcome, delivery: Delivery): void {
    const tag = this.tags.get(delivery);
    const consumer = this.consumer;
    if (tag === undefined || !consumer) {
      this.settleLocally(delivery);
      return;
    }
    this.tags.delete(delivery);
    switch (outcome) {
      case 'accepted':
      case 'settled':
        consumer.ack(tag).then(
          () => this.settleLocally(delivery),
          (err: unknown) => this.ctx.logger.debug({ err, tag, link: this.sender.name }, 'AMQP 1.0: ack failed'),
        );
        return;
      case 'released':
        this.nack(tag, { requeue: true, countDelivery: false });
        break;
      case 'modified': {
        const state = delivery.remote_state as { delivery_failed?: boolean; undeliverable_here?: boolean } | undefined;
        const failed = state?.delivery_failed === true || state?.undeliverable_here === true;
        this.nack(tag, failed ? { requeue: true } : { requeue: true, countDelivery: false });
        break;
      }
      case 'rejected':
        this.nack(tag, { requeue: false });
        break;
    }
    this.settleLocally(delivery);
  }

  private nack(tag: number, opts: NackOptions): void {
    try {
      this.consumer?.nack(tag, opts);
    } catch (err) {
      this.ctx.logger.debug({ err, tag, link: this.sender.name }, 'AMQP 1.0: nack failed');
    }
  }

  protected release(terminusClosed: boolean): void {
    this.consumer?.close({ requeue: true });
    this.consumer = undefined;
    this.opts.onRelease?.(terminusClosed);
  }
}
