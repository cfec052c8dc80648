/**
 * A link on which the broker sends (the client's receiver): the AMQP 1.0 link state machine over
 * one session consumer (src/core/session), whatever the source is: a queue, the connection's
 * temporary queue (dynamic source), a live or durable topic subscription, or a stream.
 *
 * Credit: the client's flow frames give an absolute limit (delivery-count + link-credit). We
 * count every transfer we hand to rhea (`sent`), so `limit - sent` is what may still be sent;
 * the consumer runs in credit mode with exactly that (setCredit), so nothing is ever handed to
 * rhea beyond it. Drain → consumer.drain() (deliver what is available now), then advance to the
 * limit and report drained.
 * Settlement: pre-settled links consume with ack 'auto' settled at dispatch; otherwise
 * 'individual', and the client's outcomes map to the consumer: accepted (or settled without an
 * outcome) → ack; released → release (not counted); modified → nack requeue, counting the
 * delivery only with delivery-failed or undeliverable-here (undeliverable-here is not honoured
 * per link: the message may come back to the same link); rejected → nack requeue:false
 * (dead-letter queue if configured, else dropped). Live topic and stream deliveries have nothing
 * to redeliver: their outcomes only free the window.
 * Back-pressure: after each transfer the connection is asked whether the socket is backed up;
 * if so it pauses the whole session until it drains (ServerSession.pause/resume), and queue
 * consumers' core credit drops to 0 meanwhile (socketBackedUp), so messages stay in the queue.
 * Unsettled queue deliveries go back to the queue (redelivered) when the link or connection closes.
 *
 * Transactional retirement (AMQP 1.0 part 4): an outcome the client sends in a
 * transactional-state is staged in that transaction (the same ack/release/nack, applied at
 * commit). After a commit, a delivery the client left unsettled is settled with the outcome.
 * After a rollback the outcome was never applied: a delivery the client already settled can no
 * longer be settled, so it goes back to its queue (redelivered, counted: the default outcome of
 * a settled delivery); one it left unsettled stays unsettled, for the client to settle again.
 * A non-transactional outcome replaces a provisional one. An outcome in a second open
 * transaction while the first is not discharged closes the second one's control link with
 * amqp:transaction:rollback; an unknown transaction closes this link with
 * amqp:transaction:unknown-id. Transactional acquisition (a txn-id in the client's flow) is not
 * supported: the link is closed with amqp:not-implemented, as the spec requires.
 */
import type { AmqpError, Delivery, Sender } from 'rhea';
import type { StagedOperation } from '../../src/core/session/transaction.js';
import type { ConsumerSpec, Delivery as SessionDelivery, SessionConsumer } from '../../src/core/session/types.js';
import { Condition, toAmqpError } from './errors.js';
import type { LinkContext } from './link-context.js';
import { toAmqp } from './message-out.js';
import { dispositionTransaction, flowRequestsAcquisition, senderFlowState } from './rhea-internals.js';
import type { AmqpTransaction } from './transaction-registry.js';
import { txnIdText } from './transaction-types.js';

export type Outcome = 'accepted' | 'released' | 'rejected' | 'modified' | 'settled';

export interface OutgoingLinkOptions {
  /** properties.to of sent messages: the address the link is attached to. */
  address: string;
  /** Pre-settled (at-most-once) transfers. */
  presettled: boolean;
  /** Called once the link is released; `terminusClosed` = the client closed (not just detached) the link. */
  onRelease?(terminusClosed: boolean): void;
}

/** rhea's decoded outcome (a composite) as the typed value a frame field needs, or undefined. */
function describedOutcome(state: unknown): unknown {
  return typeof state === 'object' && state !== null && typeof (state as { described?: unknown }).described === 'function'
    ? (state as { described(): unknown }).described()
    : undefined;
}

/** A transactional outcome of one delivery, waiting for its transaction's discharge. */
interface ProvisionalOutcome {
  readonly tx: AmqpTransaction;
  /** The client settled the delivery (it can no longer change its state). */
  clientSettled: boolean;
  /** A later non-transactional outcome took its place. */
  superseded: boolean;
}

export class OutgoingLink {
  private limit = 0;
  private sent = 0;
  private stopped = false;
  private consumer: SessionConsumer | undefined;
  private readonly ids = new WeakMap<Delivery, number>();
  /** Deliveries the client gave a transactional outcome and has not settled. */
  private readonly provisional = new Map<Delivery, ProvisionalOutcome>();
  /** Queue-backed consumers take credit when the core dispatches (before a session pause holds it). */
  private queueBacked = false;
  private readonly address: string;
  private readonly presettled: boolean;

  constructor(readonly sender: Sender, private readonly ctx: LinkContext, private readonly opts: OutgoingLinkOptions) {
    this.address = opts.address;
    this.presettled = opts.presettled;
  }

  /** Transfers that may be handed to rhea now. */
  get available(): number {
    return Math.max(0, this.limit - this.sent);
  }

  /** The consumer spec for `source` in this link's settle mode (credit mode from the start). */
  spec(source: ConsumerSpec['source']): ConsumerSpec {
    this.queueBacked = source.kind === 'queue' || source.kind === 'temp-queue' || (source.kind === 'topic' && source.durable !== undefined);
    return {
      source,
      ack: this.presettled ? 'auto' : 'individual',
      ...(this.presettled ? { autoSettle: 'dispatch' as const } : {}),
      prefetch: this.queueBacked ? this.ctx.limits.prefetch : Infinity,
      credit: this.available,
      tag: this.sender.name,
    };
  }

  /** Consume once the attach has been answered; a failure detaches the link with an error. */
  async start(source: ConsumerSpec['source']): Promise<void> {
    if (this.stopped) return;
    let consumer: SessionConsumer;
    try {
      consumer = await this.ctx.session.createConsumer(this.spec(source), {
        deliver: (d) => this.deliver(d),
        ended: (reason) => this.fail({ condition: 'amqp:resource-deleted', description: reason }),
      });
    } catch (err) {
      this.ctx.logger.info({ err, link: this.sender.name, address: this.address }, 'AMQP 1.0: receiver attach failed');
      this.fail(err);
      return;
    }
    this.consumer = consumer;
    if (this.stopped) {
      consumer.close();
      return;
    }
    this.creditChanged();
  }

  private deliver(d: SessionDelivery): void {
    const consumer = d.consumer;
    const annotations = d.streamOffset !== undefined ? { annotations: { 'x-stream-offset': Number(d.streamOffset) } } : {};
    const receiveCount = this.queueBacked ? { receiveCount: d.receiveCount } : {};
    const delivery = this.transfer(toAmqp(d.message, { now: Date.now(), to: this.address, ...receiveCount, ...annotations }));
    this.ctx.congested(); // socket backed up? then the connection pauses the session until it drains
    if (this.presettled) return;
    if (delivery) this.ids.set(delivery, d.id);
    else consumer.release(d.id);
  }

  /** Hand one encoded message to rhea; undefined if the link cannot take it. */
  private transfer(payload: Buffer): Delivery | undefined {
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

  /**
   * Give the consumer the link's remaining credit. A queue-backed consumer's credit is taken when
   * the core dispatches, also for deliveries a session pause holds: while paused it is left alone
   * and set again when the socket drains (after the held deliveries went out).
   */
  private creditChanged(): void {
    const consumer = this.consumer;
    if (this.stopped || !consumer || consumer.closed) return;
    if (this.queueBacked && this.ctx.session.paused) return;
    consumer.setCredit(this.available);
  }

  /**
   * The socket is backed up and the session paused. A queue's core consumer would go on
   * dispatching (into the session's held deliveries) up to the credit: stop it at once.
   */
  socketBackedUp(): void {
    const consumer = this.consumer;
    if (this.queueBacked && consumer && !consumer.closed) consumer.setCredit(0);
  }

  /** The connection's backlog cleared (the session was resumed): hand out the credit again. */
  drained(): void {
    this.creditChanged();
  }

  onFlow(): void {
    if (flowRequestsAcquisition(this.sender)) {
      this.fail({ condition: Condition.notImplemented, description: 'transactional acquisition (a txn-id in flow properties) is not supported; settle deliveries with a transactional-state instead' });
      return;
    }
    const s = senderFlowState(this.sender);
    this.limit = s.credit + s.deliveryCount;
    this.creditChanged();
  }

  onDrain(): void {
    const consumer = this.consumer;
    if (!this.stopped && consumer && !consumer.closed) {
      if (this.queueBacked && this.ctx.session.paused) consumer.setCredit(0);
      else consumer.drain();
    }
    this.sent = Math.max(this.sent, this.limit);
    this.sender.set_drained(true);
  }

  /** A disposition from the client (or its settlement without an outcome). */
  onOutcome(outcome: Outcome, delivery: Delivery): void {
    const id = this.ids.get(delivery);
    const consumer = this.consumer;
    if (id === undefined || !consumer) {
      this.settleLocally(delivery);
      return;
    }
    const txnId = dispositionTransaction(delivery);
    if (txnId !== undefined) {
      this.retire(outcome, delivery, id, consumer, txnId);
      return;
    }
    const provisional = this.provisional.get(delivery);
    if (provisional) {
      provisional.superseded = true;
      this.provisional.delete(delivery);
    }
    this.ids.delete(delivery);
    switch (outcome) {
      case 'accepted':
      case 'settled':
        consumer.ack(id).then(
          () => this.settleLocally(delivery),
          (err: unknown) => this.ctx.logger.debug({ err, id, link: this.sender.name }, 'AMQP 1.0: ack failed'),
        );
        return;
      case 'released':
        consumer.release(id);
        break;
      case 'modified': {
        const state = delivery.remote_state as { delivery_failed?: boolean; undeliverable_here?: boolean } | undefined;
        const failed = state?.delivery_failed === true || state?.undeliverable_here === true;
        consumer.nack(id, { requeue: true, countDelivery: failed });
        break;
      }
      case 'rejected':
        consumer.nack(id, { requeue: false });
        break;
    }
    this.settleLocally(delivery);
  }

  /** The session operation an outcome stands for. */
  private static staged(outcome: Outcome, delivery: Delivery, consumer: SessionConsumer, deliveryId: number): StagedOperation {
    switch (outcome) {
      case 'accepted':
      case 'settled':
        return { kind: 'ack', consumer, deliveryId };
      case 'released':
        return { kind: 'nack', consumer, deliveryId, outcome: { requeue: true, countDelivery: false } };
      case 'modified': {
        const state = delivery.remote_state as { delivery_failed?: boolean; undeliverable_here?: boolean } | undefined;
        return { kind: 'nack', consumer, deliveryId, outcome: { requeue: true, countDelivery: state?.delivery_failed === true || state?.undeliverable_here === true } };
      }
      case 'rejected':
        return { kind: 'nack', consumer, deliveryId, outcome: { requeue: false } };
    }
  }

  /** A transactional outcome (or settlement) of one of our deliveries. */
  private retire(outcome: Outcome, delivery: Delivery, id: number, consumer: SessionConsumer, txnId: Buffer): void {
    const tx = this.ctx.transactions.get(txnId);
    if (!tx) {
      this.fail({ condition: Condition.transactionUnknownId, description: `outcome in unknown transaction ${txnIdText(txnId)}` });
      return;
    }
    const earlier = this.provisional.get(delivery);
    if (earlier && earlier.tx !== tx) {
      tx.controller.fail({ condition: Condition.transactionRollback, description: `a delivery already has an outcome in transaction ${earlier.tx.label}, which is not discharged` });
      return;
    }
    if (earlier) {
      // The same transaction again: the client settles the delivery (a second outcome is not staged: the first one applies).
      if (delivery.remote_settled) this.clientSettled(delivery, earlier);
      return;
    }
    const p: ProvisionalOutcome = { tx, clientSettled: false, superseded: false };
    try {
      this.ctx.transactions.stage(tx, OutgoingLink.staged(outcome, delivery, consumer, id));
    } catch {
      // A session limit: the registry logged it and made the transaction rollback-only; the retirement below reverts at discharge.
    }
    this.ctx.transactions.retire(tx, {
      committed: () => {
        if (p.superseded) return;
        this.provisional.delete(delivery);
        if (this.ids.get(delivery) === id) {
          this.ids.delete(delivery);
          this.settleLocally(delivery, describedOutcome(delivery.remote_state));
        }
      },
      rolledBack: () => {
        if (p.superseded) return;
        this.provisional.delete(delivery);
        if (p.clientSettled) this.consumer?.nack(id, { requeue: true });
      },
    });
    if (delivery.remote_settled) this.clientSettled(delivery, p);
    else this.provisional.set(delivery, p);
  }

  private clientSettled(delivery: Delivery, p: ProvisionalOutcome): void {
    p.clientSettled = true;
    this.provisional.delete(delivery);
    this.ids.delete(delivery);
    this.settleLocally(delivery);
  }

  /** Settle our side when the client left the delivery unsettled (receiver settle mode second). */
  private settleLocally(delivery: Delivery, state?: unknown): void {
    if (!delivery.remote_settled && !delivery.settled && !this.sender.is_closed()) delivery.update(true, state as never);
  }

  /** The client detached (closed: true = the terminus is destroyed) or the connection went away (closed: false). */
  detached(closed: boolean): void {
    if (this.stopped) return;
    this.stopped = true;
    this.provisional.clear();
    this.consumer?.close();
    this.consumer = undefined;
    this.opts.onRelease?.(closed);
  }

  /** Close the link with an error and release its resources. */
  fail(error: AmqpError | unknown): void {
    const e = error && typeof error === 'object' && 'condition' in error ? (error as AmqpError) : toAmqpError(error);
    if (!this.sender.is_closed()) this.sender.close(e);
    this.detached(false);
  }
}
