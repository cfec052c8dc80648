/**
 * The AMQP 1.0 front-end (rhea 3.x as the protocol engine). It shares the AMQP port with
 * AMQP 0-9-1: the TcpListener reads the 8-byte protocol header and hands over connections that
 * open with `AMQP 0 1 0 0` (plain) or `AMQP 3 1 0 0` (SASL). WebSocket clients use the
 * subprotocol `amqp` on the shared WebSocket port. Both are declared in listener.ts.
 */
import type { WebSocket } from 'ws';
import type { Socket } from 'node:net';
import { FRAME_OVERHEAD_BYTES } from '../../src/config/schema.js';
import { DEFAULT_SESSION_LIMITS } from '../../src/core/session/server-session.js';
import type { ProtocolListener } from '../../src/server/listener-family.js';
import type { ConnectionInfo, ProtocolFactory, ProtocolModule, ServerContext } from '../../src/server/protocol-module.js';
import { VERSION } from '../../src/version.js';
import { socketTransport, webSocketTransport } from './byte-transport.js';
import { AmqpConnection, type ConnectionSettings } from './connection.js';
import type { Amqp10Limits } from './link-context.js';
import { amqp10Listener } from './listener.js';

export { isAmqp10Header } from './listener.js';

export interface Amqp10Options {
  /** A connection silent this long is closed with amqp:resource-limit-exceeded. Default 60 s. */
  idleTimeoutMs?: number;
  /** Credit window granted to each client sender. Default 256. */
  incomingWindow?: number;
  /** Messages held per non-durable topic receiver without credit. Default 1000. */
  liveBuffer?: number;
  /** Most unacked deliveries per queue receiver. Default 10 000. */
  prefetch?: number;
  /** How long close() waits for clients to finish closing. Default 2 s. */
  closeTimeoutMs?: number;
  /** Local transactions: open at once per connection (default 100), staged operations (10 000) and message bytes (64 MiB) per transaction. */
  transactions?: Partial<Amqp10Limits['transactions']>;
}

const CLOSE_TIMEOUT_MS = 2000;

class Amqp10Module implements ProtocolModule {
  readonly listener: ProtocolListener = amqp10Listener;
  readonly name = amqp10Listener.protocol;
  private readonly connections = new Set<AmqpConnection>();
  private readonly settings: ConnectionSettings;
  private closing = false;

  constructor(private readonly ctx: ServerContext, private readonly options: Amqp10Options) {
    const limits: Amqp10Limits = {
      maxFrameBytes: ctx.config.limits.maxFrameBytes,
      maxMessageBytes: ctx.config.limits.maxMessageBytes + FRAME_OVERHEAD_BYTES,
      incomingWindow: options.incomingWindow ?? 256,
      liveBuffer: options.liveBuffer ?? 1000,
      prefetch: options.prefetch ?? 10_000,
      transactions: {
        maxOpen: options.transactions?.maxOpen ?? DEFAULT_SESSION_LIMITS.maxTransactions,
        maxOperations: options.transactions?.maxOperations ?? DEFAULT_SESSION_LIMITS.maxTransactionOperations,
        maxBytes: options.transactions?.maxBytes ?? DEFAULT_SESSION_LIMITS.maxTransactionBytes,
      },
    };
    this.settings = {
      containerId: `interchange-${VERSION}`,
      limits,
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
      properties: { product: 'interchange', version: VERSION },
    };
  }

  handleSocket(socket: Socket, info: ConnectionInfo): void {
    this.track(new AmqpConnection(this.ctx, this.settings, socketTransport(socket), info));
  }

  handleWebSocket(ws: WebSocket, _subprotocol: string, info: ConnectionInfo): void {
    this.track(new AmqpConnection(this.ctx, this.settings, webSocketTransport(ws, `${info.remoteAddress}:${info.remotePort}`), info));
  }

  private track(c: AmqpConnection): void {
    if (this.closing) {
      c.shutdown();
      return;
    }
    this.connections.add(c);
    void c.closed.then(() => this.connections.delete(c));
  }

  async close(): Promise<void> {
    this.closing = true;
    const all = [...this.connections];
    for (const c of all) c.shutdown();
    const timeout = this.options.closeTimeoutMs ?? CLOSE_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(all.map((c) => c.closed)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeout);
      }),
    ]);
    if (timer) clearTimeout(timer);
  }
}

/** A factory with options (tests use short idle timeouts). */
export function createAmqp10Protocol(options: Amqp10Options = {}): ProtocolFactory {
  return async (ctx) => new Amqp10Module(ctx, options);
}

export const amqp10Protocol: ProtocolFactory = createAmqp10Protocol();
