/**
 * Helpers for the MQTT black-box tests: a real in-process BrokerServer with the MQTT front-end,
 * real `mqtt` clients over TCP / TLS / WebSocket, a log capture, and polling (no fixed sleeps).
 */
import { Writable } from 'node:stream';
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

/** Close every client opened by connect() (abruptly). */
export async function closeAllClients(): Promise<void> {
  await Promise.all([...clients].map((c) => c.endAsync(true).catch(() => undefined)));
  clients.clear();
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
  const res = await fetch(`http://127.0.0.1:${server.ports.admin!}${path}`, {
    method,
    headers: body !== undefined ? { 'content-type': 'application/json' } : {},
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}
