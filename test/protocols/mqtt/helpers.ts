/**
 * Helpers for the MQTT black-box tests: a real in-process BrokerServer with the MQTT front-end,
 * real `mqtt` clients over TCP / TLS / WebSocket, a log capture, and polling (no fixed sleeps).
 */
import net from 'node:net';
import tls from 'node:tls';
import { type Duplex, Writable } from 'node:stream';
import { createWebSocketStream, WebSocket } from 'ws';
import { generate, parser as packetParser, type Packet } from 'mqtt-packet';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import selfsigned from 'selfsigned';
import { createMqttProtocol, type MqttOptions } from '../../../protocols/mqtt/index.js';
import type { Config, DeepPartial } from '../../../src/config/schema.js';
import type { ProtocolFactory } from '../../../src/server/protocol-module.js';
import { tempDir } from '../../support/broker-process.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';

export type Transport = 'tcp' | 'tls' | 'ws';

/** Log lines written by the MQTT front-end (JSON objects), for "it was logged" assertions. */
export class LogCapture {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly logger = pino({ level: 'debug' }, new Writable({
    write: (chunk: Buffer, _enc, cb) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line) this.lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  }));

  has(pred: (l: Record<string, unknown>) => boolean): boolean {
    return this.lines.some(pred);
  }

  msgs(): string[] {
    return this.lines.map((l) => String(l.msg));
  }
}

/** The MQTT factory with its ServerContext logger swapped for a capture. */
export function capturingFactory(capture: LogCapture, options: MqttOptions = {}): ProtocolFactory {
  const factory = createMqttProtocol(options);
  return (ctx) => factory({ ...ctx, logger: capture.logger });
}

let tlsFiles: { cert: string; key: string } | undefined;

/** A self-signed sha256 certificate for 127.0.0.1 / localhost, written once to a temp dir. */
export async function tlsCertificate(): Promise<{ cert: string; key: string }> {
  if (tlsFiles) return tlsFiles;
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  });
  const dir = tempDir('interchange-mqtt-tls-');
  const cert = join(dir.path, 'cert.pem');
  const key = join(dir.path, 'key.pem');
  writeFileSync(cert, pems.cert);
  writeFileSync(key, pems.private);
  tlsFiles = { cert, key };
  return tlsFiles;
}

export async function startMqttServer(opts: {
  options?: MqttOptions;
  capture?: LogCapture;
  tls?: boolean;
  overrides?: DeepPartial<Config>;
} = {}): Promise<TestServer> {
  const factory = opts.capture ? capturingFactory(opts.capture, opts.options) : createMqttProtocol(opts.options);
  const overrides: DeepPartial<Config> = { ...opts.overrides };
  if (opts.tls) overrides.tls = await tlsCertificate();
  return startTestServer({ protocols: [factory], overrides });
}

export function urlFor(server: TestServer, transport: Transport): string {
  const p = server.ports;
  switch (transport) {
    case 'tcp': return `mqtt://127.0.0.1:${p.mqtt!}`;
    case 'tls': return `mqtts://127.0.0.1:${p.mqtts!}`;
    case 'ws': return `ws://127.0.0.1:${p.ws!}`;
  }
}

const clients = new Set<MqttClient>();

/** Connect (no automatic reconnect); rejects on CONNACK refusal. */
export async function connect(server: TestServer, transport: Transport = 'tcp', opts: IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(urlFor(server, transport), {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    rejectUnauthorized: false,
    ...opts,
  });
  clients.add(client);
  return client;
}

const raws = new Set<RawClient>();

/** Close every client opened by connect() or RawClient.open() (abruptly). */
export async function closeAllClients(): Promise<void> {
  await Promise.all([...clients].map((c) => c.endAsync(true).catch(() => undefined)));
  clients.clear();
  for (const r of raws) r.destroy();
  raws.clear();
}

/**
 * Restart the broker after dropping every test client. BrokerServer.stop() currently waits for
 * its listeners to close before it asks the protocol modules to close their connections, and a
 * listener only finishes closing once its connections are gone: with clients still connected the
 * stop never completes (reported to the server's owner). Clients here are closed abruptly
 * first, which is also what a crash looks like to them.
 */
export async function restart(server: TestServer): Promise<TestServer> {
  await closeAllClients();
  return server.restart();
}

export interface Received {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
  dup: boolean;
}

/** Collect every message a client receives. */
export function collect(client: MqttClient): Received[] {
  const got: Received[] = [];
  client.on('message', (topic, payload, packet) => {
    got.push({ topic, payload: payload.toString('utf8'), qos: packet.qos, retain: packet.retain, dup: packet.dup });
  });
  return got;
}

/** Poll until `cond` is true (5 ms steps); throws with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** JSON request against the admin API. */
export async function admin(server: TestServer, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const request = (): Promise<Response> => fetch(`http://127.0.0.1:${server.ports.admin!}${path}`, {
    method,
    headers: body !== undefined ? { 'content-type': 'application/json' } : {},
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  // After a restart on the same port, fetch's pooled keep-alive connections to the old server are
  // dead, and under load more than one of them can be handed out: retry a few times, then fail.
  let res: Response | undefined;
  for (let attempt = 1; res === undefined; attempt++) {
    try {
      res = await request();
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 20 * attempt));
    }
  }
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

/**
 * A hand-driven MQTT connection (mqtt-packet codec) for what the `mqtt` client will not do:
 * stop in the middle of a QoS 2 handshake, send malformed or oversized packets, go silent.
 */
export class RawClient {
  readonly packets: Packet[] = [];
  closed = false;
  private readonly closedP: Promise<void>;

  private constructor(readonly conn: Duplex) {
    const parser = packetParser({ protocolVersion: 4 });
    parser.on('packet', (p: Packet) => this.packets.push(p));
    parser.on('error', () => undefined); // the broker never sends malformed packets; tests assert on packets
    conn.on('data', (d: Buffer) => parser.parse(d));
    conn.on('error', () => undefined); // resets are what several tests provoke
    this.closedP = new Promise((resolve) => {
      const done = (): void => { this.closed = true; resolve(); };
      conn.once('close', done);
      conn.once('end', done); // a WebSocket stream only ends when the peer closes
    });
  }

  static async open(server: TestServer, transport: Transport = 'tcp'): Promise<RawClient> {
    const p = server.ports;
    let conn: Duplex;
    if (transport === 'ws') {
      const ws = new WebSocket(`ws://127.0.0.1:${p.ws!}`, ['mqtt']);
      await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
      conn = createWebSocketStream(ws);
    } else if (transport === 'tls') {
      conn = tls.connect({ host: '127.0.0.1', port: p.mqtts!, rejectUnauthorized: false });
      await new Promise<void>((resolve, reject) => { conn.once('secureConnect', () => resolve()); conn.once('error', reject); });
    } else {
      conn = net.connect({ host: '127.0.0.1', port: p.mqtt! });
      await new Promise<void>((resolve, reject) => { conn.once('connect', () => resolve()); conn.once('error', reject); });
    }
    const raw = new RawClient(conn);
    raws.add(raw);
    return raw;
  }

  send(p: Packet): void {
    this.conn.write(generate(p));
  }

  async connect(clientId: string, opts: { clean?: boolean; keepalive?: number } = {}): Promise<Packet> {
    this.send({ cmd: 'connect', clientId, protocolVersion: 4, protocolId: 'MQTT', clean: opts.clean ?? true, keepalive: opts.keepalive ?? 60 });
    return this.next((p) => p.cmd === 'connack', 'CONNACK');
  }

  /** Wait for a packet matching `pred` that arrived after `from` (index into packets). */
  async next(pred: (p: Packet) => boolean, what: string, from = 0, timeoutMs = 5000): Promise<Packet> {
    let found: Packet | undefined;
    await waitFor(() => (found = this.packets.slice(from).find(pred)) !== undefined, what, timeoutMs);
    return found!;
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    await Promise.race([
      this.closedP,
      new Promise<never>((_r, reject) => setTimeout(() => reject(new Error('connection was not closed by the broker')), timeoutMs).unref()),
    ]);
  }

  destroy(): void {
    this.conn.destroy();
  }
}
