/**
 * The composition root of one broker process: leadership → admin (standby) → store → core →
 * protocol modules → listeners → active. `start` brings everything up and logs the bound ports;
 * `stop` is the graceful shutdown (stop accepting, let modules close their clients, flush the store).
 *
 * Active/standby (docs/ha.md): when the store is shared (SQLite file lock, PostgreSQL advisory
 * lock) the process first takes the store's leadership lock. While another process holds it,
 * this one is standby: only the admin listener is open (/healthz answers 503 `role: standby`,
 * /api answers 503 NOT_ACTIVE), client listeners stay closed, the store is not opened, and the
 * lock is retried every `ha.lockPollMs`. Once the lock is ours the store is opened (recovering
 * whatever the previous active left: in-flight messages become visible again, redelivered),
 * then the modules and listeners start and the role turns `active`.
 *
 * Losing the lock while active (fencing): the server stops serving at once (client listeners
 * closed, every client connection destroyed, the admin API answers 503) and then calls
 * `onLeadershipLost`, by default exiting the process with code 1 so that its supervisor
 * restarts it, as standby. Exiting at once also drops the group-commit batch still open at
 * that moment, so no write of this process reaches the store after the loss was noticed.
 */
import { readFileSync } from 'node:fs';
import type tls from 'node:tls';
import { Broker } from '../core/broker.js';
import { BrokerError } from '../core/errors.js';
import { familyPorts } from '../config/listener-keys.js';
import type { Config } from '../config/schema.js';
import { SecurityManager } from '../security/security-manager.js';
import { createStore } from '../store/create-store.js';
import { createLeadership } from '../ha/create-leadership.js';
import type { Leadership } from '../ha/leadership.js';
import type { Store } from '../core/store.js';
import { AdminServer, type Role } from '../admin/admin-server.js';
import { Histogram } from '../admin/histogram.js';
import { renderMetrics } from '../admin/metrics.js';
import type { Logger } from '../log.js';
import { VERSION } from '../version.js';
import { ConnectionRegistry } from './connection-registry.js';
import { groupFamilies, type ListenerFamily, type ProtocolRegistry } from './listener-family.js';
import type { ProtocolFactory, ProtocolModule } from './protocol-module.js';
import { BUILT_IN_PROTOCOLS, type BuiltInFamilyName, type BuiltInTlsName, loadProtocols } from './protocol-registry.js';
import { WEBSOCKET_FAMILY } from './shared-families.js';
import { TcpListener } from './tcp-listener.js';
import { WebSocketListener } from './websocket-listener.js';

/** Listener names of the built-in registry: each family's name and TLS name, ws, wss, admin. */
export type BoundPortName = BuiltInFamilyName | BuiltInTlsName | typeof WEBSOCKET_FAMILY.name | typeof WEBSOCKET_FAMILY.tlsName | 'admin';

/**
 * Bound ports by listener name: every family's plain port under its name and its TLS port under
 * its TLS name (mqtt, mqtts, amqp, amqps, stomp, stomps, ws, wss), and admin. A registry with
 * more families (tests) adds their names.
 */
export type BoundPorts = Partial<Record<BoundPortName, number>> & { [listener: string]: number | undefined };

export interface BrokerServerOptions {
  logger: Logger;
  /**
   * The protocol front-ends this server knows (their listener declarations); defaults to the
   * built-in ones. Without `protocols`, every front-end of the registry is loaded and served.
   * Load the configuration with the same registry (loadConfig's `registry`) so that its families
   * have their `listeners.<family>` keys.
   */
  registry?: ProtocolRegistry;
  /** Protocol front-ends to serve (factories, e.g. with options); defaults to every one of `registry`. */
  protocols?: ProtocolFactory[];
  /** Who is active; defaults to what the store needs (createLeadership). `null`: always active. */
  leadership?: Leadership | null;
  /**
   * Called once when this process has to wait as standby (another process holds the store's
   * lock), with the server still starting: `stop()` on it abandons the wait (`start` rejects).
   */
  onStandby?: (server: BrokerServer) => void;
  /**
   * Called after leadership was lost and the server has stopped serving (fenced). Default: log,
   * flush the log and exit the process with code 1 (a supervisor restarts it as standby).
   */
  onLeadershipLost?: (reason: Error) => void;
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
  readonly security: SecurityManager;
  readonly connections = new ConnectionRegistry();
  /** The store's leadership lock (null for a store nobody shares). */
  readonly leadership: Leadership | null;
  private readonly tcpListeners: TcpListener[] = [];
  private readonly wsListeners: WebSocketListener[] = [];
  private modules: ProtocolModule[] = [];
  private admin: AdminServer | undefined;
  private role: Role = 'standby';
  private stopping: Promise<void> | undefined;
  private fenced = false;
  private activeBroker: Broker | undefined;
  private activeStore: Store | undefined;
  private readonly storeCommitSeconds = new Histogram();
  private readonly logger: Logger;

  private constructor(
    readonly config: Config,
    private readonly opts: BrokerServerOptions,
  ) {
    this.logger = opts.logger;
    this.security = new SecurityManager(config.security, opts.logger.child({ component: 'security' }));
    this.leadership = opts.leadership !== undefined ? opts.leadership : createLeadership(config, opts.logger);
  }

  /**
   * Start: admin listener as standby, wait for the store's lock, then open the store, the core,
   * the protocol modules and the client listeners. Resolves once active.
   */
  static async start(config: Config, opts: BrokerServerOptions): Promise<BrokerServer> {
    const server = new BrokerServer(config, opts);
    try {
      await server.startAdmin();
      await server.waitForLeadership();
      await server.activate(opts.protocols ?? await loadProtocols(opts.registry ?? BUILT_IN_PROTOCOLS));
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  /** The core; throws NOT_ACTIVE before the server is active. */
  get broker(): Broker {
    if (!this.activeBroker) throw new BrokerError('NOT_ACTIVE', `this broker is ${this.role}`);
    return this.activeBroker;
  }

  /** The store; throws NOT_ACTIVE before the server is active. */
  get store(): Store {
    if (!this.activeStore) throw new BrokerError('NOT_ACTIVE', `this broker is ${this.role}`);
    return this.activeStore;
  }

  get currentRole(): Role {
    return this.role;
  }

  private async waitForLeadership(): Promise<void> {
    const leadership = this.leadership;
    if (!leadership) return;
    const acquired = leadership.acquire();
    // Logged as standby only when the lock is not ours straight away.
    let timer: NodeJS.Timeout | undefined;
    const quick = await Promise.race([
      acquired.then(() => true),
      new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), 50); }),
    ]).finally(() => clearTimeout(timer));
    if (!quick && !this.stopping) {
      this.logger.info({ ports: { admin: this.ports.admin }, lock: leadership.kind, pollMs: this.config.ha.lockPollMs, version: VERSION }, 'interchange broker standby');
      this.opts.onStandby?.(this);
    }
    const waitStarted = Date.now();
    await acquired;
    if (this.stopping) throw new BrokerError('NOT_ACTIVE', 'stopped while standing by');
    if (!quick) this.logger.info({ waitedMs: Date.now() - waitStarted }, 'store lock acquired: taking over as active');
    leadership.onLost((reason) => this.fence(reason));
  }

  private async activate(factories: ProtocolFactory[]): Promise<void> {
    const { config, logger } = this;
    const t0 = performance.now();
    const store = createStore(config, logger, {
      onCommit: (ms) => this.storeCommitSeconds.observe(ms / 1000),
      onError: (err) => logger.error({ err }, 'store write failed'),
    });
    await store.open();
    this.activeStore = store;
    this.activeBroker = await Broker.open({
      store,
      logger,
      autoCreate: config.destinations.autoCreate,
      queueDefaults: config.destinations.queueDefaults,
      topicDefaults: config.destinations.topicDefaults,
      streamDefaults: config.destinations.streamDefaults,
      maxMessageBytes: config.limits.maxMessageBytes,
    });
    const recoveredMs = Math.round(performance.now() - t0);
    await this.startModules(factories);
    await this.startListeners();
    if (this.stopping) throw new BrokerError('NOT_ACTIVE', 'stopped while starting');
    this.role = 'active';
    logger.info({ ports: this.ports, version: VERSION, store: config.store.type, ha: this.leadership?.kind ?? 'none', recoveredMs }, 'interchange broker started');
  }

  private async startModules(factories: ProtocolFactory[]): Promise<void> {
    for (const factory of factories) {
      const module = await factory({ broker: this.broker, security: this.security, config: this.config, logger: this.logger });
      this.modules.push(module);
      if (module.name !== module.listener.protocol) {
        throw new BrokerError('CONFIG_INVALID', `protocol module ${module.name} carries the listener declaration of ${module.listener.protocol}`);
      }
    }
  }

  /** The port pair configured for a family; a family the configuration has no keys for is a configuration error. */
  private portsOf(family: ListenerFamily, protocols: readonly string[]): { port: number | null; tlsPort: number | null } {
    const pair = familyPorts(this.config.listeners, family.name);
    if (!pair) {
      throw new BrokerError('CONFIG_INVALID', `no listeners.${family.name} in the configuration for ${protocols.join(', ')}: load the configuration with the protocol registry that lists ${protocols.length > 1 ? 'them' : 'it'}`);
    }
    return pair;
  }

  /**
   * One TCP (and, with `tls`, one TLS) listener per family the running modules are on, in
   * module order, then the WebSocket pair when any module has WebSocket subprotocols. The
   * families come from the modules' listener declarations (groupFamilies checks they agree).
   */
  private async startListeners(): Promise<void> {
    const { listeners, limits } = this.config;
    const tlsOptions = loadTlsOptions(this.config);
    for (const { family, protocols } of groupFamilies(this.modules.map((m) => m.listener))) {
      const modules = protocols.map((p) => this.modules.find((m) => m.listener === p)!);
      const pair = this.portsOf(family, protocols.map((p) => p.protocol));
      const specs: Array<{ transport: 'tcp' | 'tls'; port: number | null; key: string }> = [
        { transport: 'tcp', port: pair.port, key: family.name },
        { transport: 'tls', port: tlsOptions ? pair.tlsPort : null, key: family.tlsName },
      ];
      for (const spec of specs) {
        if (spec.port === null) continue;
        const listener = new TcpListener({
          family, transport: spec.transport, host: listeners.host, port: spec.port, modules,
          ...(spec.transport === 'tls' && tlsOptions ? { tls: tlsOptions } : {}),
          maxConnections: limits.maxConnections, registry: this.connections, logger: this.logger,
        });
        this.tcpListeners.push(listener);
        this.ports[spec.key] = await this.listen(listener, `${family.name} ${spec.transport}`, spec.port);
      }
    }
    const wsModules = this.modules.filter((m) => m.listener.wsSubprotocols.length > 0);
    if (wsModules.length === 0) return;
    const wsPair = this.portsOf(WEBSOCKET_FAMILY, wsModules.map((m) => m.name));
    const wsSpecs: Array<{ transport: 'ws' | 'wss'; port: number | null; key: string }> = [
      { transport: 'ws', port: wsPair.port, key: WEBSOCKET_FAMILY.name },
      { transport: 'wss', port: tlsOptions ? wsPair.tlsPort : null, key: WEBSOCKET_FAMILY.tlsName },
    ];
    for (const spec of wsSpecs) {
      if (spec.port === null) continue;
      const listener = new WebSocketListener({
        transport: spec.transport, host: listeners.host, port: spec.port, modules: wsModules,
        ...(spec.transport === 'wss' && tlsOptions ? { tls: tlsOptions } : {}),
        maxPayloadBytes: Math.max(limits.maxFrameBytes, ...wsModules.map((m) => m.maxFrameBytes ?? 0)), maxConnections: limits.maxConnections,
        registry: this.connections, logger: this.logger,
      });
      this.wsListeners.push(listener);
      this.ports[spec.key] = await this.listen(listener, spec.transport, spec.port);
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
      broker: () => (this.role === 'active' ? this.activeBroker : undefined),
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

  /**
   * Leadership lost: stop serving now (synchronously: no new connections, every client
   * connection destroyed, admin API and /healthz report 'stopping'), then hand over to
   * onLeadershipLost (default: exit 1).
   */
  private fence(reason: Error): void {
    if (this.fenced) return;
    this.fenced = true;
    const wasStopping = this.stopping !== undefined;
    this.role = 'stopping';
    this.logger.fatal({ err: reason }, 'leadership lost: fencing, this broker stops serving now');
    for (const l of [...this.tcpListeners, ...this.wsListeners]) {
      l.stop().catch((err: unknown) => this.logger.error({ err }, 'listener failed to stop'));
    }
    this.connections.destroyAll();
    if (wasStopping) return; // a graceful stop is already under way
    const handler = this.opts.onLeadershipLost ?? ((): void => {
      this.logger.fatal('exiting with code 1; restart this process to run it as standby');
      this.logger.flush();
      process.exit(1);
    });
    handler(reason);
  }

  /** Graceful shutdown: stop accepting, close protocol sessions, flush and close the store, release the lock. */
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
    if (this.activeBroker) {
      try {
        await this.activeBroker.close();
      } catch (err) {
        this.logger.error({ err }, 'broker failed to close cleanly');
      }
    }
    if (this.activeStore) await this.activeStore.close();
    // The lock goes last: the store is closed before another process may open it.
    await this.leadership?.close();
    await this.admin?.stop();
    this.logger.info(this.activeStore ? 'stopped; store flushed and closed' : 'stopped (was standby)');
  }
}
