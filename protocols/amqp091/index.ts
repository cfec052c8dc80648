/**
 * The AMQP 0-9-1 front-end (RabbitMQ clients). It shares the AMQP port with AMQP 1.0: the
 * TcpListener reads the 8-byte protocol header and hands over connections that open with
 * `AMQP 0 0 9 1`. Over WebSocket it serves the subprotocol `amqp091` (and `amqpl`, a name some
 * RabbitMQ Web-AMQP clients use); `amqp` is AMQP 1.0's.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { ProtocolListener } from '../../src/server/listener-family.js';
import type { ConnectionInfo, ProtocolFactory, ProtocolModule, ServerContext } from '../../src/server/protocol-module.js';
import { Amqp091Connection } from './connection.js';
import { resolveOptions, type Amqp091Options, type ResolvedOptions } from './options.js';
import { PublishBacklog } from './publish-backlog.js';
import { QueueOwnership } from './queue-ownership.js';
import { amqp091Listener } from './listener.js';
import { socketTransport, webSocketTransport, type Amqp091Transport } from './transport.js';

export { isAmqp091Header } from './listener.js';

class Amqp091Module implements ProtocolModule {
  readonly name = 'amqp091';
  readonly listener: ProtocolListener = amqp091Listener;
  private readonly connections = new Set<Amqp091Connection>();
  private readonly options: ResolvedOptions;
  private readonly ownership = new QueueOwnership();
  private readonly backlog: PublishBacklog;
  private closing = false;

  constructor(private readonly ctx: ServerContext, options: Amqp091Options) {
    this.options = resolveOptions(options, ctx.config.limits);
    this.backlog = new PublishBacklog(this.options.blockedHighWater);
  }

  handleSocket(socket: Socket, info: ConnectionInfo): void {
    this.track(socketTransport(socket, this.options.writeHighWaterBytes), info);
  }

  handleWebSocket(ws: WebSocket, _subprotocol: string, info: ConnectionInfo): void {
    this.track(webSocketTransport(ws, this.options.writeHighWaterBytes), info);
  }

  private track(t: Amqp091Transport, info: ConnectionInfo): void {
    if (this.closing) {
      t.destroy();
      return;
    }
    const c = new Amqp091Connection({ ctx: this.ctx, options: this.options, ownership: this.ownership, backlog: this.backlog }, t, info);
    this.connections.add(c);
    void c.closed.then(() => this.connections.delete(c));
  }

  async close(): Promise<void> {
    this.closing = true;
    const all = [...this.connections];
    for (const c of all) c.shutdown();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(all.map((c) => c.closed)),
      new Promise<void>((resolve) => { timer = setTimeout(resolve, this.options.closeTimeoutMs); }),
    ]);
    if (timer) clearTimeout(timer);
  }
}

export function createAmqp091Protocol(options: Amqp091Options = {}): ProtocolFactory {
  return async (ctx) => new Amqp091Module(ctx, options);
}

export const amqp091Protocol: ProtocolFactory = createAmqp091Protocol();
