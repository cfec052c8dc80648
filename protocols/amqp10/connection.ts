/**
 * One AMQP 1.0 client connection: frame guard → rhea connection (its own container, so the SASL
 * mechanisms can be bound to this connection's remote address) → link handlers → one
 * ServerSession (src/core/session) → core.
 *
 * One ServerSession per AMQP connection, not per AMQP session (begin/end): the container id that
 * names durable subscriptions, the authenticated principal, the socket whose back-pressure
 * pauses deliveries and the temporary queues' lifetime (until the connection closes) are all
 * per connection; AMQP sessions only group links here. Ending an AMQP session detaches its links.
 * Local transactions belong to the connection too (one TransactionRegistry over the session's
 * transactions): declared on any coordinator link, usable on every AMQP session.
 */
import rhea, { type Connection, type Delivery, type EventContext, type link as Link } from 'rhea';
import type { ConnectionInfo, ServerContext } from '../../src/server/protocol-module.js';
import type { Logger } from '../../src/log.js';
import type { Principal } from '../../src/security/security-manager.js';
import { createSession, type ServerSession } from '../../src/core/session/server-session.js';
import { MIN_MAX_FRAME_SIZE } from './amqp-codec.js';
import { attachIncoming, attachOutgoing } from './attach.js';
import type { ByteTransport } from './byte-transport.js';
import { Condition, conditionForInputError } from './errors.js';
import { FrameGuard } from './frame-guard.js';
import type { Amqp10Limits, LinkContext, ReceivingLink } from './link-context.js';
import type { Outcome, OutgoingLink } from './outgoing-link.js';
import { acceptConnection, allowSameNameLinks, recognizeTransactions, remoteDetachClosed } from './rhea-internals.js';
import { anonymousAllowed, serverMechanisms } from './sasl.js';
import { TransactionRegistry } from './transaction-registry.js';

export interface ConnectionSettings {
  containerId: string;
  limits: Amqp10Limits;
  /** A connection silent this long is closed (rhea announces half of it as idle-time-out and enforces twice the announced value). */
  idleTimeoutMs: number;
  properties: Record<string, string>;
}

let connectionCounter = 0;
const DRAIN_POLL_MS = 5;

export class AmqpConnection {
  readonly id: string;
  private readonly logger: Logger;
  private readonly guard: FrameGuard;
  private connection: Connection | undefined;
  private principal: Principal | undefined;
  private anonymous: Principal | undefined;
  private readonly outgoing = new Map<Link, OutgoingLink>();
  /** Client senders: to a node (IncomingLink) or to the transaction coordinator (CoordinatorLink). */
  private readonly incoming = new Map<Link, ReceivingLink>();
  private context: LinkContext | undefined;
  private session: ServerSession | undefined;
  private closedPromise: Promise<void>;
  private markClosed!: () => void;
  private gone = false;
  private watchingDrain = false;
  /** Transfer bytes handed to rhea in this tick (rhea writes them on its next tick). */
  private queuedBytes = 0;

  constructor(
    private readonly server: ServerContext,
    private readonly settings: ConnectionSettings,
    private readonly transport: ByteTransport,
    private readonly info: ConnectionInfo,
  ) {
    connectionCounter += 1;
    this.id = `amqp10-${connectionCounter}`;
    this.logger = server.logger.child({ protocol: 'amqp10', conn: this.id, remote: info.remoteAddress });
    this.closedPromise = new Promise((resolve) => {
      this.markClosed = resolve;
    });
    this.guard = new FrameGuard(transport, {
      maxFrameBytes: settings.limits.maxFrameBytes,
      maxMessageBytes: settings.limits.maxMessageBytes,
      containerId: settings.containerId,
      logger: this.logger,
      onClose: () => this.onGone(),
    });
    void this.begin();
  }

  /** Resolves when the transport is gone. */
  get closed(): Promise<void> {
    return this.closedPromise;
  }

  private async begin(): Promise<void> {
    this.anonymous = await anonymousAllowed(this.server.security, this.info.remoteAddress, this.logger);
    if (this.gone) return; // the client left before we got going
    const container = rhea.create_container({ id: this.settings.containerId });
    container.sasl_server_mechanisms = serverMechanisms({
      security: this.server.security,
      remoteAddress: this.info.remoteAddress,
      allowAnonymous: this.anonymous !== undefined,
      logger: this.logger,
      onAuthenticated: (p, mechanism) => {
        this.principal = p;
        this.logger.debug({ user: p.name, mechanism }, 'AMQP 1.0: authenticated');
      },
    });
    const c = acceptConnection(container, {
      id: this.id,
      container_id: this.settings.containerId,
      max_frame_size: this.settings.limits.maxFrameBytes,
      idle_time_out: Math.max(1, Math.ceil(this.settings.idleTimeoutMs / 2)),
      offered_capabilities: ['ANONYMOUS-RELAY'],
      properties: this.settings.properties,
      reconnect: false,
      session_buffer_size: { incoming: 2048, outgoing: 1 << 20 },
      receiver_options: { autoaccept: false, credit_window: 0, max_message_size: this.settings.limits.maxMessageBytes },
      sender_options: { autosettle: true, treat_modified_as_released: false },
    } as never, this.guard.socket);
    this.connection = c;
    this.listen(c);
    this.guard.start({ requireSasl: this.anonymous === undefined });
  }

  private listen(c: Connection): void {
    const on = (event: string, handler: (ctx: EventContext) => void): void => {
      c.on(event, (ctx: EventContext) => {
        try {
          handler(ctx);
        } catch (err) {
          this.logger.error({ err, event }, 'AMQP 1.0 event handler failed');
          this.guard.fail(Condition.internalError, 'internal error');
        }
      });
    };
    on('connection_open', () => this.onOpen(c));
    on('connection_close', () => {
      // Nothing more can arrive from the client after its close: end the consumers now, so a
      // message arriving before the socket goes is not dispatched to a closed connection.
      this.logger.debug('AMQP 1.0: client closed the connection');
      this.onGone();
    });
    on('connection_error', (ctx) => this.logger.info({ error: ctx.error ?? c.error }, 'AMQP 1.0: connection closed with an error'));
    c.on('protocol_error', (err: unknown) => this.onRheaError(err));
    c.on('error', (err: unknown) => this.onRheaError(err));
    on('disconnected', () => this.onGone());
    on('session_error', (ctx) => this.logger.info({ error: ctx.session?.error }, 'AMQP 1.0: session ended with an error'));
    on('session_close', (ctx) => this.onSessionClose(ctx));
    on('sender_open', (ctx) => this.onSenderOpen(ctx));
    on('receiver_open', (ctx) => this.onReceiverOpen(ctx));
    on('sender_close', (ctx) => this.onLinkClose(ctx.sender));
    on('receiver_close', (ctx) => this.onLinkClose(ctx.receiver));
    on('sender_error', (ctx) => this.logger.info({ link: ctx.sender?.name, error: ctx.sender?.error }, 'AMQP 1.0: client detached with an error'));
    on('receiver_error', (ctx) => this.logger.info({ link: ctx.receiver?.name, error: ctx.receiver?.error }, 'AMQP 1.0: client detached with an error'));
    on('sender_flow', (ctx) => this.outgoingFor(ctx)?.onFlow());
    on('sender_draining', (ctx) => this.outgoingFor(ctx)?.onDrain());
    on('sendable', () => undefined);
    on('message', (ctx) => this.onMessage(ctx));
    for (const outcome of ['accepted', 'released', 'rejected', 'modified', 'settled'] as const) {
      on(outcome, (ctx) => this.onOutcome(outcome, ctx));
    }
    on('session_open', (ctx) => {
      if (!ctx.session) return;
      allowSameNameLinks(ctx.session);
      recognizeTransactions(ctx.session);
    });
    for (const ignored of ['receiver_flow', 'receiver_drained']) on(ignored, () => undefined);
  }

  private onRheaError(err: unknown): void {
    if (this.guard.inInput) {
      const condition = conditionForInputError(err);
      this.guard.fail(condition, err instanceof Error ? err.message : String(err));
    } else {
      this.logger.error({ err }, 'AMQP 1.0: rhea error');
      this.guard.fail(Condition.internalError, 'internal error');
    }
  }

  private onOpen(c: Connection): void {
    const remoteMax = c.max_frame_size;
    if (typeof remoteMax === 'number' && remoteMax < MIN_MAX_FRAME_SIZE) {
      c.close({ condition: Condition.frameSizeTooSmall, description: `max-frame-size ${remoteMax} is below the minimum ${MIN_MAX_FRAME_SIZE}` });
      return;
    }
    const principal = this.principal ?? this.anonymous;
    if (!principal) {
      c.close({ condition: Condition.unauthorizedAccess, description: 'authentication required' });
      return;
    }
    const containerId = typeof c.container_id === 'string' ? c.container_id : '';
    const session = createSession({
      broker: this.server.broker,
      security: this.server.security,
      principal,
      protocol: 'amqp10',
      connectionId: this.id,
      clientId: containerId,
      logger: this.logger,
      limits: {
        liveBufferMessages: this.settings.limits.liveBuffer,
        maxTransactions: this.settings.limits.transactions.maxOpen,
        maxTransactionOperations: this.settings.limits.transactions.maxOperations,
        maxTransactionBytes: this.settings.limits.transactions.maxBytes,
      },
    });
    this.session = session;
    this.context = {
      broker: this.server.broker,
      session,
      logger: this.logger,
      limits: this.settings.limits,
      remoteContainerId: containerId,
      congested: () => this.congested(),
      queued: (bytes) => this.queued(bytes),
      takePayload: () => this.guard.takePayload(),
      transactions: new TransactionRegistry(session, this.logger),
    };
    this.logger.info({ user: principal.name, container: containerId, transport: this.info.transport }, 'AMQP 1.0 connection opened');
  }

  /** Is the socket backed up? If so, wake the sending links when it drains. */
  private queued(bytes: number): void {
    if (this.queuedBytes === 0) {
      // Queued after rhea's own tick (registered by the send): by then the bytes are in the socket's buffer.
      process.nextTick(() => {
        this.queuedBytes = 0;
      });
    }
    this.queuedBytes += bytes;
  }

  private congested(): boolean {
    if (!this.transport.congested(this.queuedBytes)) return false;
    if (!this.watchingDrain) {
      this.watchingDrain = true;
      this.logger.debug('AMQP 1.0: client reads slower than we send; pausing deliveries');
      this.session?.pause();
      for (const link of this.outgoing.values()) link.socketBackedUp();
      this.pollDrain();
    }
    return true;
  }

  /** While backed up, look again every few ms (a socket and a WebSocket drain differently); then wake the sending links. */
  private pollDrain(): void {
    setTimeout(() => {
      if (this.gone) return;
      if (this.transport.congested(this.queuedBytes)) {
        this.pollDrain();
        return;
      }
      this.watchingDrain = false;
      this.session?.resume();
      for (const link of this.outgoing.values()) link.drained();
    }, DRAIN_POLL_MS).unref();
  }

  private requireContext(l: Link): LinkContext | undefined {
    if (this.context) return this.context;
    l.close({ condition: Condition.notAllowed, description: 'attach before open' });
    return undefined;
  }

  private onSenderOpen(ctx: EventContext): void {
    const sender = ctx.sender;
    if (!sender) return;
    const lc = this.requireContext(sender);
    if (!lc) return;
    const link = attachOutgoing(sender, lc);
    if (link) this.outgoing.set(sender, link);
  }

  private onReceiverOpen(ctx: EventContext): void {
    const receiver = ctx.receiver;
    if (!receiver) return;
    const lc = this.requireContext(receiver);
    if (!lc) return;
    const link = attachIncoming(receiver, lc);
    if (link) this.incoming.set(receiver, link);
  }

  private outgoingFor(ctx: EventContext): OutgoingLink | undefined {
    return ctx.sender ? this.outgoing.get(ctx.sender) : undefined;
  }

  private onMessage(ctx: EventContext): void {
    const link = ctx.receiver ? this.incoming.get(ctx.receiver) : undefined;
    if (link) {
      link.onMessage(ctx);
      return;
    }
    this.guard.takePayload();
    ctx.delivery?.reject({ condition: Condition.notAllowed, description: 'link is not attached' });
  }

  private onOutcome(outcome: Outcome, ctx: EventContext): void {
    const delivery: Delivery | undefined = ctx.delivery;
    const link = this.outgoingFor(ctx);
    if (link && delivery) link.onOutcome(outcome, delivery);
  }

  private onLinkClose(l: Link | undefined): void {
    if (!l) return;
    const closed = remoteDetachClosed(l);
    const out = this.outgoing.get(l);
    if (out) {
      // rhea reports dispositions that arrived with (or just before) the detach on its next
      // tick: release after them, so a message accepted right before the detach is acked.
      process.nextTick(() => {
        if (this.outgoing.get(l) === out) this.outgoing.delete(l);
        out.detached(closed);
      });
      if (!closed && !l.is_itself_closed()) {
        // A plain detach (the terminus lives on, e.g. a durable subscription): answer in kind.
        l.detach();
        setImmediate(() => l.remove());
      }
    }
    const inc = this.incoming.get(l);
    if (inc) {
      this.incoming.delete(l);
      inc.detached();
    }
  }

  private onSessionClose(ctx: EventContext): void {
    const session = ctx.session;
    for (const [l, link] of this.outgoing) {
      if (l.session !== session) continue;
      process.nextTick(() => {
        if (this.outgoing.get(l) === link) this.outgoing.delete(l);
        link.detached(false);
      });
    }
    for (const [l, link] of this.incoming) {
      if (l.session !== session) continue;
      this.incoming.delete(l);
      link.detached();
    }
  }

  /** The transport is gone: release every link (unsettled deliveries go back to their queues). */
  private onGone(): void {
    if (this.gone) return;
    this.gone = true;
    // After rhea's pending tick, which reports dispositions that arrived in the last bytes.
    process.nextTick(() => this.releaseAll());
  }

  private releaseAll(): void {
    for (const link of this.outgoing.values()) link.detached(false);
    for (const link of this.incoming.values()) link.detached();
    this.outgoing.clear();
    this.incoming.clear();
    // Consumers are closed at once (unsettled deliveries back to their queues); the connection
    // counts as closed once the session's temporary queues are deleted too.
    const closing = this.session?.close() ?? Promise.resolve();
    closing.then(
      () => undefined,
      (err: unknown) => this.logger.error({ err }, 'AMQP 1.0: closing the session failed'),
    ).finally(() => {
      this.logger.info('AMQP 1.0 connection closed');
      this.markClosed();
    });
  }

  /** Broker shutdown: close with amqp:connection:forced and release everything now. */
  shutdown(): void {
    const c = this.connection;
    if (c?.is_open()) c.close({ condition: Condition.connectionForced, description: 'broker is shutting down' });
    else if (!c?.is_closed()) this.guard.fail(Condition.connectionForced, 'broker is shutting down');
    this.onGoneSoon();
  }

  private onGoneSoon(): void {
    for (const link of this.outgoing.values()) link.detached(false);
    this.outgoing.clear();
  }
}
