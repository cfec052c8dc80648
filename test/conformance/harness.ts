/**
 * One real broker per scenario file (test/support/test-server.ts: ephemeral ports, SQLite store
 * in a temp dir), the connections a test opened (closed after each test), and admin API reads.
 */
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import type { Config, DeepPartial } from '../../src/config/schema.js';
import type { ProtocolFactory } from '../../src/server/protocol-module.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import type { Capabilities, Connection, ConnectOptions, Driver } from './driver.js';
import { mqttDriver } from './drivers/mqtt-mqttjs.js';
import { rheaDriver } from './drivers/amqp10-rhea.js';
import { stompJsDriver } from './drivers/stomp-stompjs-ws.js';
import { stompitDriver } from './drivers/stomp-stompit.js';
import { amqplibDriver } from './drivers/amqp091-amqplib.js';

export const drivers: Driver[] = [stompitDriver, stompJsDriver, rheaDriver, mqttDriver, amqplibDriver];

export function withCapability(...caps: Array<keyof Capabilities>): Driver[] {
  return drivers.filter((d) => caps.every((c) => d.capabilities[c]));
}

/**
 * `describe(driver.name)` for every driver; drivers lacking one of `caps` get a skipped test
 * whose name says why (so the report shows what is not covered and why).
 */
export function eachDriver(caps: Array<keyof Capabilities>, body: (d: Driver) => void): void {
  for (const d of drivers) {
    const missing = caps.filter((c) => !d.capabilities[c]);
    describe(d.name, () => {
      if (missing.length === 0) body(d);
      else it.skip(`not applicable: ${missing.map((c) => `${c}: ${d.notes[c] ?? 'not supported'}`).join('; ')}`, () => undefined);
    });
  }
}

export interface Harness {
  readonly server: TestServer;
  connect(driver: Driver, opts?: ConnectOptions): Promise<Connection>;
  /** Disconnect every open connection, then restart the broker on the same store and ports. */
  restart(): Promise<void>;
  /** Queue stats from the admin API (404 → undefined). */
  queueStats(name: string): Promise<{ visible: number; inFlight: number; consumers: number } | undefined>;
  closeAll(): Promise<void>;
}

export function useBroker(opts: {
  /** Config overrides, or a function computing them (e.g. hashing passwords) before the start. */
  overrides?: DeepPartial<Config> | (() => Promise<DeepPartial<Config>>);
  protocols?: ProtocolFactory[];
} = {}): Harness {
  let server: TestServer | undefined;
  const open = new Set<Connection>();
  const h: Harness = {
    get server() {
      if (!server) throw new Error('the broker is not started');
      return server;
    },
    async connect(driver, connectOpts = {}) {
      const c = await driver.connect(h.server, connectOpts);
      open.add(c);
      return c;
    },
    async restart() {
      await h.closeAll();
      server = await h.server.restart();
    },
    async queueStats(name) {
      const res = await fetch(`http://127.0.0.1:${h.server.ports.admin!}/api/queues/${encodeURIComponent(name)}`).catch(() =>
        // After a restart on the same port a pooled keep-alive connection may be dead: retry once.
        fetch(`http://127.0.0.1:${h.server.ports.admin!}/api/queues/${encodeURIComponent(name)}`));
      if (res.status === 404) {
        await res.text();
        return undefined;
      }
      if (res.status !== 200) throw new Error(`GET /api/queues/${name}: HTTP ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { stats: { visible: number; inFlight: number; consumers: number } }).stats;
    },
    async closeAll() {
      const all = [...open];
      open.clear();
      await Promise.all(all.map((c) => c.disconnect().catch(() => undefined)));
    },
  };
  beforeAll(async () => {
    const overrides = typeof opts.overrides === 'function' ? await opts.overrides() : opts.overrides;
    server = await startTestServer({ ...(overrides ? { overrides } : {}), ...(opts.protocols ? { protocols: opts.protocols } : {}) });
  });
  afterEach(async () => {
    await h.closeAll();
  });
  afterAll(async () => {
    await h.closeAll();
    await server?.cleanup();
  });
  return h;
}

let counter = 0;
/** A destination name unique within the run: `conf.<scenario>.<driver>.<n>` (one core level per part). */
export function uniqueName(scenario: string, driver: Driver | string): string {
  const d = typeof driver === 'string' ? driver : driver.id;
  counter += 1;
  return `conf.${scenario}.${d}.${counter}`;
}
