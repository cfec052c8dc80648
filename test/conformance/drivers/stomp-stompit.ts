/**
 * STOMP 1.2 over TCP with stompit, the Node client most STOMP users run.
 * Every frame that must have taken effect carries a receipt; ack 'client' is client-individual.
 */
import stompit from 'stompit';
import type { TestServer } from '../../support/test-server.js';
import {
  CollectingSubscription, RefusedError, toBuffer,
  type Connection, type ConnectOptions, type Destination, type Driver, type ReceivedMessage, type SendOptions, type Subscription, type Transaction,
} from '../driver.js';
import { STOMP_CAPABILITIES, STOMP_NOTES, stompAddress, stompReceived, stompSendHeaders } from './stomp-headers.js';

type StompitMessage = stompit.Client.Message & { headers: Record<string, string> };
type SendOpts = { onReceipt?: () => void; onError?: (e: Error) => void };

const NAME = 'stomp (stompit, tcp)';

/**
 * An error as a RefusedError: code `ERROR <broker code>` (the `code:` line of the ERROR frame's
 * body). stompit only reports an ERROR frame with a text body once the body is read, and when
 * the broker closes the socket right behind the frame (as STOMP requires) stompit reports
 * "connection ended unexpectedly" instead; `wire` is the ERROR frame read off the socket then.
 */
function refusal(err: Error, wire?: string): Error {
  const long = (err as { longMessage?: string }).longMessage ?? wire ?? '';
  const code = /code: (\S+)/.exec(long)?.[1];
  const message = wire !== undefined && !(err as { longMessage?: string }).longMessage ? /message:([^\n]*)/.exec(wire)?.[1] ?? err.message : err.message;
  return new RefusedError(NAME, code ? `ERROR ${code}` : 'ERROR', message);
}

/** The last ERROR frame (headers and body) seen in the bytes the broker sent. */
class ErrorFrameTap {
  private tail = '';
  constructor(socket: NodeJS.EventEmitter) {
    socket.on('data', (chunk: Buffer) => {
      this.tail = (this.tail + chunk.toString('latin1')).slice(-16_384);
    });
    socket.on('error', () => undefined); // stompit destroys its socket with the STOMP error
  }

  get frame(): string | undefined {
    const i = this.tail.lastIndexOf('ERROR\n');
    if (i < 0) return undefined;
    const end = this.tail.indexOf('\0', i);
    return Buffer.from(this.tail.slice(i, end < 0 ? undefined : end), 'latin1').toString('utf8');
  }
}

class StompitConnection implements Connection {
  closed = false;
  private error: Error | undefined;
  private nextId = 1;
  private readonly subscriptions: CollectingSubscription[] = [];

  private readonly tap: ErrorFrameTap;

  constructor(readonly driver: Driver, private readonly client: stompit.Client) {
    this.tap = new ErrorFrameTap(client.getTransportSocket() as unknown as NodeJS.EventEmitter);
    // stompit's own ERROR handler, for a frame with a text body, calls destroy() on the frame
    // instead of the client (a `function` callback's `this`), which surfaces as an unhandled
    // stream error. This one does what it means: read the body, then fail the client with it.
    const socket = client as unknown as { setCommandHandler(c: string, h: (frame: NodeJS.ReadableStream & { headers: Record<string, string> }) => void): void; destroy(e: Error): void };
    socket.setCommandHandler('ERROR', (frame) => {
      const parts: Buffer[] = [];
      frame.on('data', (c: Buffer) => parts.push(c));
      frame.on('end', () => {
        socket.destroy(Object.assign(new Error(frame.headers.message ?? 'server sent ERROR frame'), { longMessage: Buffer.concat(parts).toString('utf8') }));
      });
    });
    client.on('error', (e: Error) => {
      this.closed = true;
      this.error ??= refusal(e, this.tap.frame);
      for (const s of this.subscriptions) s.fail(this.error);
    });
    client.on('end', () => (this.closed = true));
  }

  /** Send a frame with a receipt; resolves on RECEIPT, rejects on ERROR. */
  private withReceipt(write: (opts: SendOpts) => void): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      write({ onReceipt: () => resolve(), onError: (e: Error) => reject(refusal(e, this.tap.frame)) });
    });
  }

  send(dest: Destination, body: Buffer | string, opts: SendOptions = {}): Promise<void> {
    return this.sendIn(dest, body, opts);
  }

  sendIn(dest: Destination, body: Buffer | string, opts: SendOptions, transaction?: string): Promise<void> {
    const bytes = toBuffer(body);
    const headers = { destination: stompAddress(dest), ...stompSendHeaders(opts, bytes.length), ...(transaction ? { transaction } : {}) };
    return this.withReceipt((o) => this.client.send(headers, o as stompit.Client.SendOptions).end(bytes));
  }

  subscribe(dest: Destination, opts: { ack?: 'client' | 'auto'; prefetch?: number; durableName?: string } = {}): Promise<Subscription> {
    const id = `sub-${this.nextId++}`;
    const ack = opts.ack === 'client' ? 'client-individual' : 'auto';
    const headers: Record<string, string> = { destination: stompAddress(dest), id, ack };
    if (opts.prefetch !== undefined) headers['activemq.prefetchSize'] = String(opts.prefetch);
    if (opts.durableName !== undefined) headers['activemq.subscriptionName'] = opts.durableName;
    const sub = new CollectingSubscription(`${NAME} ${headers.destination}`);
    this.subscriptions.push(sub);
    this.client.setImplicitSubscription(id as never, ack, (err: Error | null, message: stompit.Client.Message) => {
      if (err) return sub.fail(err);
      const m = message as StompitMessage;
      const parts: Buffer[] = [];
      m.on('data', (c: Buffer) => parts.push(c));
      m.on('end', () => sub.push(stompReceived({ ...m.headers }, Buffer.concat(parts), m)));
    });
    return this.withReceipt((o) => this.client.sendFrame('SUBSCRIBE', headers, o as never).end()).then(() => sub);
  }

  ack(msg: ReceivedMessage, transaction?: string): Promise<void> {
    return this.withReceipt((o) => this.client.ack(msg.raw as stompit.Client.Message, transaction ? { transaction } : {}, o as never));
  }

  async tempReplyQueue(): Promise<{ replyTo: string; subscription: Subscription }> {
    const replyTo = `/temp-queue/replies-${this.nextId++}`;
    const subscription = await this.subscribe({ kind: 'address', address: replyTo });
    return { replyTo, subscription };
  }

  async begin(): Promise<Transaction> {
    const tx = `tx-${this.nextId++}`;
    await this.withReceipt((o) => this.client.sendFrame('BEGIN', { transaction: tx }, o as never).end());
    return {
      send: (dest, body, opts = {}) => this.sendIn(dest, body, opts, tx),
      ack: (msg) => this.ack(msg, tx),
      commit: () => this.withReceipt((o) => this.client.sendFrame('COMMIT', { transaction: tx }, o as never).end()),
      abort: () => this.withReceipt((o) => this.client.sendFrame('ABORT', { transaction: tx }, o as never).end()),
    };
  }

  disconnect(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.client.destroy(new Error('DISCONNECT receipt not received'));
        resolve();
      }, 3000);
      this.client.disconnect(() => {
        clearTimeout(timer);
        this.closed = true;
        resolve();
      });
    });
  }
}

export const stompitDriver: Driver = {
  name: NAME,
  id: 'stompit',
  protocol: 'stomp',
  capabilities: STOMP_CAPABILITIES,
  notes: STOMP_NOTES,
  address: stompAddress,
  connect(server: TestServer, opts: ConnectOptions = {}): Promise<Connection> {
    const connectHeaders: Record<string, string> = { host: '/', 'accept-version': '1.2', 'heart-beat': '0,0' };
    if (opts.username !== undefined) connectHeaders.login = opts.username;
    if (opts.password !== undefined) connectHeaders.passcode = opts.password;
    if (opts.clientId !== undefined) connectHeaders['client-id'] = opts.clientId;
    return new Promise((resolve, reject) => {
      const client = stompit.connect({ host: '127.0.0.1', port: server.ports.stomp!, connectHeaders }, (err, c) => {
        if (err) reject(refusal(err));
        else resolve(new StompitConnection(stompitDriver, c));
      });
      client.on('error', () => undefined); // reported through the connect callback or the connection
    });
  },
};
