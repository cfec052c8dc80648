/**
 * AMQP 1.0 throughput and latency against an in-process Interchange broker (SQLite store), and
 * optionally against RabbitMQ's AMQP 1.0 plugin for comparison.
 *
 *   npx tsx bench/amqp10-bench.ts [--count=N] [--window=N] [--rabbitmq=HOST:PORT] [--only=interchange|rabbitmq] [--in-process]
 *
 * The broker runs as its own process (`src/cli.ts start`, as it would in production, and like
 * RabbitMQ), so broker and clients do not share one CPU; `--in-process` runs it inside the
 * benchmark instead (both then compete for the one JavaScript thread).
 *
 * Scenarios, for 256 B and 4 KiB durable messages on one queue:
 * - send:    one producer keeps up to `window` unsettled transfers; a message counts when the
 *            broker's `accepted` arrives (Interchange sends it after the store commit).
 *            Latency = transfer → accepted.
 * - receive: one consumer drains the queue filled by `send`, granting `window` credits and
 *            accepting every message. Latency is not measured (the messages were waiting).
 * - e2e:     producer and consumer at once; latency = send → delivery (a timestamp in an
 *            application property).
 * RabbitMQ (e.g. `apt-get install rabbitmq-server && rabbitmq-plugins enable rabbitmq_amqp1_0`)
 * is reached as guest/guest; both brokers use the address `/queue/NAME`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import rhea, { type Connection, type Delivery, type EventContext, type Receiver, type Sender } from 'rhea';
import { loadConfig } from '../src/config/load-config.js';
import { BrokerServer } from '../src/server/broker-server.js';
import { silentLogger } from '../src/log.js';
import { amqp10Protocol } from '../protocols/amqp10/index.js';

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const COUNT = Number(arg('count') ?? 20_000);
const WINDOW = Number(arg('window') ?? 500);
const RABBIT = arg('rabbitmq');
const ONLY = arg('only');
const IN_PROCESS = args.includes('--in-process');

interface Result {
  broker: string;
  scenario: string;
  size: number;
  messages: number;
  seconds: number;
  rate: number;
  p50?: number;
  p99?: number;
  /** CPU seconds the benchmark's own (client) process used. */
  clientCpu?: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

let cpuMark = process.cpuUsage();

function summarize(broker: string, scenario: string, size: number, n: number, ms: number, latencies?: number[]): Result {
  const cpu = process.cpuUsage(cpuMark);
  cpuMark = process.cpuUsage();
  const r: Result = { broker, scenario, size, messages: n, seconds: ms / 1000, rate: Math.round(n / (ms / 1000)), clientCpu: (cpu.user + cpu.system) / 1e6 };
  if (latencies) {
    latencies.sort((a, b) => a - b);
    r.p50 = percentile(latencies, 50);
    r.p99 = percentile(latencies, 99);
  }
  return r;
}

function connect(port: number, host: string, auth?: { username: string; password: string }): Promise<Connection> {
  const container = rhea.create_container({ id: `bench-${Math.random().toString(36).slice(2)}` });
  return new Promise((resolve, reject) => {
    const c = container.connect({ host, port, reconnect: false, ...(auth ?? {}) });
    c.once('connection_open', () => resolve(c));
    c.once('connection_error', (ctx: EventContext) => reject(ctx.connection.error ?? new Error('connection error')));
    c.once('disconnected', (ctx: EventContext) => reject(ctx.error ?? new Error('disconnected')));
  });
}

function opened<T extends Sender | Receiver>(link: T, event: string): Promise<T> {
  return new Promise((resolve) => link.once(event, () => resolve(link)));
}

/** Send `n` durable messages keeping up to WINDOW unsettled; resolves with accepted latencies (ms). */
async function produce(c: Connection, address: string, size: number, n: number, stamp: boolean): Promise<number[]> {
  const sender = await opened(c.open_sender({ target: { address } }), 'sendable');
  const body = rhea.message.data_section(Buffer.alloc(size, 0x61));
  const started = new Map<Delivery, number>();
  const latencies: number[] = [];
  let sent = 0;
  let settled = 0;
  return new Promise((resolve, reject) => {
    const pump = (): void => {
      while (sent < n && sent - settled < WINDOW && sender.sendable()) {
        const t = performance.now();
        const d = sender.send({ body, durable: process.env.TRANSIENT ? false : true, ...(stamp ? { application_properties: { t } } : {}) });
        started.set(d, t);
        sent += 1;
      }
    };
    const done = (ctx: EventContext): void => {
      const d = ctx.delivery!;
      const t = started.get(d);
      if (t !== undefined) {
        latencies.push(performance.now() - t);
        started.delete(d);
      }
      settled += 1;
      if (settled === n) resolve(latencies);
      else pump();
    };
    sender.on('accepted', done);
    sender.on('rejected', (ctx: EventContext) => reject(new Error(`rejected: ${JSON.stringify(ctx.delivery?.remote_state)}`)));
    sender.on('released', (ctx: EventContext) => reject(new Error(`released: ${JSON.stringify(ctx.delivery?.remote_state)}`)));
    sender.on('sendable', pump);
    pump();
  });
}

/** Receive `n` messages with WINDOW credit, accepting each; resolves with delivery latencies if stamped. */
async function consume(c: Connection, address: string, n: number): Promise<{ latencies: number[]; ready: Promise<void> }> {
  const receiver = c.open_receiver({ source: { address }, credit_window: 0, autoaccept: false });
  await opened(receiver, 'receiver_open');
  const latencies: number[] = [];
  let got = 0;
  let outstanding = WINDOW;
  receiver.add_credit(WINDOW);
  const ready = new Promise<void>((resolve) => {
    receiver.on('message', (ctx: EventContext) => {
      const t = ctx.message?.application_properties?.t;
      if (typeof t === 'number') latencies.push(performance.now() - t);
      ctx.delivery!.accept();
      got += 1;
      outstanding -= 1;
      if (outstanding < WINDOW / 2 && got + outstanding < n) {
        const grant = Math.min(WINDOW - outstanding, n - got - outstanding);
        outstanding += grant;
        receiver.add_credit(grant);
      }
      if (got === n) {
        receiver.close();
        resolve();
      }
    });
  });
  return { latencies, ready };
}

async function scenarios(broker: string, port: number, host: string, auth?: { username: string; password: string }): Promise<Result[]> {
  const results: Result[] = [];
  for (const size of [256, 4096]) {
    const queue = `/queue/bench.${broker}.${size}.${Date.now()}`;
    const producer = await connect(port, host, auth);
    const consumer = await connect(port, host, auth);

    cpuMark = process.cpuUsage();
    let t0 = performance.now();
    const sendLat = await produce(producer, queue, size, COUNT, false);
    results.push(summarize(broker, 'send (durable, wait accepted)', size, COUNT, performance.now() - t0, sendLat));

    cpuMark = process.cpuUsage();
    t0 = performance.now();
    const drain = await consume(consumer, queue, COUNT);
    await drain.ready;
    results.push(summarize(broker, 'receive (credit, accept)', size, COUNT, performance.now() - t0));

    cpuMark = process.cpuUsage();
    t0 = performance.now();
    const e2e = await consume(consumer, queue, COUNT);
    await produce(producer, queue, size, COUNT, true);
    await e2e.ready;
    results.push(summarize(broker, 'send+receive e2e', size, COUNT, performance.now() - t0, e2e.latencies));

    producer.close();
    consumer.close();
  }
  return results;
}

/** The broker as a child process: the CLI with every listener on an OS-chosen port. */
async function interchangeProcess(): Promise<Result[]> {
  const dir = mkdtempSync(join(tmpdir(), 'interchange-amqp10-bench-'));
  const root = resolve(import.meta.dirname, '..');
  const child = spawn(process.execPath, [
    '--import', 'tsx', join(root, 'src/cli.ts'), 'start', '--data-dir', dir, '--log-level', 'info', '--host', '127.0.0.1',
    '--mqtt-port', '0', '--amqp-port', '0', '--stomp-port', '0', '--ws-port', '0', '--admin-port', '0',
  ], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((res, rej) => {
      let buffer = '';
      child.once('exit', (code) => rej(new Error(`broker exited with ${code}`)));
      child.stdout!.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
          const line = buffer.slice(0, i);
          buffer = buffer.slice(i + 1);
          if (line.includes('interchange broker started')) res((JSON.parse(line) as { ports: { amqp: number } }).ports.amqp);
        }
      });
    });
    return await scenarios('interchange', port, '127.0.0.1');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function interchange(): Promise<Result[]> {
  if (!IN_PROCESS) return interchangeProcess();
  const dir = mkdtempSync(join(tmpdir(), 'interchange-amqp10-bench-'));
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: dir,
      logLevel: 'silent',
      listeners: {
        host: '127.0.0.1',
        amqp: { port: 0, tlsPort: null }, mqtt: { port: null, tlsPort: null }, stomp: { port: null, tlsPort: null },
        ws: { port: null, tlsPort: null }, admin: { port: null, host: '127.0.0.1' },
      },
    },
  });
  const server = await BrokerServer.start(config, { logger: silentLogger, protocols: [amqp10Protocol] });
  try {
    return await scenarios('interchange', server.ports.amqp!, '127.0.0.1');
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const results: Result[] = [];
  if (ONLY !== 'rabbitmq') results.push(...await interchange());
  if (RABBIT && ONLY !== 'interchange') {
    const [host, port] = RABBIT.split(':');
    results.push(...await scenarios('rabbitmq', Number(port ?? 5672), host || '127.0.0.1', { username: 'guest', password: 'guest' }));
  }
  console.log(`AMQP 1.0 benchmark: ${COUNT} messages per scenario, window ${WINDOW}, node ${process.version}, broker ${IN_PROCESS ? 'in process' : 'in its own process'}`);
  console.log('| broker | scenario | size | msg/s | p50 ms | p99 ms | client CPU (s / s elapsed) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    const f = (v: number | undefined): string => (v === undefined ? '' : v.toFixed(2));
    console.log(`| ${r.broker} | ${r.scenario} | ${r.size} B | ${r.rate} | ${f(r.p50)} | ${f(r.p99)} | ${((r.clientCpu ?? 0) / r.seconds).toFixed(2)} |`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
