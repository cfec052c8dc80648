/**
 * A plain TCP or TLS listener for one listener family. On a family shared by header (the AMQP
 * port) it reads the 8-byte protocol header first and hands the socket to the module whose
 * declaration accepts it; on any other family its one module gets every socket.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../log.js';
import type { ConnectionRegistry } from './connection-registry.js';
import type { ListenerFamily } from './listener-family.js';
import type { ConnectionInfo, ProtocolModule, Transport } from './protocol-module.js';
import { readProtocolHeader } from './protocol-header.js';

export interface TcpListenerOptions {
  family: ListenerFamily;
  transport: Extract<Transport, 'tcp' | 'tls'>;
  host: string;
  port: number;
  modules: ProtocolModule[];
  tls?: tls.SecureContextOptions;
  maxConnections: number;
  registry: ConnectionRegistry;
  logger: Logger;
  /** How long a client may take to send its protocol header (families shared by header). */
  headerTimeoutMs?: number;
}

export class TcpListener {
  private server: net.Server | undefined;
  private readonly logger: Logger;

  constructor(private readonly opts: TcpListenerOptions) {
    this.logger = opts.logger.child({ listener: opts.transport === 'tls' ? opts.family.tlsName : opts.family.name });
  }

  get name(): string {
    return `${this.opts.family.name}${this.opts.transport === 'tls' ? '+tls' : ''}`;
  }

  /** Start listening; resolves to the bound port (useful when configured as 0). */
  start(): Promise<number> {
    const onSocket = (socket: net.Socket): void => this.accept(socket);
    const server = this.opts.transport === 'tls'
      ? tls.createServer({ ...this.opts.tls }, onSocket)
      : net.createServer(onSocket);
    server.maxConnections = this.opts.maxConnections;
    if (server instanceof tls.Server) {
      server.on('tlsClientError', (err, socket) => {
        this.logger.warn({ err: err.message, remote: socket.remoteAddress }, 'TLS handshake failed');
        socket.destroy();
      });
    }
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.logger.error({ err }, 'listener error'));
        const addr = server.address() as net.AddressInfo;
        resolve(addr.port);
      });
    });
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.on('error', (err) => this.logger.debug({ err: err.message, remote: socket.remoteAddress }, 'socket error'));
    const info: ConnectionInfo = {
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      transport: this.opts.transport,
    };
    const modules = this.opts.modules;
    if (this.opts.family.dispatch !== 'header') {
      this.hand(modules[0]!, socket, info);
      return;
    }
    readProtocolHeader(socket, this.opts.headerTimeoutMs ?? 10_000)
      .then((header) => {
        if (!header) return; // socket closed or timed out before sending a header
        const module = modules.find((m) => m.listener.acceptsHeader?.(header));
        if (!module) {
          this.refuseHeader(socket, header, info);
          return;
        }
        socket.unshift(header);
        this.hand(module, socket, info);
        socket.resume(); // paused while the header was read; the module has attached its reader
      })
      .catch((err: unknown) => {
        this.logger.warn({ err, remote: info.remoteAddress }, 'protocol header read failed');
        socket.destroy();
      });
  }

  private hand(module: ProtocolModule, socket: net.Socket, info: ConnectionInfo): void {
    this.opts.registry.trackSocket(module.name, socket);
    module.handleSocket(socket, info);
  }

  /** A header no module takes: answer with the family's refusal header (AMQP: one the server supports), then close. */
  private refuseHeader(socket: net.Socket, header: Buffer, info: ConnectionInfo): void {
    const supported = this.opts.modules.map((m) => m.name);
    this.logger.warn({ remote: info.remoteAddress, header: header.toString('hex'), supported }, 'unsupported protocol header');
    let reply: Uint8Array | undefined;
    for (const m of this.opts.modules) {
      const r = m.listener.refusalHeader;
      reply = typeof r === 'function' ? r(header) : r;
      if (reply) break;
    }
    if (reply) socket.end(reply);
    else socket.end();
    socket.setTimeout(1000, () => socket.destroy());
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
    return new Promise((resolve) => {
      server.once('close', () => resolve());
      server.close();
      // 'close' waits for every connection; the listening handle itself is closed synchronously.
      if (!server.listening) resolve();
    });
  }
}
