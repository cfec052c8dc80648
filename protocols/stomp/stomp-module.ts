/**
 * The STOMP front-end as a ProtocolModule: STOMP 1.0/1.1/1.2 on the `stomp` listener pair
 * (61613 plain, 61614 TLS) and on the shared WebSocket port under the subprotocols `v10.stomp`,
 * `v11.stomp` and `v12.stomp` (declared in listener.ts). One StompConnection per client connection.
 *
 * `stompProtocol` is the factory with default options; `createStompProtocol(options)` tunes
 * heart-beat floors, buffers and limits (see options.ts).
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { ConnectionInfo, ProtocolFactory, ProtocolModule, ServerContext } from '../../src/server/protocol-module.js';
import type { Logger } from '../../src/log.js';
import type { ProtocolListener } from '../../src/server/listener-family.js';
import { stompListener } from './listener.js';
import { resolveOptions, type StompOptions } from './options.js';
import { StompConnection } from './stomp-connection.js';
import { SocketTransport, WebSocketTransport, type StompTransport } from './transport.js';

export { STOMP_WS_SUBPROTOCOLS } from './listener.js';

export class StompModule implements ProtocolModule {
  readonly listener: ProtocolListener = stompListener;
  readonly name = stompListener.protocol;
  private readonly connections = new Set<StompConnection>();
  private readonly logger: Logger;
  private counter = 0;
  private closing = false;

  constructor(private readonly ctx: ServerContext, private readonly options: StompOptions) {
    this.logger = ctx.logger.child({ component: 'stomp' });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  handleSocket(socket: Socket, info: ConnectionInfo): void {
    this.accept(new SocketTransport(socket, this.options.writeHighWaterBytes), info);
  }

  handleWebSocket(ws: WebSocket, subprotocol: string, info: ConnectionInfo): void {
    this.accept(new WebSocketTransport(ws, this.options.writeHighWaterBytes), { ...info }, subprotocol);
  }

  private accept(transport: StompTransport, info: ConnectionInfo, subprotocol?: string): void {
    if (this.closing) {
      transport.destroy();
      return;
    }
    this.counter += 1;
    const id = `stomp-${process.pid.toString(36)}-${Date.now().toString(36)}-${this.counter}`;
    const logger = this.logger.child({ conn: id, remote: `${info.remoteAddress}:${info.remotePort}`, transport: info.transport, ...(subprotocol ? { subprotocol } : {}) });
    const conn = new StompConnection({ ctx: this.ctx, options: this.options, transport, info, id, logger });
    this.connections.add(conn);
    void conn.closed.then(() => this.connections.delete(conn));
    logger.debug('STOMP connection accepted');
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.connections].map((c) => c.shutdown()));
  }
}

export function createStompProtocol(options: Partial<StompOptions> = {}): ProtocolFactory {
  const resolved = resolveOptions(options);
  return async (ctx) => new StompModule(ctx, resolved);
}

export const stompProtocol: ProtocolFactory = createStompProtocol();
