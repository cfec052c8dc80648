/**
 * Test helpers for the AMQP 1.0 front-end: a rhea client container per test, promise wrappers
 * around its events, polling, and raw-socket access for bad-input tests.
 */
import net from 'node:net';
import tls from 'node:tls';
import rhea, { type Connection, type ConnectionOptions, type Delivery, type EventContext, type Message, type Receiver, type ReceiverOptions, type Sender, type SenderOptions } from 'rhea';

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface Client {
  connection: Connection;
  close(): Promise<void>;
}

/** Connect a rhea client; resolves on connection_open, rejects on an error before that. */
export function connect(options: ConnectionOptions & { transport?: 'tcp' | 'tls'; rejectUnauthorized?: boolean; [k: string]: unknown }): Promise<Client> {
  const container = rhea.create_container({ id: (options.container_id as string | undefined) ?? `test-${Math.random().toString(36).slice(2)}` });
  container.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    const connection = container.connect({ reconnect: false, host: '127.0.0.1', ...options } as ConnectionOptions);
    const fail = (ctx: EventContext): void => reject(ctx.error ?? connection.error ?? new Error('disconnected'));
    connection.once('connection_error', fail);
    connection.once('disconnected', fail);
    connection.once('connection_open', () => {
      connection.removeListener('connection_error', fail);
      connection.removeListener('disconnected', fail);
      connection.on('disconnected', () => undefined);
      connection.on('connection_error', () => undefined);
      resolve({ connection, close: () => closeConnection(connection) });
    });
  });
}

export function closeConnection(connection: Connection): Promise<void> {
  return new Promise((resolve) => {
    if (connection.is_closed() || !connection.is_open()) {
      resolve();
      return;
    }
    const timer = setTimeout(resolve, 2000);
    connection.once('connection_close', () => {
      clearTimeout(timer);
      resolve();
    });
    connection.once('disconnected', () => {
      clearTimeout(timer);
      resolve();
    });
    connection.close();
  });
}

/** rhea leaves a null terminus as a typed null. */
function present(terminus: unknown): boolean {
  return terminus !== null && terminus !== undefined && !(typeof terminus === 'object' && 'type' in terminus && (terminus as unknown as { value: unknown }).value === null);
}

/** Open a sender; resolves when attached (rejects if the broker refuses it). */
export function openSender(connection: Connection, options: SenderOptions | string): Promise<Sender> {
  return new Promise((resolve, reject) => {
    const sender = connection.open_sender(options);
    // A refused attach is answered with a null target, then a detach with the error.
    sender.once('sender_error', (ctx: EventContext) => reject(Object.assign(new Error('sender refused'), { error: ctx.sender?.error })));
    sender.once('sender_open', () => {
      if (present(sender.target)) resolve(sender);
    });
  });
}

/** Open a receiver (default: no credit window, autoaccept off); resolves when attached. */
export function openReceiver(connection: Connection, options: ReceiverOptions): Promise<Receiver> {
  return new Promise((resolve, reject) => {
    const receiver = connection.open_receiver({ credit_window: 0, autoaccept: false, ...options });
    // A refused attach is answered with a null source, then a detach with the error.
    receiver.once('receiver_error', (ctx: EventContext) => reject(Object.assign(new Error('receiver refused'), { error: ctx.receiver?.error })));
    receiver.once('receiver_open', () => {
      if (present(receiver.source)) resolve(receiver);
    });
  });
}

/** The error a link was refused or detached with. */
export function linkError(err: unknown): { condition?: string; description?: string } | undefined {
  return (err as { error?: { condition?: string; description?: string } }).error;
}

/** Send and wait for the broker's outcome. */
export function sendAndSettle(sender: Sender, msg: Partial<Message>): Promise<{ outcome: string; delivery: Delivery; error?: unknown }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no outcome')), 5000);
    const waitSendable = (): void => {
      if (!sender.sendable()) {
        sender.once('sendable', waitSendable);
        return;
      }
      const d = sender.send(msg as Message);
      const onOutcome = (outcome: string) => (ctx: EventContext): void => {
        if (ctx.delivery !== d) return;
        clearTimeout(timer);
        sender.removeListener('accepted', acc);
        sender.removeListener('rejected', rej);
        sender.removeListener('released', rel);
        resolve({ outcome, delivery: d, error: (d.remote_state as { error?: unknown } | undefined)?.error });
      };
      const acc = onOutcome('accepted');
      const rej = onOutcome('rejected');
      const rel = onOutcome('released');
      sender.on('accepted', acc);
      sender.on('rejected', rej);
      sender.on('released', rel);
    };
    waitSendable();
  });
}

/** Collect messages arriving on a receiver. */
export function collect(receiver: Receiver): Array<{ message: Message; delivery: Delivery }> {
  const got: Array<{ message: Message; delivery: Delivery }> = [];
  receiver.on('message', (ctx: EventContext) => {
    if (ctx.message && ctx.delivery) got.push({ message: ctx.message, delivery: ctx.delivery });
  });
  return got;
}

/** Raw byte client for bad-input tests. */
export class RawClient {
  readonly socket: net.Socket;
  private data = Buffer.alloc(0);
  ended = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.data = Buffer.concat([this.data, d]);
    });
    socket.on('close', () => {
      this.ended = true;
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, useTls = false): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = useTls
        ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => resolve(new RawClient(socket)))
        : net.connect({ port, host: '127.0.0.1' }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  write(b: Buffer): void {
    this.socket.write(b);
  }

  get received(): Buffer {
    return this.data;
  }

  async waitClosed(timeoutMs = 5000): Promise<Buffer> {
    await waitFor(() => this.ended, timeoutMs, 'socket close');
    return this.data;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export const AMQP_HEADER = Buffer.from('AMQP\x00\x01\x00\x00', 'latin1');
export const SASL_HEADER = Buffer.from('AMQP\x03\x01\x00\x00', 'latin1');

/** Encode an AMQP frame around a performative (described list) on a channel. */
export function frame(performative: Buffer, channel = 0, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + performative.length + payload.length, 0);
  head[4] = 2;
  head[5] = 0;
  head.writeUInt16BE(channel, 6);
  return Buffer.concat([head, performative, payload]);
}

export function str8(s: string, code = 0xa1): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([code, b.length]), b]);
}

/** A described list with the given descriptor code and encoded fields. */
export function described(code: number, fields: Buffer[]): Buffer {
  const content = Buffer.concat(fields);
  const head = Buffer.alloc(12);
  head[0] = 0x00;
  head[1] = 0x53;
  head[2] = code;
  head[3] = 0xd0;
  head.writeUInt32BE(content.length + 4, 4);
  head.writeUInt32BE(fields.length, 8);
  return Buffer.concat([head, content]);
}

/** open performative: container-id [, hostname, max-frame-size]. */
export function openFrame(containerId: string, maxFrameSize?: number): Buffer {
  const fields = [str8(containerId)];
  if (maxFrameSize !== undefined) {
    const mfs = Buffer.alloc(5);
    mfs[0] = 0x70;
    mfs.writeUInt32BE(maxFrameSize, 1);
    fields.push(Buffer.from([0x40]), mfs);
  }
  return frame(described(0x10, fields));
}

/** Parse the AMQP frames in what the broker sent after its 8-byte header(s); returns performative codes and close errors. */
export function parseFrames(data: Buffer): Array<{ code: number | undefined; condition?: string; description?: string }> {
  const out: Array<{ code: number | undefined; condition?: string; description?: string }> = [];
  let pos = 0;
  while (pos + 8 <= data.length) {
    if (data.toString('latin1', pos, pos + 4) === 'AMQP') {
      pos += 8;
      continue;
    }
    const size = data.readUInt32BE(pos);
    if (size < 8 || pos + size > data.length) break;
    const f = data.subarray(pos, pos + size);
    const doff = f[4]! * 4;
    let code: number | undefined;
    const entry: { code: number | undefined; condition?: string; description?: string } = { code: undefined };
    if (f.length > doff && f[doff] === 0x00 && f[doff + 1] === 0x53) {
      code = f[doff + 2];
      entry.code = code;
      const text = f.subarray(doff).toString('latin1');
      const m = /(amqp:[a-z:-]+)/.exec(text);
      if (m) entry.condition = m[1];
      if (m) entry.description = text.slice(text.indexOf(m[1]!) + m[1]!.length).replace(/[^\x20-\x7e]/g, '');
    }
    out.push(entry);
    pos += size;
  }
  return out;
}

/** Call the admin HTTP API; returns status and parsed JSON (or undefined). */
export async function adminApi(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}
