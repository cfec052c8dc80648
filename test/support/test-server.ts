/**
 * In-process broker for black-box protocol tests: a real BrokerServer (real listeners, real
 * store) on 127.0.0.1 with every port chosen by the OS. Clients connect to `server.ports.*`.
 */
import { loadConfig } from '../../src/config/load-config.js';
import type { Config, DeepPartial } from '../../src/config/schema.js';
import { BrokerServer } from '../../src/server/broker-server.js';
import type { ProtocolFactory } from '../../src/server/protocol-module.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { tempDir } from './broker-process.js';

export interface TestServer {
  server: BrokerServer;
  ports: BrokerServer['ports'];
  dataDir: string;
  /** Stop (graceful) and start again on the same data dir and the same ports. */
  restart(): Promise<TestServer>;
  stop(): Promise<void>;
  /** Stop and remove the data dir. */
  cleanup(): Promise<void>;
}

export async function startTestServer(opts: {
  overrides?: DeepPartial<Config>;
  protocols?: ProtocolFactory[];
  dataDir?: string;
  /** Reuse these ports (restart on the same ports). */
  ports?: BrokerServer['ports'];
} = {}): Promise<TestServer> {
  const dir = opts.dataDir ? { path: opts.dataDir, cleanup: () => undefined } : tempDir();
  const p = opts.ports;
  const overrides: DeepPartial<Config> = {
    dataDir: dir.path,
    logLevel: 'silent',
    ...opts.overrides,
    listeners: {
      host: '127.0.0.1',
      mqtt: { port: p?.mqtt ?? 0, tlsPort: p?.mqtts ?? (opts.overrides?.tls ? 0 : null) },
      amqp: { port: p?.amqp ?? 0, tlsPort: p?.amqps ?? (opts.overrides?.tls ? 0 : null) },
      stomp: { port: p?.stomp ?? 0, tlsPort: p?.stomps ?? (opts.overrides?.tls ? 0 : null) },
      aws: { port: p?.aws ?? 0, tlsPort: p?.awss ?? (opts.overrides?.tls ? 0 : null) },
      ws: { port: p?.ws ?? 0, tlsPort: p?.wss ?? (opts.overrides?.tls ? 0 : null) },
      admin: { port: p?.admin ?? 0, host: '127.0.0.1' },
      ...opts.overrides?.listeners,
    },
  };
  const config = loadConfig({ env: {}, overrides });
  const logger = process.env.TEST_LOG ? createLogger(config.logLevel === 'silent' ? 'debug' : config.logLevel, { pretty: false }) : silentLogger;
  const server = await BrokerServer.start(config, { logger, ...(opts.protocols ? { protocols: opts.protocols } : {}) });
  let stopped = false;
  const self: TestServer = {
    server,
    ports: server.ports,
    dataDir: dir.path,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
    },
    async restart() {
      await self.stop();
      return startTestServer({ ...opts, dataDir: dir.path, ports: server.ports });
    },
    async cleanup() {
      await self.stop();
      dir.cleanup();
    },
  };
  return self;
}
