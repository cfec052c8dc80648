/**
 * The control link of AMQP 1.0 local transactions: a client's sender whose target is a
 * coordinator (AMQP 1.0 part 4). Each message carries one control body in an amqp-value section:
 *
 * - `declare` → disposition `declared` with a new txn-id (settled);
 *   with a global-id (distributed transactions) → rejected amqp:not-implemented;
 *   over the session's open-transaction limit → rejected amqp:resource-limit-exceeded.
 * - `discharge` (fail=false: commit, fail=true: roll back) → `accepted` once committed (every
 *   send accepted by the core, every ack committed); an unknown txn-id → rejected
 *   amqp:transaction:unknown-id; a transaction whose work could not be staged → rolled back and
 *   rejected amqp:transaction:rollback.
 * - Anything else (another body, a malformed declare/discharge) → rejected amqp:decode-error.
 *   The link and the connection carry on.
 *
 * A control message sent settled cannot be answered: the link is closed with amqp:not-allowed.
 * If the link's source does not allow the rejected outcome, errors close the link with the error
 * instead (as the spec requires). Closing the link rolls back the transactions it declared.
 *
 * A discharge is handled on the next tick: rhea reports the client's dispositions of our
 * deliveries (transactional acks) on its next tick, so a disposition that arrived just before the
 * discharge is staged before the discharge runs.
 */
import rhea, { type AmqpError, type Delivery, type EventContext, type Receiver } from 'rhea';
import { AmqpFailure, Condition, toAmqpError } from './errors.js';
import { ReceiverCredit } from './receiver-credit.js';
import type { LinkContext, ReceivingLink } from './link-context.js';
import { answerDelivery } from './rhea-internals.js';
import type { Controller } from './transaction-registry.js';
import {
  acceptedState, declaredState, readControlBody, rejectedState, TransactionDecodeError, txnIdText, type ControlBody,
} from './transaction-types.js';

export class CoordinatorLink implements ReceivingLink, Controller {
  private stopped = false;

  private readonly creditWindow: ReceiverCredit;

  constructor(
    readonly receiver: Receiver,
    private readonly ctx: LinkContext,
    /** The link's source allows the rejected outcome (else errors detach the link). */
    private readonly canReject: boolean,
  ) {
    this.creditWindow = new ReceiverCredit(receiver, ctx.limits.incomingWindow);
  }

  start(): void {
    this.topUp();
  }

  private topUp(): void {
    if (!this.stopped) this.creditWindow.topUp();
  }

  onMessage(context: EventContext): void {
    const raw = this.ctx.takePayload();
    const delivery = context.delivery;
    if (!delivery || this.stopped) return; // after we closed the link: nothing more is declared on it
    this.creditWindow.received();
    if (delivery.remote_settled) {
      this.fail({ condition: Condition.notAllowed, description: 'declare and discharge messages must be sent unsettled' });
      return;
    }
    let body: ControlBody;
    try {
      body = readControlBody(raw ?? rhea.message.encode(context.message ?? {}));
    } catch (err) {
      if (!(err instanceof TransactionDecodeError)) throw err;
      this.refuse(delivery, new AmqpFailure(Condition.decodeError, err.message));
      return;
    }
    if (body.kind === 'declare') {
      this.declare(delivery, body.globalId);
      return;
    }
    const { txnId, fail } = body;
    process.nextTick(() => {
      this.ctx.transactions.discharge(txnId, fail).then(
        () => this.settle(delivery, acceptedState()),
        (err: unknown) => this.refuse(delivery, err),
      );
    });
  }

  private declare(delivery: Delivery, globalId: boolean): void {
    if (globalId) {
      this.refuse(delivery, new AmqpFailure(Condition.notImplemented, 'distributed transactions (declare with a global-id) are not supported; only local transactions'));
      return;
    }
    let txnId: Buffer;
    try {
      txnId = this.ctx.transactions.declare(this).id;
    } catch (err) {
      this.refuse(delivery, err);
      return;
    }
    this.ctx.logger.debug({ link: this.receiver.name, txn: txnIdText(txnId) }, 'AMQP 1.0: declared');
    this.settle(delivery, declaredState(txnId));
  }

  private settle(delivery: Delivery, state: unknown): void {
    this.creditWindow.answered();
    if (this.stopped || this.receiver.is_closed()) return;
    answerDelivery(delivery, state);
    this.topUp();
  }

  private refuse(delivery: Delivery, err: unknown): void {
    const error = toAmqpError(err);
    const level = error.condition === Condition.internalError ? 'error' : 'info';
    this.ctx.logger[level]({ err, link: this.receiver.name, condition: error.condition, description: error.description }, 'AMQP 1.0: coordinator refused a control message');
    if (this.canReject) this.settle(delivery, rejectedState(error));
    else this.fail(error);
  }

  /** Close the control link with an error; its transactions roll back. */
  fail(error: AmqpError): void {
    if (!this.receiver.is_closed()) this.receiver.close(error);
    this.detached();
  }

  detached(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.ctx.transactions.rollbackOf(this);
  }
}
