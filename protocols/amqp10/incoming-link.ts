/**
 * A link on which the broker receives (the client's sender). Every message is handed to
 * the connection's session (session.send), and its delivery is settled only when that resolves: `accepted` after the store
 * has committed it (persistent message, durable destination), `rejected` with an AMQP error
 * condition when the core refuses it. Credit is a window: a message in progress holds its
 * credit until it is settled, so a slow store slows the producer instead of growing memory.
 *
 * A link without a target address is an anonymous relay (ANONYMOUS-RELAY, used by Qpid JMS):
 * each message is routed by its `to` property and authorised per address (by the session).
 *
 * Transactional posting (AMQP 1.0 part 4): a transfer whose state is a transactional-state is
 * staged in that transaction (decoded, addressed and authorised now, handed to the core at
 * commit) and settled at once with transactional-state(txn-id, accepted); a transaction unknown
 * here → rejected amqp:transaction:unknown-id; a session limit → transactional-state(txn-id,
 * rejected amqp:resource-limit-exceeded), and the transaction can then only roll back.
 */
import type { Delivery, EventContext, Receiver } from 'rhea';
import type { Address } from '../../src/core/names.js';
import type { SendRequest } from '../../src/core/session/send-request.js';
import { parseAddress } from './address.js';
import { AmqpFailure, Condition, toAmqpError } from './errors.js';
import { ReceiverCredit } from './receiver-credit.js';
import type { LinkContext, ReceivingLink } from './link-context.js';
import { fromAmqp } from './message-in.js';
import { answerDelivery, transferTransaction } from './rhea-internals.js';
import { transactionalOutcome, type TransactionalState } from './transaction-types.js';

export class IncomingLink implements ReceivingLink {
  private stopped = false;
  /** Anonymous relay: authorisation results per `to` address. */
  private readonly relayCache = new Map<string, Address | AmqpFailure>();

  private readonly creditWindow: ReceiverCredit;

  constructor(
    readonly receiver: Receiver,
    private readonly ctx: LinkContext,
    /** Fixed target; undefined = anonymous relay. */
    private readonly target: Address | undefined,
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
    const m = context.message;
    if (!delivery || !m) return;
    this.creditWindow.received();
    let address: Address;
    let inbound: ReturnType<typeof fromAmqp>;
    try {
      inbound = fromAmqp(m, raw, { userId: this.ctx.session.principal.name, now: Date.now() });
      address = this.target ?? this.relay(inbound.to);
    } catch (err) {
      this.done(delivery, err);
      return;
    }
    const message = inbound.message;
    if (address.kind === 'stream') message.partitionKey ??= message.groupId ?? this.ctx.remoteContainerId;
    const request: SendRequest = { address, message, ...(address.kind === 'queue' && inbound.delayMs !== undefined ? { delayMs: inbound.delayMs } : {}) };
    const txState = transferTransaction(this.receiver);
    if (txState) {
      this.post(delivery, txState, request);
      return;
    }
    let sent: Promise<unknown>;
    try {
      sent = this.ctx.session.send(request);
    } catch (err) {
      this.done(delivery, err);
      return;
    }
    sent.then(
      () => this.done(delivery, undefined),
      (err: unknown) => this.done(delivery, err),
    );
  }

  /** Transactional posting: stage the send in the transaction and answer with its provisional outcome. */
  private post(delivery: Delivery, txState: TransactionalState, request: SendRequest): void {
    let state: unknown;
    try {
      const tx = this.ctx.transactions.require(txState.txnId);
      // The write permission was checked at attach (or per address, on a relay link); the session checks it again at commit.
      if (request.address.kind !== 'temp-queue') this.ctx.session.authorize('write', request.address);
      try {
        this.ctx.transactions.stage(tx, { kind: 'send', request }, request.message.body.length);
        state = transactionalOutcome(txState.txnId);
      } catch (err) {
        state = transactionalOutcome(txState.txnId, toAmqpError(err));
      }
    } catch (err) {
      this.done(delivery, err);
      return;
    }
    this.creditWindow.answered();
    answerDelivery(delivery, state);
    this.topUp();
  }

  private relay(to: string | undefined): Address {
    if (to === undefined || to === '') throw new AmqpFailure(Condition.notFound, 'message on an anonymous-relay link has no "to" address');
    let r = this.relayCache.get(to);
    if (!r) {
      try {
        const a = parseAddress(to, { lookup: (n) => this.ctx.broker.lookup(n) });
        r = this.ctx.session.may('write', a)
          ? a
          : new AmqpFailure(Condition.unauthorizedAccess, `not authorized to write to ${a.kind} ${a.name}`);
      } catch (err) {
        r = new AmqpFailure(toAmqpError(err).condition ?? Condition.invalidField, err instanceof Error ? err.message : String(err));
      }
      if (this.relayCache.size > 1000) this.relayCache.clear();
      this.relayCache.set(to, r);
    }
    if (r instanceof AmqpFailure) throw r;
    return r;
  }

  private done(delivery: Delivery, err: unknown): void {
    this.creditWindow.answered();
    if (err === undefined) {
      delivery.accept();
    } else {
      const error = toAmqpError(err);
      const level = error.condition === Condition.internalError ? 'error' : 'debug';
      this.ctx.logger[level]({ err, link: this.receiver.name, condition: error.condition }, 'AMQP 1.0: message rejected');
      delivery.reject(error);
    }
    this.topUp();
  }

  detached(): void {
    this.stopped = true;
  }
}
