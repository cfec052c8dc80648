/**
 * One STOMP session per client connection (TCP, TLS or WebSocket).
 *
 * Frames are handled strictly in arrival order. A frame whose handling must finish before the
 * next one starts (CONNECT, SUBSCRIBE, UNSUBSCRIBE, COMMIT, DISCONNECT, a SEND that first creates a
 * temporary queue, or the connection's pending-SEND limit being reached) pauses reading until it
 * is done. SENDs and ACKs otherwise overlap their store commits (group commit), and a RECEIPT is
 * written once the frame carrying it and every earlier frame completed — so the RECEIPT of a
 * `persistent:true` SEND means the store committed the message.
 *
 * Any error (malformed frame, limit exceeded, refused credentials or ACL, broker rejection,
 * missed heart-beats) → an ERROR frame with a `message` header and an explanatory body, then the
 * connection closes. Closing returns unacknowledged queue deliveries to their queues
 * (redelivered), aborts open transactions, detaches durable subscriptions (they keep collecting)
 * and deletes the connection's temporary queues.
 */
import type { ConnectionInfo, ServerContext } from '../../src/server/protocol-module.js';
import type { Principal } from '../../src/security/security-manager.js';
import type { Logger } from '../../src/log.js';
import { nackRequeue, resolveAck } from './ack.js';
import { connectedFrame, readConnect } from './connect.js';
import { header, type StompFrame, type StompVersion } from './frame.js';
import { StompParser } from './frame-parser.js';
import { FramePipeline, type PipelineHost } from './frame-pipeline.js';
import { encodeFrame, HEARTBEAT } from './frame-writer.js';
import { HeartbeatMonitor } from './heartbeat-monitor.js';
import type { StompOptions } from './options.js';
import { executeSend, prepareSend, type SendEnv } from './send.js';
import { describeError, errorFrameFor } from './session-errors.js';
import { buildSubscription, durableNameOf, requireClientId } from './subscribe.js';
import type { StompSubscription, SubscriptionHost } from './subscription.js';
import type { StompTransport } from './transport.js';
import { BrokerError } from '../../src/core/errors.js';
import { createSession, type ServerSession } from '../../src/core/session/server-session.js';
import type { SendRequest } from '../../src/core/session/send-request.js';
import type { SessionConsumer } from '../../src/core/session/types.js';
import type { StagedOperation } from '../../src/core/session/transaction.js';

type State = 'connecting' | 'connected' | 'disconnecting' | 'closed';

export interface ConnectionDeps {
  ctx: ServerContext;
  options: StompOptions;
  transport: StompTransport;
  info: ConnectionInfo;
  id: string;
  logger: Logger;
}

export class StompConnection implements SubscriptionHost, PipelineHost {
  readonly id: string;
  readonly options: StompOptions;
  readonly logger: Logger;
  version: StompVersion = '1.0';
  /** Resolves once the connection is closed and cleaned up. */
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  private state: State = 'connecting';
  private readonly ctx: ServerContext;
  private readonly transport: StompTransport;
  private readonly parser: StompParser;
  private principal: Principal | undefined;
  private clientId: string | undefined;
  /** The core session, from a successful CONNECT on. */
  private session: ServerSession | undefined;
  private heartbeat: HeartbeatMonitor | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private readonly subs = new Map<string, StompSubscription>();
  private readonly pipeline: FramePipeline;
  private pendingSends = 0;
  private sendCapacity: (() => void) | undefined;
  private failed = false;

  constructor(private readonly deps: ConnectionDeps) {
    ({ id: this.id, ctx: this.ctx, options: this.options, logger: this.logger, transport: this.transport } = deps);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.pipeline = new FramePipeline(this);
    const limits = deps.ctx.config.limits;
    this.parser = new StompParser({
      maxFrameBytes: limits.maxFrameBytes,
      maxHeaders: limits.maxHeaders,
      maxHeaderLineBytes: limits.maxHeaderBytes,
      onFrame: (frame) => this.pipeline.push(frame),
      onError: (err) => this.fail(err),
    });
    this.transport.onData = (chunk) => {
      this.heartbeat?.received();
      this.parser.push(chunk);
    };
    this.transport.onClose = () => this.cleanup('peer closed the connection');
    this.transport.onDrain = () => {
      this.updateReading();
      if (!this.transport.backedUp) this.session?.resume();
    };
    this.connectTimer = setTimeout(() => this.fail(new BrokerError('INVALID_ARGUMENT', `no CONNECT frame within ${this.options.connectTimeoutMs} ms`)), this.options.connectTimeoutMs);
    this.connectTimer.unref();
  }

  // ------------------------------------------------------------------ SubscriptionHost

  writeFrame(frame: StompFrame, flushed?: (err?: Error | null) => void): void {
    if (this.transport.closed) {
      flushed?.(new Error('connection closed'));
      return;
    }
    this.transport.write(encodeFrame(frame, this.version), flushed);
    this.heartbeat?.sent();
    if (this.transport.backedUp) {
      // Resumed on drain: reading (updateReading) and deliveries (session.resume).
      this.transport.pause();
      this.session?.pause();
    }
  }

  // ------------------------------------------------------------------ PipelineHost

  accepting(): boolean {
    return this.state === 'connecting' || this.state === 'connected';
  }

  blockedChanged(): void {
    this.updateReading();
  }

  writeReceipt(receiptId: string): void {
    if (this.state !== 'closed') this.writeFrame({ command: 'RECEIPT', headers: [['receipt-id', receiptId]], body: Buffer.alloc(0) });
  }

  /**
   * Read only while no frame is being waited for and the client reads what we write: a client
   * that floods SENDs with receipts but never reads cannot make the broker buffer without bound.
   */
  private updateReading(): void {
    if (this.state === 'closed') return;
    if (this.pipeline.blocked || this.transport.backedUp) this.transport.pause();
    else this.transport.resume();
  }

  subscriptionEnded(sub: StompSubscription, reason: string): void {
    if (this.subs.get(sub.id) !== sub) return;
    this.fail(new BrokerError('NOT_FOUND', `subscription ${sub.id} ended by the broker: ${reason}`));
  }

  // ------------------------------------------------------------------ commands

  /** PipelineHost: one frame, in order. */
  handle(frame: StompFrame): Promise<void> | void {
    const cmd = frame.command;
    if (this.state === 'connecting') {
      if (cmd !== 'CONNECT' && cmd !== 'STOMP') throw new BrokerError('INVALID_ARGUMENT', `expected CONNECT or STOMP as the first frame, got ${cmd}`);
      return this.onConnect(frame);
    }
    switch (cmd) {
      case 'SEND': return this.onSend(frame);
      case 'SUBSCRIBE': return this.onSubscribe(frame);
      case 'UNSUBSCRIBE': return this.onUnsubscribe(frame);
      case 'ACK': return this.onAck(frame, true);
      case 'NACK': return this.onAck(frame, false);
      case 'BEGIN': return this.requireSession().begin(requireHeader(frame, 'transaction'));
      case 'COMMIT': return this.onCommit(requireHeader(frame, 'transaction'));
      case 'ABORT': return this.requireSession().rollback(requireHeader(frame, 'transaction'));
      case 'DISCONNECT': return this.onDisconnect(frame);
      case 'CONNECT':
      case 'STOMP':
        throw new BrokerError('INVALID_ARGUMENT', 'already connected');
      default:
        throw new BrokerError('INVALID_ARGUMENT', `unknown command ${cmd}`);
    }
  }

  private onConnect(frame: StompFrame): Promise<void> {
    const req = readConnect(frame, this.options);
    this.version = req.version;
    this.parser.setVersion(req.version);
    const done = this.ctx.security.authenticate({ username: req.login, password: req.passcode, remoteAddress: this.deps.info.remoteAddress }).then((principal) => {
      if (this.state !== 'connecting') return;
      clearTimeout(this.connectTimer);
      this.principal = principal;
      this.clientId = req.clientId;
      this.session = createSession({
        broker: this.ctx.broker,
        security: this.ctx.security,
        principal,
        protocol: 'stomp',
        connectionId: this.id,
        ...(req.clientId !== undefined ? { clientId: req.clientId } : {}),
        logger: this.logger,
        limits: {
          liveBufferMessages: this.options.liveBufferMessages,
          maxTransactions: this.options.maxTransactions,
          maxTransactionOperations: this.options.maxTransactionFrames,
          maxTransactionBytes: this.options.maxTransactionBytes,
        },
      });
      this.state = 'connected';
      this.writeFrame(connectedFrame(req, this.id));
      const hb = req.heartbeat;
      this.logger.info({ version: req.version, user: principal.name, clientId: req.clientId, host: req.host, heartbeat: hb.connectedHeader }, 'STOMP client connected');
      if (hb.sendEveryMs > 0 || hb.expectEveryMs > 0) this.startHeartbeat(hb.sendEveryMs, hb.expectEveryMs);
    });
    this.pipeline.block(done);
    return done;
  }

  private startHeartbeat(sendEveryMs: number, expectEveryMs: number): void {
    this.heartbeat = new HeartbeatMonitor({
      sendEveryMs,
      expectEveryMs,
      toleranceFactor: this.options.heartbeatTolerance,
      onSend: () => this.transport.write(HEARTBEAT),
      onTimeout: () => {
        // Silence while we are not reading (waiting for a frame, or for the client to read) is ours.
        if (this.pipeline.blocked || this.transport.backedUp) this.startHeartbeat(sendEveryMs, expectEveryMs);
        else this.fail(new BrokerError('INVALID_ARGUMENT', `no data or heart-beat received for ${expectEveryMs * this.options.heartbeatTolerance} ms`));
      },
    });
    this.heartbeat.start();
  }

  private requireSession(): ServerSession {
    if (!this.session) throw new BrokerError('NOT_ACTIVE', 'not connected');
    return this.session;
  }

  private sendEnv(): SendEnv {
    return { session: this.requireSession(), defaultPartitionKey: this.id, now: () => this.ctx.broker.clock.now() };
  }

  private onSend(frame: StompFrame): Promise<void> | void {
    const txId = header(frame, 'transaction');
    if (txId !== undefined) {
      // Prepared at COMMIT (ACL, temp queues, header mapping), as the frames arrived.
      this.requireSession().stage(txId, { kind: 'send', request: () => prepareSend(frame, this.sendEnv()) }, frame.body.length);
      return;
    }
    const prepared = prepareSend(frame, this.sendEnv());
    if (!(prepared instanceof Promise)) return this.startSend(prepared);
    const done = prepared.then((p) => this.startSend(p));
    this.pipeline.block(done);
    return done;
  }

  /** Hand a prepared SEND to the session now; resolves when it is accepted (committed if persistent). */
  private startSend(prepared: SendRequest): Promise<void> {
    const done = executeSend(prepared, this.requireSession()).then(() => undefined); // throws FORBIDDEN synchronously
    this.pendingSends += 1;
    const release = (): void => {
      this.pendingSends -= 1;
      if (this.sendCapacity && this.pendingSends <= this.options.maxPendingSends / 2) {
        const wake = this.sendCapacity;
        this.sendCapacity = undefined;
        wake();
      }
    };
    done.then(release, release);
    if (this.pendingSends >= this.options.maxPendingSends && !this.sendCapacity) {
      this.pipeline.block(new Promise<void>((resolve) => (this.sendCapacity = resolve)));
    }
    return done;
  }

  private onSubscribe(frame: StompFrame): Promise<void> {
    const id = header(frame, 'id') ?? (this.version === '1.0' ? header(frame, 'destination') : undefined);
    if (id === undefined || id === '') throw new BrokerError('INVALID_ARGUMENT', 'SUBSCRIBE needs an id header');
    if (this.subs.has(id)) throw new BrokerError('ALREADY_EXISTS', `subscription id ${JSON.stringify(id)} is already in use on this connection`);
    if (this.subs.size >= this.options.maxSubscriptions) throw new BrokerError('INVALID_ARGUMENT', `too many subscriptions (limit ${this.options.maxSubscriptions})`);
    const session = this.requireSession();
    const { sub, spec } = buildSubscription(frame, id, { clientId: this.clientId, options: this.options, host: this });
    this.subs.set(id, sub);
    let started: Promise<SessionConsumer>;
    try {
      started = session.createConsumer(spec, sub);
    } catch (err) {
      this.subs.delete(id);
      throw err;
    }
    const done = started.then(
      (consumer) => {
        sub.attached(consumer);
        this.logger.debug({ subscription: id, destination: header(frame, 'destination'), ack: sub.ackMode, prefetch: sub.prefetch }, 'subscribed');
      },
      (err: unknown) => {
        this.dropSubscription(id);
        throw err;
      },
    );
    this.pipeline.block(done);
    return done;
  }

  private dropSubscription(id: string): void {
    const sub = this.subs.get(id);
    if (!sub) return;
    this.subs.delete(id);
    sub.close();
  }

  private onUnsubscribe(frame: StompFrame): Promise<void> | void {
    const id = header(frame, 'id') ?? (this.version === '1.0' ? header(frame, 'destination') : undefined);
    const durableName = durableNameOf(frame);
    if ((id === undefined || !this.subs.has(id)) && durableName === undefined) {
      throw new BrokerError('INVALID_ARGUMENT', id === undefined ? 'UNSUBSCRIBE needs an id header' : `no subscription with id ${JSON.stringify(id)}`);
    }
    if (id !== undefined) this.dropSubscription(id);
    if (durableName === undefined) return;
    requireClientId(this.clientId);
    const done = this.requireSession().unsubscribeDurable(durableName).then(() => undefined);
    this.pipeline.block(done);
    return done;
  }

  private onAck(frame: StompFrame, positive: boolean): Promise<void> | void {
    const target = resolveAck(frame, this.subs, this.lastIssued());
    const txId = header(frame, 'transaction');
    if (txId !== undefined) {
      // Resolved again at COMMIT: the delivery may have been settled meanwhile.
      this.requireSession().stage(txId, { kind: 'deferred', resolve: () => this.stagedSettle(frame, positive) }, frame.body.length);
      return;
    }
    return this.settle(frame, positive, target);
  }

  private lastIssued(): number {
    return this.session?.lastDeliveryId ?? 0;
  }

  /** A transactional ACK/NACK at COMMIT: the settlement it still means, if any. */
  private stagedSettle(frame: StompFrame, positive: boolean): StagedOperation | undefined {
    const target = resolveAck(frame, this.subs, this.lastIssued());
    const consumer = target?.sub.sessionConsumer;
    if (!target || !consumer) {
      this.logger.debug({ command: frame.command, id: header(frame, 'id') ?? header(frame, 'message-id') }, 'ack for a delivery no longer pending: ignored');
      return undefined;
    }
    const deliveryId = Number(target.ackId);
    const cumulative = target.sub.cumulative;
    return positive
      ? { kind: 'ack', consumer, deliveryId, cumulative }
      : { kind: 'nack', consumer, deliveryId, outcome: { requeue: nackRequeue(frame), cumulative } };
  }

  private settle(frame: StompFrame, positive: boolean, target = resolveAck(frame, this.subs, this.lastIssued())): Promise<void> | void {
    if (!target) {
      this.logger.debug({ command: frame.command, id: header(frame, 'id') ?? header(frame, 'message-id') }, 'ack for a delivery no longer pending: ignored');
      return;
    }
    if (positive) return target.sub.ack(target.ackId);
    target.sub.nack(target.ackId, nackRequeue(frame));
  }

  private onCommit(txId: string): Promise<void> {
    const done = this.requireSession().commit(txId);
    this.pipeline.block(done);
    return done;
  }

  private onDisconnect(frame: StompFrame): Promise<void> {
    const receipt = header(frame, 'receipt');
    this.state = 'disconnecting';
    const done = this.pipeline.settled().then((ok) => {
      if (ok && receipt !== undefined) this.writeFrame({ command: 'RECEIPT', headers: [['receipt-id', receipt]], body: Buffer.alloc(0) });
      this.logger.debug('client disconnected');
      this.close();
    });
    this.pipeline.block(done);
    return done;
  }

  // ------------------------------------------------------------------ failure and close

  /** Send ERROR (with what went wrong) and close. Only the first failure counts. */
  fail(err: unknown, frame?: StompFrame): void {
    if (this.failed || this.state === 'closed') return;
    this.failed = true;
    const d = describeError(err);
    const log = { err: d.internal ? err : undefined, code: d.code, command: frame?.command, message: d.message, remote: this.deps.info.remoteAddress };
    if (d.internal) this.logger.error(log, 'STOMP connection failed');
    else this.logger.warn(log, 'STOMP protocol error; closing the connection');
    this.writeFrame(errorFrameFor(d, frame));
    this.close();
  }

  /** Broker shutdown: tell the client, then close. */
  shutdown(): Promise<void> {
    if (this.state !== 'closed') {
      this.failed = true;
      this.writeFrame(errorFrameFor({ code: 'SHUTDOWN', message: 'broker is shutting down', internal: false }));
      this.close();
    }
    return this.closed;
  }

  private close(): void {
    this.cleanup('closed by the broker');
    this.transport.end();
  }

  private cleanup(reason: string): void {
    if (this.state === 'closed') return;
    const wasConnected = this.state !== 'connecting';
    this.state = 'closed';
    clearTimeout(this.connectTimer);
    this.parser.stop();
    this.heartbeat?.stop();
    this.pipeline.clear();
    for (const id of [...this.subs.keys()]) this.dropSubscription(id);
    this.sendCapacity?.();
    if (wasConnected) this.logger.info({ reason }, 'STOMP connection closed');
    // Unacked deliveries back to their queues, transactions rolled back, temp queues deleted.
    if (this.session) void this.session.close().then(() => this.resolveClosed());
    else this.resolveClosed();
  }
}

function requireHeader(frame: StompFrame, name: string): string {
  const v = header(frame, name);
  if (v === undefined || v === '') throw new BrokerError('INVALID_ARGUMENT', `${frame.command} needs a ${name} header`);
  return v;
}
