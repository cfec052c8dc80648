/**
 * A link on which the broker sends (the client's receiver): credit accounting shared by the
 * queue, topic and stream variants.
 *
 * Credit: the client's flow frames give an absolute limit (delivery-count + link-credit). We
 * count every transfer we hand to rhea (`sent`), so `limit - sent` is what may still be sent,
 * whether or not rhea has written the earlier transfers yet. Nothing is ever handed to rhea
 * beyond that, so rhea never buffers transfers waiting for credit.
 * Drain: deliver what is available now, then advance to the limit and report drained.
 */
import type { AmqpError, Delivery, Sender } from 'rhea';
import { toAmqpError } from './errors.js';
import type { LinkContext } from './link-context.js';
import { senderFlowState } from './rhea-internals.js';

export type Outcome = 'accepted' | 'released' | 'rejected' | 'modified' | 'settled';

export abstract class OutgoingLink {
  protected limit = 0;
  protected sent = 0;
  protected stopped = false;

  constructor(
    readonly sender: Sender,
    protected readonly ctx: LinkContext,
    /** Pre-settled (at-most-once) transfers. */
    protected readonly presettled: boolean,
    /** properties.to of sent messages: the address the link is attached to. */
    protected readonly address: string,
  ) {}

  /** Transfers that may be handed to rhea now. */
  get available(): number {
    return Math.max(0, this.limit - this.sent);
  }

  /** What may be pulled from the core now: the credit, unless the connection's socket is backed up. */
  protected get pumpable(): number {
    return this.ctx.congested() ? 0 : this.available;
  }

  /** The connection's backlog cleared: resume pulling. */
  drained(): void {
    if (!this.stopped) this.creditChanged();
  }

  onFlow(): void {
    const s = senderFlowState(this.sender);
    this.limit = s.credit + s.deliveryCount;
    if (!this.stopped) this.creditChanged();
  }

  onDrain(): void {
    if (!this.stopped) this.deliverForDrain();
    this.sent = Math.max(this.sent, this.limit);
    this.sender.set_drained(true);
  }

  /** Hand one encoded message to rhea; undefined if the link cannot take it. */
  protected transfer(payload: Buffer): Delivery | undefined {
    if (this.stopped || this.available <= 0) return undefined;
    try {
      const d = this.sender.send(payload, undefined, 0);
      this.sent += 1;
      this.ctx.queued(payload.length);
      return d;
    } catch (err) {
      // rhea's per-session delivery buffer is full (the client holds too many unsettled deliveries).
      this.ctx.logger.warn({ err, link: this.sender.name }, 'AMQP 1.0: cannot hand a transfer to rhea; closing the link');
      this.fail({ condition: 'amqp:resource-limit-exceeded', description: 'too many unsettled deliveries on this session' });
      return undefined;
    }
  }

  /** A disposition from the client (or its settlement without an outcome). */
  onOutcome(outcome: Outcome, delivery: Delivery): void {
    this.settleOutcome(outcome, delivery);
  }

  /** Settle our side when the client left the delivery unsettled (receiver settle mode second). */
  protected settleLocally(delivery: Delivery): void {
    if (!delivery.remote_settled && !delivery.settled && !this.sender.is_closed()) delivery.update(true);
  }

  /** The client detached (closed: true = the terminus is destroyed) or the connection went away (closed: false). */
  detached(closed: boolean): void {
    if (this.stopped) return;
    this.stopped = true;
    this.release(closed);
  }

  /** Close the link with an error and release its resources. */
  fail(error: AmqpError | unknown): void {
    const e = error && typeof error === 'object' && 'condition' in error ? (error as AmqpError) : toAmqpError(error);
    if (!this.sender.is_closed()) this.sender.close(e);
    this.detached(false);
  }

  protected abstract creditChanged(): void;
  protected abstract deliverForDrain(): void;
  protected abstract settleOutcome(outcome: Outcome, delivery: Delivery): void;
  /** Stop consuming; `terminusClosed` destroys what the link owned (durable subscription, temporary queue). */
  protected abstract release(terminusClosed: boolean): void;
}
