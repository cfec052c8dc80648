/**
 * ServerSession: the protocol-neutral session every front-end drives, one per client connection
 * (or per protocol session/channel). It owns
 * - the principal and EVERY authorization decision: sending needs 'write' on the destination,
 *   consuming 'read' on the queue, topic pattern or stream (a session's own temporary queues need
 *   none); a refusal is BrokerError FORBIDDEN naming the user, the permission and the destination;
 * - its consumers (one contract for queues, topics live and durable, streams; see types.ts) and
 *   their flow control, including pause()/resume() of the whole session while the front-end's
 *   socket is backed up;
 * - delivery ids (session-unique, increasing from 1);
 * - durable subscriptions of its client id (one active consumer each, broker-wide);
 * - its temporary queues; its local transactions;
 * - cleanup on close(): unsettled queue deliveries go back to their queues (redelivered), live
 *   subscriptions are dropped, durable subscriptions detached (they keep collecting), open
 *   transactions rolled back, temporary queues deleted.
 *
 * The front-end keeps only its codec and protocol state machine: it turns frames into calls on
 * the session and deliveries into frames.
 *
 * Parts: consumer creation per source kind and durable claims in session-consumers.ts, options and
 * limits in session-options.ts, exchange operations in exchange-operations.ts.
 */
import type { Broker, SendResult } from '../broker.js';
import { BrokerError } from '../errors.js';
import type { Address } from '../names.js';
import type { Queue } from '../queue/queue.js';
import type { AclAddress } from '../../security/acl.js';
import type { Principal, Permission } from '../../security/security-manager.js';
import type { Binding, ExchangeInfo, ExchangePublishResult, ExchangeSpec } from '../exchange/types.js';
import { silentLogger, type Logger } from '../../log.js';
import type { ConsumerHost } from './consumer-base.js';
import type { SendRequest } from './send-request.js';
import { ExchangeOperations, type ExchangePublishRequest } from './exchange-operations.js';
import { SessionConsumers } from './session-consumers.js';
import { DEFAULT_SESSION_LIMITS, type Authorizer, type SessionLimits, type SessionOptions } from './session-options.js';
import { TempQueues } from './temp-queues.js';
import { Transactions, type StagedOperation } from './transaction.js';
import type { ConsumerCallback, ConsumerSpec, SessionConsumer } from './types.js';

export { DEFAULT_SESSION_LIMITS, type Authorizer, type SessionLimits, type SessionOptions } from './session-options.js';

export function createSession(opts: SessionOptions): ServerSession {
  return new ServerSession(opts);
}

export class ServerSession implements ConsumerHost {
  readonly broker: Broker;
  readonly principal: Principal;
  readonly protocol: string;
  readonly connectionId: string;
  readonly clientId: string | undefined;
  readonly logger: Logger;
  readonly limits: SessionLimits;
  readonly tempQueues: TempQueues;
  private readonly security: Authorizer;
  private readonly ownedQueues = new Set<string>();
  private readonly tx: Transactions;
  private readonly exchangeOps: ExchangeOperations = new ExchangeOperations(this);
  private readonly consumers: SessionConsumers = new SessionConsumers(this, () => this.check());
  private deliveryCounter = 0;
  private isPaused = false;
  private isClosed = false;
  private closing: Promise<void> | undefined;

  constructor(opts: SessionOptions) {
    this.broker = opts.broker;
    this.security = opts.security;
    this.principal = opts.principal;
    this.protocol = opts.protocol;
    this.connectionId = opts.connectionId;
    this.clientId = opts.clientId;
    this.logger = (opts.logger ?? silentLogger).child({ component: 'session', protocol: opts.protocol });
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...opts.limits };
    this.tempQueues = new TempQueues(this.broker, this.logger);
    this.tx = new Transactions({
      maxTransactions: this.limits.maxTransactions,
      maxOperations: this.limits.maxTransactionOperations,
      maxBytes: this.limits.maxTransactionBytes,
    });
  }

  // ------------------------------------------------------------------ ConsumerHost

  get paused(): boolean {
    return this.isPaused;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  nextDeliveryId(): number {
    this.deliveryCounter += 1;
    return this.deliveryCounter;
  }

  /** The highest delivery id issued so far (0 before the first delivery). */
  get lastDeliveryId(): number {
    return this.deliveryCounter;
  }

  consumerClosed(consumer: SessionConsumer): void {
    this.consumers.closed(consumer);
  }

  // ------------------------------------------------------------------ authorization

  /** May this session's principal do `permission` on `address`? Own temporary queues: always; owned queues: read. */
  may(permission: Permission, address: AclAddress): boolean {
    if (address.kind === 'queue' && (this.tempQueues.owns(address.name) || (permission === 'read' && this.ownedQueues.has(address.name)))) return true;
    return this.security.authorize(this.principal, permission, address);
  }

  /**
   * A queue this session consumes on its client's behalf, fed by topic subscriptions whose
   * patterns the session already authorized for `read` (MQTT: a persistent session's queue, a
   * shared-subscription group's queue): consuming it needs no grant on the queue itself.
   * Sending to it still does.
   */
  ownQueue(name: string): void {
    this.ownedQueues.add(name);
  }

  /** Throws BrokerError FORBIDDEN naming the user, the permission and the destination. */
  authorize(permission: Permission, address: AclAddress): void {
    if (this.may(permission, address)) return;
    const who = this.principal.anonymous ? 'anonymous client' : `user ${this.principal.name}`;
    throw new BrokerError('FORBIDDEN', `${who} may not ${permission} ${address.kind} ${address.name}`);
  }

  private check(): void {
    if (this.isClosed) throw new BrokerError('NOT_ACTIVE', 'session is closed');
  }

  // ------------------------------------------------------------------ sending

  /**
   * Send to a destination. Authorization is checked synchronously (throws FORBIDDEN before
   * anything happens); the core receives the message in call order unless the address is a
   * temporary queue that still has to be created. Resolves after the core accepted it
   * (committed, for a persistent message to a durable destination).
   */
  send(req: SendRequest): Promise<SendResult> {
    this.check();
    const address = req.address;
    if (address.kind === 'temp-queue') {
      return this.tempQueues.get(address.name).then((q) => this.sendTo({ kind: 'queue', name: q.name }, req));
    }
    this.authorize('write', address);
    return this.sendTo(address, req);
  }

  private sendTo(address: Address, req: SendRequest): Promise<SendResult> {
    const opts = address.kind === 'queue' && req.delayMs !== undefined ? { delayMs: req.delayMs }
      : address.kind === 'topic' && req.retain !== undefined ? { retain: req.retain } : {};
    return this.broker.send(address, req.message, opts);
  }

  // ------------------------------------------------------------------ exchanges (exchange-operations.ts)

  /** Publish through an exchange (AMQP 0-9-1); authorized synchronously, see exchange-operations.ts. */
  publish(req: ExchangePublishRequest): Promise<ExchangePublishResult> {
    this.check();
    return this.exchangeOps.publish(req);
  }

  /** Declare (needs admin on the exchange), or with `passive` look it up (NOT_FOUND when missing). */
  declareExchange(name: string, spec: ExchangeSpec, opts: { passive?: boolean } = {}): Promise<ExchangeInfo> {
    this.check();
    return this.exchangeOps.declare(name, spec, opts);
  }

  deleteExchange(name: string, opts: { ifUnused?: boolean } = {}): Promise<boolean> {
    this.check();
    return this.exchangeOps.delete(name, opts);
  }

  /** Bind a queue or exchange to an exchange: write on the destination, read on the source. */
  bind(binding: Binding): Promise<void> {
    this.check();
    return this.exchangeOps.bind(binding);
  }

  unbind(binding: Binding): Promise<boolean> {
    this.check();
    return this.exchangeOps.unbind(binding);
  }

  // ------------------------------------------------------------------ consuming (session-consumers.ts)

  /**
   * Create a consumer. Authorization, argument checks and the durable-subscription claim happen
   * before the first await (a refusal leaves nothing behind); the promise resolves once the
   * consumer is attached (its queue or stream opened, its durable subscription created or
   * resumed). Deliveries may start before it resolves: use `delivery.consumer`.
   */
  createConsumer(spec: ConsumerSpec, callback: ConsumerCallback): Promise<SessionConsumer> {
    return this.consumers.create(spec, callback);
  }

  /**
   * Remove durable subscription `name` of this session's client id (its queue and what it
   * collected). Refused while another connection consumes it; resolves false if there was none.
   */
  unsubscribeDurable(name: string): Promise<boolean> {
    return this.consumers.unsubscribeDurable(name);
  }

  /** A new anonymous temporary queue (AMQP 1.0 dynamic source); consume it with `{ kind: 'queue', name }`. */
  createTemporaryQueue(): Promise<Queue> {
    this.check();
    return this.tempQueues.createAnonymous();
  }

  /** Like createTemporaryQueue, with the core name known synchronously (AMQP 1.0 dynamic sources). */
  reserveTemporaryQueue(): { name: string; queue: Promise<Queue> } {
    this.check();
    return this.tempQueues.reserveAnonymous();
  }

  /** The core name of temporary queue `localName` (created on first use): what goes into a reply-to. */
  replyToName(localName: string): Promise<string> {
    this.check();
    return this.tempQueues.coreName(localName);
  }

  // ------------------------------------------------------------------ flow control

  /** The front-end's socket is backed up: no consumer hands over deliveries until resume(). */
  pause(): void {
    if (this.isPaused) return;
    this.isPaused = true;
    this.consumers.paused();
  }

  resume(): void {
    if (!this.isPaused) return;
    this.isPaused = false;
    this.consumers.resumed();
  }

  // ------------------------------------------------------------------ transactions

  begin(txId: string): void {
    this.check();
    this.tx.begin(txId);
  }

  inTransaction(txId: string): boolean {
    return this.tx.has(txId);
  }

  /** Stage an operation in open transaction `txId` (throws if there is none or a limit is hit). */
  stage(txId: string, op: StagedOperation, bytes = 0): void {
    this.check();
    this.tx.stage(txId, op, bytes);
  }

  /** Run the staged operations in order; resolves once every send was accepted and every ack committed. */
  async commit(txId: string): Promise<void> {
    this.check();
    const ops = this.tx.take(txId);
    const work: Array<Promise<unknown>> = [];
    for (const staged of ops) {
      const op = staged.kind === 'deferred' ? staged.resolve() : staged;
      if (op === undefined) continue;
      switch (op.kind) {
        case 'send': {
          const req = typeof op.request === 'function' ? await op.request() : op.request;
          work.push(this.send(req));
          break;
        }
        case 'publish':
          work.push(this.publish(op.request));
          break;
        case 'ack':
          work.push(op.consumer.ack(op.deliveryId, op.cumulative ? { cumulative: true } : {}));
          break;
        case 'nack':
          op.consumer.nack(op.deliveryId, op.outcome);
          break;
        case 'deferred':
          throw new BrokerError('INVALID_ARGUMENT', 'a deferred operation resolved to another deferred operation');
      }
    }
    await Promise.all(work);
  }

  /**
   * Discard the staged operations. Staged acks' deliveries stay unsettled (the client may settle
   * them again; close() redelivers them) unless `redeliver` is set: then they go back now.
   */
  rollback(txId: string, opts: { redeliver?: boolean } = {}): void {
    this.check();
    this.discard(this.tx.take(txId), opts.redeliver === true);
  }

  private discard(ops: StagedOperation[], redeliver: boolean): void {
    if (!redeliver) return;
    for (const staged of ops) {
      const op = staged.kind === 'deferred' ? staged.resolve() : staged;
      if (op?.kind === 'ack' || op?.kind === 'nack') op.consumer.nack(op.deliveryId, { requeue: true, ...(op.kind === 'ack' && op.cumulative ? { cumulative: true } : {}) });
    }
  }

  // ------------------------------------------------------------------ close

  /**
   * Disconnect cleanup; idempotent. Consumers close at once (unsettled queue deliveries back to
   * their queues, redelivered; live subscriptions dropped; durable ones detached and kept), open
   * transactions are rolled back; resolves once the temporary queues are deleted.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.isClosed = true;
    for (const ops of this.tx.takeAll()) this.discard(ops, false);
    this.consumers.closeAll();
    this.closing = this.tempQueues.deleteAll();
    return this.closing;
  }
}
