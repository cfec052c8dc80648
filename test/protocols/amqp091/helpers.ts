/**
 * Test helpers for the AMQP 0-9-1 front-end: a broker with short timeouts, amqplib connections,
 * raw sockets for bad-input tests, and polling.
 */
import net from 'node:net';
import amqp from 'amqplib';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import type { DeepPartial, Config } from '../../../src/config/schema.js';
import type { ProtocolFactory } from '../../../src/server/protocol-module.js';
import { mqttProtocol } from '../../../protocols/mqtt/index.js';
import { amqp10Protocol } from '../../../protocols/amqp10/index.js';
import { stompProtocol } from '../../../protocols/stomp/stomp-module.js';
import { createAmqp091Protocol } from '../../../protocols/amqp091/index.js';
import type { Amqp091Options } from '../../../protocols/amqp091/options.js';

export async function startBroker(opts: { amqp091?: Amqp091Options; overrides?: DeepPartial<Config> } = {}): Promise<TestServer> {
  // 0-9-1 before 1.0, as in the built-in registry (refusal headers are asked in this order).
  const protocols: ProtocolFactory[] = [mqttProtocol, createAmqp091Protocol({ closeTimeoutMs: 500, ...opts.amqp091 }), amqp10Protocol, stompProtocol];
  return startTestServer({ protocols, ...(opts.overrides ? { overrides: opts.overrides } : {}) });
}

export function url(server: TestServer, userinfo = ''): string {
  return `amqp://${userinfo}127.0.0.1:${server.ports.amqp}`;
}

export async function connect(server: TestServer, opts: { userinfo?: string; heartbeat?: number } = {}): Promise<amqp.ChannelModel> {
  const c = await amqp.connect(`${url(server, opts.userinfo ?? '')}?heartbeat=${opts.heartbeat ?? 0}`);
  c.on('error', () => undefined);
  return c;
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

/** A raw TCP socket collecting everything the server sends. */
export interface RawClient {
  socket: net.Socket;
  received(): Buffer;
  closed: Promise<void>;
  write(b: Buffer): void;
}

export function rawConnect(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, closed, received: () => Buffer.concat(chunks), write: (b) => socket.write(b) }));
    socket.once('error', reject);
  });
}
