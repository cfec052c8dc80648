/**
 * Helpers for black-box STOMP session tests against a real in-process BrokerServer:
 * a raw frame-level client (our own parser reading the server's bytes), promise wrappers around
 * stompit, and polling.
 */
import net from 'node:net';
import tls from 'node:tls';
import stompit from 'stompit';
import { StompParser } from '../../../protocols/stomp/frame-parser.js';
import { encodeFrame } from '../../../protocols/stomp/frame-writer.js';
import { header, type StompFrame } from '../../../protocols/stomp/frame.js';
import { createStompProtocol } from '../../../protocols/stomp/stomp-module.js';
import type { StompOptions } from '../../../protocols/stomp/options.js';
import type { Config, DeepPartial } from '../../../src/config/schema.js';
import type { ProtocolFactory } from '../../../src/server/protocol-module.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';

export async function waitFor(cond: () => boolean, what = 'condition', timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function startStompServer(opts: { options?: Partial<StompOptions>; overrides?: DeepPartial<Config>; extra?: ProtocolFactory[] } = {}): Promise<TestServer> {
  return startTestServer({
    protocols: [createStompProtocol({ heartbeat: { sendMs: 20, receiveMs: 20 }, ...opts.options }), ...(opts.extra ?? [])],
    ...(opts.overrides ? { overrides: opts.overrides } : {}),
  });
}

type Head = Record<string, string | number | undefined>;

/** A frame-level client: writes exactly what the test says, records every frame received. */
export class RawClient {
  readonly frames: StompFrame[] = [];
  heartbeats = 0;
  closed = false;
  private readonly parser: StompParser;

  private constructor(readonly socket: net.Socket) {
    this.parser = new StompParser({
      maxFrameBytes: 64 << 20,
      maxHeaders: 10_000,
      maxHeaderLineBytes: 1 << 20,
      onFrame: (f) => this.frames.push(f),
      onHeartbeat: () => (this.heartbeats += 1),
    });
    socket.on('data', (chunk: Buffer) => this.parser.push(chunk));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => (this.closed = true));
  }

  static open(port: number, opts: { tls?: boolean } = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = opts.tls
        ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => resolve(new RawClient(socket)))
        : net.connect({ port, host: '127.0.0.1' }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Open and CONNECT; resolves once CONNECTED arrived. */
  static async connect(port: number, headers: Head = {}): Promise<RawClient> {
    const c = await RawClient.open(port);
    c.frame('CONNECT', { 'accept-version': '1.2', host: '/', ...headers });
    const f = await c.next();
    if (f.command !== 'CONNECTED') throw new Error(`expected CONNECTED, got ${f.command}: ${header(f, 'message')}`);
    return c;
  }

  /** The version the server's frames are decoded with (default 1.2). */
  setVersion(version: '1.0' | '1.1' | '1.2'): void {
    this.parser.setVersion(version);
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  frame(command: string, headers: Head = {}, body?: Buffer | string): void {
    const list: Array<[string, string]> = [];
    for (const [k, v] of Object.entries(headers)) if (v !== undefined) list.push([k, String(v)]);
    const b = body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body) : body;
    this.write(encodeFrame({ command, headers: list, body: b }, '1.2'));
  }

  /** The first frame not yet taken (optionally: the first matching one; others stay available). */
  private readonly taken = new Set<number>();
  async next(match?: (f: StompFrame) => boolean, timeoutMs = 5000): Promise<StompFrame> {
    let found: StompFrame | undefined;
    await waitFor(() => {
      for (let i = 0; i < this.frames.length; i++) {
        if (this.taken.has(i)) continue;
        const f = this.frames[i]!;
        if (!match || match(f)) {
          this.taken.add(i);
          found = f;
          return true;
        }
      }
      return false;
    }, 'a frame', timeoutMs);
    return found!;
  }

  nextCommand(command: string, timeoutMs?: number): Promise<StompFrame> {
    return this.next((f) => f.command === command, timeoutMs);
  }

  async receipt(id: string): Promise<StompFrame> {
    return this.next((f) => f.command === 'RECEIPT' && header(f, 'receipt-id') === id);
  }

  waitClosed(timeoutMs = 5000): Promise<void> {
    return waitFor(() => this.closed, 'the server to close the connection', timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface Received {
  headers: Record<string, string>;
  body: Buffer;
  message: stompit.Client.Message;
}

export function stompitConnect(port: number, headers: Record<string, string> = {}, opts: { tls?: boolean } = {}): Promise<stompit.Client> {
  return new Promise((resolve, reject) => {
    const connectHeaders = { host: '/', 'heart-beat': '0,0', ...headers };
    const base = { host: '127.0.0.1', port, connectHeaders };
    const cb = (err: Error | null, client: stompit.Client) => (err ? reject(err) : resolve(client));
    const client = opts.tls ? stompit.connect({ ...base, ssl: true, rejectUnauthorized: false }, cb) : stompit.connect(base, cb);
    client.on('error', () => undefined); // surfaced through the connect callback or the test's assertions
  });
}

export function readBody(message: stompit.Client.Message): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    message.on('data', (c: Buffer) => parts.push(c));
    message.on('end', () => resolve(Buffer.concat(parts)));
    message.on('error', reject);
  });
}

/** Subscribe and collect messages (bodies read in full) into an array. */
export function collect(client: stompit.Client, headers: Record<string, string>): Received[] {
  const out: Received[] = [];
  client.subscribe(headers, (err, message) => {
    if (err) return;
    const headers = (message as unknown as { headers: Record<string, string> }).headers;
    void readBody(message).then((body) => out.push({ headers: { ...headers }, body, message }));
  });
  return out;
}

export function sendWithReceipt(client: stompit.Client, headers: Record<string, string>, body: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const frame = client.send(headers, { onReceipt: () => resolve(), onError: reject } as unknown as stompit.Client.SendOptions);
    frame.end(body);
  });
}

export function disconnect(client: stompit.Client): Promise<void> {
  return new Promise((resolve) => client.disconnect(() => resolve()));
}

export async function adminApi(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: body !== undefined ? { 'content-type': 'application/json' } : {},
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}
