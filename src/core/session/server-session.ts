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
import {
  durableKey, durableRegistry, ensureDurableSubscription, removeDurableSubscription, type DurableIdentity,
} from './durable-subscriptions.js';
import { QueueSessionConsumer } from './queue-consumer.js';
import type { SendRequest } from './send-request.js';
import { StreamSessionConsumer } from './stream-consumer.js';
import { ExchangeOperations, type ExchangePublishRequest } from './exchange-operations.js';
import { DEFAULT_STREAM_OFFSET } from './stream-offset.js';
import { TempQueues } from './temp-queues.js';
import { TopicSessionConsumer } from './topic-consumer.js';
import { Transactions, type StagedOperation } from './transaction.js';
import type { ConsumerCallback, ConsumerSpec, SessionConsumer } from './types.js';

/** The part of the SecurityManager a session uses. */
export interface Authorizer {
  authorize(principal: Principal, permission: Permission, address: AclAddress): boolean;
}

export interface SessionLimits {
  /** Live topic consumers: messages buffered while the consumer may not deliver; more are dropped and counted. */
  liveBufferMessages: number;
  maxTransactions: number;
  /** Operations (sends, acks) one transaction may stage. */
  maxTransactionOperations: number;
  /** Message body bytes one transaction may stage. */
  maxTransactionBytes: number;
}

export const DEFAULT_SESSION_LIMITS: Readonly<SessionLimits> = Object.freeze({
  liveBufferMessages: 1000,
  maxTransactions: 100,
  maxTransactionOperations: 10_000,
  maxTransactionBytes: 64 << 20,
});

export interface SessionOptions {
  broker: Broker;
  security: Authorizer;
  principal: Principal;
  /** Protocol name (`stomp`, `amqp10`, `mqtt`, ...): durable subscription identity and logs. */
  protocol: string;
  /** Unique per connection (or protocol session); owner of durable subscription claims. */
  connectionId: string;
  /** Client id (STOMP client-id, AMQP container id, MQTT client id): needed for durable subscriptions. */
  clientId?: string;
  logger?: Logger;
  limits?: Partial<SessionLimits>;
}

/** What the session needs of its own consumers beyond the public contract. */
interface ManagedConsumer extends SessionConsumer {
  sessionFlowChanged(): void;
}

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
  private readonly consumers = new Map<string, ManagedConsumer>();
  private readonly durableOf = new Map<string, string>();
  private readonly ownedQueues = new Set<string>();
  private readonly tx: Transactions;
  private readonly exchangeOps: ExchangeOperations = new ExchangeOperations(this);
  private deliveryCounter = 0;
  private consumerCounter = 0;
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
    if (this.consumers.get(consumer.id) !== consumer) return;
    this.consumers.delete(consumer.id);
    const key = this.durableOf.get(consumer.id);
    if (key !== undefined) {
      this.durableOf.delete(consumer.id);
      // A re-attach on the same connection may already hold the claim through a newer consumer.
      const stillHeld = [...this.durableOf.values()].includes(key);
      if (!stillHeld) durableRegistry(this.broker).release(key, this.connectionId);
    }
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

  // ------------------------------------------------------------------ consuming

  /**
   * Create a consumer. Authorization, argument checks and the durable-subscription claim happen
   * before the first await (a refusal leaves nothing behind); the promise resolves once the
   * consumer is attached (its queue or stream opened, its durable subscription created or
   * resumed). Deliveries may start before it resolves: use `delivery.consumer`.
   */
  async createConsumer(spec: ConsumerSpec, callback: ConsumerCallback): Promise<SessionConsumer> {
    this.check();
    const src = spec.source;
    if (spec.prefetch !== undefined && !(spec.prefetch >= 1)) throw new BrokerError('INVALID_ARGUMENT', `prefetch must be >= 1, got ${String(spec.prefetch)}`);
    this.consumerCounter += 1;
    const id = `${this.connectionId}/${this.consumerCounter}`;
    switch (src.kind) {
      case 'queue': {
        this.authorize('read', { kind: 'queue', name: src.name });
        const c = this.register(new QueueSessionConsumer(id, spec, this, callback));
        return this.attachQueue(c, () => this.broker.queue(src.name));
      }
      case 'temp-queue': {
        const c = this.register(new QueueSessionConsumer(id, spec, this, callback));
        return this.attachQueue(c, () => this.tempQueues.get(src.name));
      }
      case 'stream': {
        this.authorize('read', { kind: 'stream', name: src.name });
        const start = src.offset ?? DEFAULT_STREAM_OFFSET;
        const c = this.register(new StreamSessionConsumer(id, spec, this, callback));
        try {
          const stream = await this.broker.stream(src.name);
          c.attach(stream, start);
        } catch (err) {
          c.close();
          throw err;
        }
        return c;
      }
      case 'topic': {
        this.authorize('read', { kind: 'topic', name: src.pattern });
        if (src.durable === undefined) {
          const c = this.register(new TopicSessionConsumer(id, spec, this, callback, this.limits.liveBufferMessages));
          try {
            c.attach(this.broker, src.pattern, src.filterPolicy);
          } catch (err) {
            c.close();
            throw err;
          }
          return c;
        }
        const identity = this.durableIdentity(src.durable.name);
        const key = durableKey(identity);
        if (!durableRegistry(this.broker).claim(key, this.connectionId)) {
          throw new BrokerError('ALREADY_EXISTS', `durable subscription ${JSON.stringify(identity.subscriptionName)} of client-id ${JSON.stringify(identity.clientId)} is active on another connection`);
        }
        const c = this.register(new QueueSessionConsumer(id, spec, this, callback));
        this.durableOf.set(id, key);
        return this.attachQueue(c, () => ensureDurableSubscription(this.broker, {
          ...identity, pattern: src.pattern, ...(src.filterPolicy !== undefined ? { filterPolicy: src.filterPolicy } : {}),
        }));
      }
    }
  }

  private register<C extends ManagedConsumer>(c: C): C {
    this.consumers.set(c.id, c);
    return c;
  }

  private async attachQueue(c: QueueSessionConsumer, open: () => Promise<Queue>): Promise<SessionConsumer> {
    try {
      const queue = await open();
      c.attach(queue);
    } catch (err) {
      c.close();
      throw err;
    }
    return c;
  }

  private durableIdentity(subscriptionName: string): DurableIdentity {
    if (this.clientId === undefined || this.clientId === '') throw new BrokerError('INVALID_ARGUMENT', 'durable subscriptions need a client id');
    if (subscriptionName === '') throw new BrokerError('INVALID_ARGUMENT', 'a durable subscription needs a name');
    return { protocol: this.protocol, clientId: this.clientId, subscriptionName };
  }

  /**
   * Remove durable subscription `name` of this session's client id (its queue and what it
   * collected). Refused while another connection consumes it; resolves false if there was none.
   */
  async unsubscribeDurable(name: string): Promise<boolean> {
    this.check();
    const identity = this.durableIdentity(name);
    const key = durableKey(identity);
    const registry = durableRegistry(this.broker);
    if (!registry.claim(key, this.connectionId)) {
      throw new BrokerError('ALREADY_EXISTS', `durable subscription ${JSON.stringify(name)} is active on another connection`);
    }
    const heldByUs = [...this.durableOf.values()].includes(key);
    try {
      const existed = await removeDurableSubscription(this.broker, identity);
      this.logger.info({ clientId: identity.clientId, subscription: name, existed }, 'durable subscription removed');
      return existed;
    } finally {
      if (!heldByUs) registry.release(key, this.connectionId);
    }
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
    for (const c of this.consumers.values()) c.sessionFlowChanged();
  }

  resume(): void {
    if (!this.isPaused) return;
    this.isPaused = false;
    for (const c of [...this.consumers.values()]) c.sessionFlowChanged();
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
    for (const c of [...this.consumers.values()]) c.close();
    this.closing = this.tempQueues.deleteAll();
    return this.closing;
  }
}
