/**
 * STOMP front-end benchmark: a real in-process BrokerServer (SQLite store, durable queues) driven
 * over TCP by a minimal STOMP client built on the project's own frame codec (so the numbers
 * measure the broker, not a client library).
 *
 *   npx tsx bench/stomp-bench.ts [--messages N] [--window W] [--producers P] [--sizes 256,4096] [--dir DIR]
 *                                [--non-persistent]   (protocol overhead without the store)
 *                                [--target HOST:PORT --login U --passcode P]   (another STOMP broker,
 *                                 e.g. RabbitMQ's STOMP plugin, instead of the in-process one)
 *
 * Client and broker share one process and event loop, so the figures are conservative; the
 * first scenario also pays for JIT warm-up (use 20 000+ messages).
 * Scenarios, per body size:
 *   send (pipelined)   P connections, each keeping W persistent SENDs with `receipt` outstanding;
 *                      latency = SEND written → RECEIPT read (the store commit is inside it)
 *   send (sync)        1 connection, 1 outstanding SEND: the per-message durable round trip
 *   consume            a queue pre-filled with N persistent messages, one subscriber with
 *                      ack:client-individual and prefetch 1000, an ACK per message; ends when the
 *                      queue is empty (the deletes are committed)
 *   end-to-end         producer (pipelined, receipts) and consumer (client-individual) at once;
 *                      latency = SEND written → MESSAGE read
 */
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createStompProtocol } from '../protocols/stomp/stomp-module.js';
import { StompParser } from '../protocols/stomp/frame-parser.js';
import { encodeFrame } from '../protocols/stomp/frame-writer.js';
import { header, type StompFrame } from '../protocols/stomp/frame.js';
import { loadConfig } from '../src/config/load-config.js';
import { BrokerServer } from '../src/server/broker-server.js';
import { silentLogger } from '../src/log.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    window: { type: 'string', default: '100' },
    producers: { type: 'string', default: '4' },
    sync: { type: 'string', default: '500' },
    sizes: { type: 'string', default: '256,4096' },
    dir: { type: 'string' },
    'non-persistent': { type: 'boolean', default: false },
    target: { type: 'string' },
    login: { type: 'string' },
    passcode: { type: 'string' },
  },
});
const LOGIN: Record<string, string> = {
  ...(values.login !== undefined ? { login: values.login } : {}),
  ...(values.passcode !== undefined ? { passcode: values.passcode } : {}),
};
const PERSISTENT = values['non-persistent'] ? 'false' : 'true';
const KIND = values['non-persistent'] ? 'non-persistent' : 'persistent';
const N = Number(values.messages);
const W = Number(values.window);
const P = Number(values.producers);
const SYNC_N = Number(values.sync);
const SIZES = values.sizes.split(',').map(Number);

class Client {
  private readonly parser: StompParser;
  private readonly waiters = new Map<string, () => void>();
  onMessage: (f: StompFrame) => void = () => undefined;
  private connected!: () => void;

  private constructor(readonly socket: net.Socket) {
    this.parser = new StompParser({
      maxFrameBytes: 1 << 24, maxHeaders: 1000, maxHeaderLineBytes: 65536,
      onFrame: (f) => {
        if (f.command === 'RECEIPT') {
          const id = header(f, 'receipt-id')!;
          const w = this.waiters.get(id);
          this.waiters.delete(id);
          w?.();
        } else if (f.command === 'MESSAGE') this.onMessage(f);
        else if (f.command === 'CONNECTED') this.connected();
        else if (f.command === 'ERROR') throw new Error(`ERROR: ${header(f, 'message')}`);
      },
    });
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => this.parser.push(c));
  }

  static async open(target: Target): Promise<Client> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ port: target.port, host: target.host }, () => resolve(s));
      s.once('error', reject);
    });
    const c = new Client(socket);
    await new Promise<void>((resolve) => {
      c.connected = resolve;
      c.frame('CONNECT', { 'accept-version': '1.2', host: '/', ...LOGIN });
    });
    return c;
  }

  private corked = false;

  frame(command: string, headers: Record<string, string>, body?: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(encodeFrame({ command, headers: Object.entries(headers), body: body ?? Buffer.alloc(0) }, '1.2'));
  }

  /** Write a frame with a receipt header; resolves when the RECEIPT arrives. */
  request(command: string, headers: Record<string, string>, id: string, body?: Buffer): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.set(id, resolve);
      this.frame(command, { ...headers, receipt: id }, body);
    });
  }

  async close(): Promise<void> {
    await this.request('DISCONNECT', {}, 'bye');
    this.socket.destroy();
  }
}

interface Target {
  host: string;
  port: number;
}

interface Row {
  scenario: string;
  size: number;
  messages: number;
  seconds: number;
  latencyMs: number[];
}

async function sendPipelined(port: Target, queue: string, count: number, producers: number, window: number, body: Buffer, latency: number[]): Promise<number> {
  const clients = await Promise.all(Array.from({ length: producers }, () => Client.open(port)));
  let next = 0;
  const t0 = performance.now();
  await Promise.all(clients.map(async (c, ci) => {
    const lane = async (li: number): Promise<void> => {
      while (next < count) {
        const n = next++;
        const t = performance.now();
        await c.request('SEND', { destination: `/queue/${queue}`, persistent: PERSISTENT, sent: String(t) }, `${ci}-${li}-${n}`, body);
        latency.push(performance.now() - t);
      }
    };
    await Promise.all(Array.from({ length: window }, (_, li) => lane(li)));
  }));
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(clients.map((c) => c.close()));
  return seconds;
}

/** Ends when the RECEIPT of the last ACK arrived: every ACK before it was processed (for Interchange: the deletes committed). */
async function consume(port: Target, queue: string, count: number, latency: number[], onStart?: () => void): Promise<number> {
  const c = await Client.open(port);
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  c.onMessage = (f) => {
    const sent = Number(header(f, 'sent'));
    if (Number.isFinite(sent)) latency.push(performance.now() - sent);
    received += 1;
    if (received < count) c.frame('ACK', { id: header(f, 'ack')! });
    else void c.request('ACK', { id: header(f, 'ack')! }, 'last-ack').then(done);
  };
  const t0 = performance.now();
  c.frame('SUBSCRIBE', { id: 'bench', destination: `/queue/${queue}`, ack: 'client-individual', 'activemq.prefetchSize': '1000', 'prefetch-count': '1000' });
  onStart?.();
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  await c.close();
  return seconds;
}

function pct(sorted: number[], p: number): string {
  if (sorted.length === 0) return '-';
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(2);
}

function print(rows: Row[]): void {
  console.log('| scenario | body | messages | msg/s | MB/s | p50 ms | p95 ms | p99 ms |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const s = [...r.latencyMs].sort((a, b) => a - b);
    const rate = r.messages / r.seconds;
    console.log(`| ${r.scenario} | ${r.size} B | ${r.messages} | ${Math.round(rate)} | ${((rate * r.size) / 1e6).toFixed(1)} | ${pct(s, 50)} | ${pct(s, 95)} | ${pct(s, 99)} |`);
  }
}

async function main(): Promise<void> {
  let server: BrokerServer | undefined;
  let dir: string | undefined;
  let port: Target;
  if (values.target !== undefined) {
    const [host, p] = values.target.split(':');
    port = { host: host || '127.0.0.1', port: Number(p) };
  } else {
    dir = mkdtempSync(join(values.dir ?? tmpdir(), 'interchange-stomp-bench-'));
    server = await startServer(dir);
    port = { host: '127.0.0.1', port: server.ports.stomp! };
  }
  const rows: Row[] = [];
  try {
    for (const size of SIZES) {
      const body = Buffer.alloc(size, 0x61);
      const q = `bench.${size}.${Date.now().toString(36)}`;
      let lat: number[] = [];
      let secs = await sendPipelined(port, q, N, P, W, body, lat);
      rows.push({ scenario: `send ${KIND}, ${P}×${W} in flight, receipts`, size, messages: N, seconds: secs, latencyMs: lat });
      lat = [];
      secs = await consume(port, q, N, lat);
      rows.push({ scenario: 'consume client-individual, prefetch 1000', size, messages: N, seconds: secs, latencyMs: [] });
      lat = [];
      secs = await sendPipelined(port, `${q}.sync`, SYNC_N, 1, 1, body, lat);
      rows.push({ scenario: `send ${KIND}, 1 in flight (sync)`, size, messages: SYNC_N, seconds: secs, latencyMs: lat });
      await consume(port, `${q}.sync`, SYNC_N, []);
      lat = [];
      const e2eQueue = `${q}.e2e`;
      let producing: Promise<number> | undefined;
      const consumed = consume(port, e2eQueue, N, lat, () => {
        producing = sendPipelined(port, e2eQueue, N, 1, W, body, []);
      });
      secs = await consumed;
      await producing;
      rows.push({ scenario: `end-to-end send→MESSAGE, 1×${W} in flight`, size, messages: N, seconds: secs, latencyMs: lat });
    }
  } finally {
    await server?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
  console.log(`STOMP bench against ${values.target ?? 'in-process Interchange (SQLite store)'}: ${N} messages per scenario (sync: ${SYNC_N}), node ${process.version}\n`);
  print(rows);
}

async function startServer(dir: string): Promise<BrokerServer> {
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: dir,
      logLevel: 'silent',
      listeners: { host: '127.0.0.1', mqtt: { port: null, tlsPort: null }, amqp: { port: null, tlsPort: null }, stomp: { port: 0, tlsPort: null }, ws: { port: null, tlsPort: null }, admin: { port: null, host: '127.0.0.1' } },
    },
  });
  return BrokerServer.start(config, { logger: silentLogger, protocols: [createStompProtocol()] });
}

await main();
