/**
 * The one WebSocket port (plain and TLS): each upgrade is routed by its subprotocol
 * (`mqtt`, `v10.stomp`/`v11.stomp`/`v12.stomp`, `amqp`: each module's listener.wsSubprotocols)
 * to the module that serves it.
 * An upgrade that offers no supported subprotocol is refused with HTTP 400.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type tls from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../log.js';
import type { ConnectionRegistry } from './connection-registry.js';
import type { ConnectionInfo, ProtocolModule } from './protocol-module.js';

export interface WebSocketListenerOptions {
  transport: 'ws' | 'wss';
  host: string;
  port: number;
  modules: ProtocolModule[];
  tls?: tls.SecureContextOptions;
  maxPayloadBytes: number;
  maxConnections: number;
  registry: ConnectionRegistry;
  logger: Logger;
}

export class WebSocketListener {
  private server: http.Server | https.Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly bySubprotocol = new Map<string, ProtocolModule>();
  private readonly logger: Logger;

  constructor(private readonly opts: WebSocketListenerOptions) {
    this.logger = opts.logger.child({ listener: opts.transport });
    for (const m of opts.modules) for (const p of m.listener.wsSubprotocols) this.bySubprotocol.set(p.toLowerCase(), m);
  }

  get subprotocols(): string[] {
    return [...this.bySubprotocol.keys()];
  }

  /** Pick the first subprotocol, in the client's order, that a module serves. */
  choose(offered: Iterable<string>): string | undefined {
    for (const p of offered) if (this.bySubprotocol.has(p.toLowerCase())) return p;
    return undefined;
  }

  start(): Promise<number> {
    const server = this.opts.transport === 'wss' ? https.createServer({ ...this.opts.tls }) : http.createServer();
    server.maxConnections = this.opts.maxConnections;
    server.on('request', (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
      res.end(`WebSocket upgrade required; subprotocols: ${this.subprotocols.join(', ')}\n`);
    });
    const wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: this.opts.maxPayloadBytes,
      handleProtocols: (protocols) => this.choose(protocols) ?? false,
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
      socket.on('error', (err) => this.logger.debug({ err: err.message }, 'upgrade socket error'));
      const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      if (!this.choose(offered)) {
        this.logger.warn({ remote: socket.remoteAddress, offered }, 'WebSocket upgrade without a supported subprotocol');
        socket.end(`HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: text/plain\r\n\r\nunsupported WebSocket subprotocol; supported: ${this.subprotocols.join(', ')}\r\n`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
    });
    this.server = server;
    this.wss = wss;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.logger.error({ err }, 'listener error'));
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  private accept(ws: WebSocket, req: http.IncomingMessage): void {
    const module = this.bySubprotocol.get(ws.protocol.toLowerCase());
    if (!module) {
      ws.close(1002, 'unsupported subprotocol');
      return;
    }
    ws.on('error', (err) => this.logger.debug({ err: err.message }, 'websocket error'));
    const info: ConnectionInfo = {
      remoteAddress: req.socket.remoteAddress ?? '',
      remotePort: req.socket.remotePort ?? 0,
      transport: this.opts.transport,
    };
    this.opts.registry.trackWebSocket(module.name, ws);
    module.handleWebSocket(ws, ws.protocol, info);
  }

  /**
   * Stop accepting new connections. Resolves as soon as the listening socket is closed; open
   * connections are left to their modules (graceful close) and then to the registry (destroy),
   * so a connected client cannot hold shutdown hostage.
   */
  stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    this.wss?.close();
    return new Promise((resolve) => {
      server.once('close', () => resolve());
      server.close();
      // 'close' waits for every connection; the listening handle itself is closed synchronously.
      if (!server.listening) resolve();
    });
  }
}
