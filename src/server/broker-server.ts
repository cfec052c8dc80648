/**
 * The composition root of one broker process: store → core → security → protocol modules →
 * listeners → admin. `start` brings everything up and logs the bound ports; `stop` is the
 * graceful shutdown (stop accepting, let modules close their clients, flush the store).
 */
import { readFileSync } from 'node:fs';
import type tls from 'node:tls';
import { Broker } from '../core/broker.js';
import { BrokerError } from '../core/errors.js';
import type { Config } from '../config/schema.js';
import { SecurityManager } from '../security/security-manager.js';
import { createStore } from '../store/create-store.js';
import type { Store } from '../store/store.js';
import { AdminServer, type Role } from '../admin/admin-server.js';
import { Histogram } from '../admin/histogram.js';
import { renderMetrics } from '../admin/metrics.js';
import type { Logger } from '../log.js';
import { VERSION } from '../version.js';
import { ConnectionRegistry } from './connection-registry.js';
import type { ListenerFamily, ProtocolFactory, ProtocolModule } from './protocol-module.js';
import { builtInProtocols } from './protocol-registry.js';
import { TcpListener } from './tcp-listener.js';
import { WebSocketListener } from './websocket-listener.js';

/** Bound ports by listener name (mqtt, mqtts, amqp, amqps, stomp, stomps, ws, wss, admin). */
export type BoundPorts = Partial<Record<'mqtt' | 'mqtts' | 'amqp' | 'amqps' | 'stomp' | 'stomps' | 'ws' | 'wss' | 'admin', number>>;

export interface BrokerServerOptions {
  logger: Logger;
  /** Protocol front-ends to serve; defaults to every built-in one. */
  protocols?: ProtocolFactory[];
}

export function loadTlsOptions(config: Config): tls.SecureContextOptions | undefined {
  if (!config.tls) return undefined;
  const t = config.tls;
  return {
    cert: readFileSync(t.cert),
    key: readFileSync(t.key),
    ...(t.ca ? { ca: readFileSync(t.ca), requestCert: true, rejectUnauthorized: true } : {}),
    ...(t.passphrase ? { passphrase: t.passphrase } : {}),
  };
}

export class BrokerServer {
  readonly ports: BoundPorts = {};
  private readonly tcpListeners: TcpListener[] = [];
  private readonly wsListeners: WebSocketListener[] = [];
  private modules: ProtocolModule[] = [];
  private admin: AdminServer | undefined;
  private role: Role = 'active';
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly config: Config,
    readonly broker: Broker,
    readonly store: Store,
    readonly security: SecurityManager,
    readonly connections: ConnectionRegistry,
    private readonly storeCommitSeconds: Histogram,
    private readonly logger: Logger,
  ) {}

  static async start(config: Config, opts: BrokerServerOptions): Promise<BrokerServer> {
    const logger = opts.logger;
    const storeCommitSeconds = new Histogram();
    const store = createStore(config, logger, {
      onCommit: (ms) => storeCommitSeconds.observe(ms / 1000),
      onError: (err) => logger.error({ err }, 'store write failed'),
    });
    await store.open();
    let broker: Broker;
    try {
      broker = await Broker.open({
        store,
        logger,
        autoCreate: config.destinations.autoCreate,
        queueDefaults: config.destinations.queueDefaults,
        topicDefaults: config.destinations.topicDefaults,
        streamDefaults: config.destinations.streamDefaults,
        maxMessageBytes: config.limits.maxMessageBytes,
      });
    } catch (err) {
      await store.close();
      throw err;
    }
    const security = new SecurityManager(config.security, logger.child({ component: 'security' }));
    const server = new BrokerServer(config, broker, store, security, new ConnectionRegistry(), storeCommitSeconds, logger);
    try {
      await server.startModules(opts.protocols ?? builtInProtocols);
      await server.startListeners();
      await server.startAdmin();
    } catch (err) {
      await server.stop();
      throw err;
    }
    logger.info({ ports: server.ports, version: VERSION, store: config.store.type }, 'interchange broker started');
    return server;
  }

  private async startModules(factories: ProtocolFactory[]): Promise<void> {
    for (const factory of factories) {
      this.modules.push(await factory({ broker: this.broker, security: this.security, config: this.config, logger: this.logger }));
    }
  }

  private async startListeners(): Promise<void> {
    const { listeners, limits } = this.config;
    const tlsOptions = loadTlsOptions(this.config);
    const families: ListenerFamily[] = ['mqtt', 'amqp', 'stomp'];
    for (const family of families) {
      const modules = this.modules.filter((m) => m.listener === family);
      if (modules.length === 0) continue;
      const pair = listeners[family];
      const specs: Array<{ transport: 'tcp' | 'tls'; port: number | null; key: keyof BoundPorts }> = [
        { transport: 'tcp', port: pair.port, key: family },
        { transport: 'tls', port: tlsOptions ? pair.tlsPort : null, key: `${family}s` as keyof BoundPorts },
      ];
      for (const spec of specs) {
        if (spec.port === null) continue;
        const listener = new TcpListener({
          family, transport: spec.transport, host: listeners.host, port: spec.port, modules,
          ...(spec.transport === 'tls' && tlsOptions ? { tls: tlsOptions } : {}),
          maxConnections: limits.maxConnections, registry: this.connections, logger: this.logger,
        });
        this.tcpListeners.push(listener);
        this.ports[spec.key] = await this.listen(listener, `${family} ${spec.transport}`, spec.port);
      }
    }
    const wsModules = this.modules.filter((m) => m.wsSubprotocols.length > 0);
    if (wsModules.length === 0) return;
    const wsSpecs: Array<{ transport: 'ws' | 'wss'; port: number | null }> = [
      { transport: 'ws', port: listeners.ws.port },
      { transport: 'wss', port: tlsOptions ? listeners.ws.tlsPort : null },
    ];
    for (const spec of wsSpecs) {
      if (spec.port === null) continue;
      const listener = new WebSocketListener({
        transport: spec.transport, host: listeners.host, port: spec.port, modules: wsModules,
        ...(spec.transport === 'wss' && tlsOptions ? { tls: tlsOptions } : {}),
        maxPayloadBytes: limits.maxFrameBytes, maxConnections: limits.maxConnections,
        registry: this.connections, logger: this.logger,
      });
      this.wsListeners.push(listener);
      this.ports[spec.transport] = await this.listen(listener, spec.transport, spec.port);
    }
  }

  private async listen(listener: { start(): Promise<number> }, what: string, port: number): Promise<number> {
    try {
      return await listener.start();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new BrokerError('CONFIG_INVALID', `cannot listen for ${what} on ${this.config.listeners.host}:${port}${code ? ` (${code})` : ''}`, { cause: err });
    }
  }

  private async startAdmin(): Promise<void> {
    const { admin } = this.config.listeners;
    if (admin.port === null) return;
    this.admin = new AdminServer({
      host: admin.host,
      port: admin.port,
      security: this.security,
      logger: this.logger,
      version: VERSION,
      broker: () => (this.role === 'active' ? this.broker : undefined),
      role: () => this.role,
      metrics: () => renderMetrics({
        broker: this.broker,
        connections: this.connections,
        storeCommitSeconds: this.storeCommitSeconds,
        protocols: this.modules.map((m) => m.name),
      }),
      maxBodyBytes: this.config.limits.maxMessageBytes * 2 + 65_536,
    });
    this.ports.admin = await this.listen(this.admin, 'admin http', admin.port);
  }

  /** Graceful shutdown: stop accepting, close protocol sessions, flush and close the store. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.role = 'stopping';
    this.logger.info('stopping: no new connections');
    await Promise.all([...this.tcpListeners, ...this.wsListeners].map((l) => l.stop()));
    for (const m of this.modules) {
      try {
        await m.close();
      } catch (err) {
        this.logger.error({ err, protocol: m.name }, 'protocol module failed to close cleanly');
      }
    }
    this.connections.destroyAll();
    await this.broker.close();
    await this.store.close();
    await this.admin?.stop();
    this.logger.info('stopped; store flushed and closed');
  }
}
