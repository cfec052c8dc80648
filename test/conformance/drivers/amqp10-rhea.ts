/**
 * AMQP 1.0 over TCP with rhea (one client container per connection, as applications use it).
 * Credit is managed the way prefetching consumers do: `prefetch` credits at attach, one more
 * per accepted delivery. Sends wait for the broker's outcome. Transactions: one coordinator link
 * per connection, declare per begin(), transactional transfers and settled transactional accepts
 * (as Qpid JMS does them), discharge for commit/abort — built with rhea's own types
 * (test/protocols/amqp10/rhea-transactions.ts), since rhea's API has no transactions.
 */
import rhea, { type Connection as RheaConnection, type Delivery, type EventContext, type Message, type Receiver, type Sender } from 'rhea';
import type { TestServer } from '../../support/test-server.js';
import { sendInTransaction, settleInTransaction, TransactionRefused, TxController } from '../../protocols/amqp10/rhea-transactions.js';
import {
  CollectingSubscription, RefusedError, toBuffer,
  type TypedValue, type Connection, type ConnectOptions, type Destination, type Driver, type ReceivedMessage, type SendOptions, type SubscribeOptions, type Subscription, type Transaction,
} from '../driver.js';

const NAME = 'amqp10 (rhea, tcp)';

/**
 * rhea's decoded view of application-properties drops the AMQP types (a long and an int are both
 * numbers). To see what the broker sent, every decoded message keeps its encoded bytes (a
 * non-enumerable `encoded`), and the application-properties section is read again with rhea's
 * own type reader, which keeps each value's type.
 */
const ENCODED = Symbol('encoded');
const rheaMessage = rhea.message as unknown as { decode(b: Buffer): Message; [ENCODED]?: true };
if (!rheaMessage[ENCODED]) {
  const decode = rheaMessage.decode.bind(rheaMessage);
  rheaMessage.decode = (buffer: Buffer): Message => {
    const m = decode(buffer);
    Object.defineProperty(m, 'encoded', { value: Buffer.from(buffer), enumerable: false });
    return m;
  };
  rheaMessage[ENCODED] = true;
}

interface RheaTyped { type: { name: string }; value: unknown; descriptor?: { value: unknown } }
const Reader = (rhea.types as unknown as { Reader: new (b: Buffer) => { read(): RheaTyped; remaining(): number } }).Reader;

/** AMQP type names of rhea's encodings (compact forms folded). */
const TYPE_NAMES: Record<string, string> = {
  Null: 'null', True: 'boolean', False: 'boolean', Boolean: 'boolean',
  Ubyte: 'ubyte', Ushort: 'ushort', Uint: 'uint', SmallUint: 'uint', Uint0: 'uint',
  Ulong: 'ulong', SmallUlong: 'ulong', Ulong0: 'ulong',
  Byte: 'byte', Short: 'short', Int: 'int', SmallInt: 'int', Long: 'long', SmallLong: 'long',
  Float: 'float', Double: 'double', CharUTF32: 'char', Timestamp: 'timestamp', Uuid: 'uuid',
  Vbin8: 'binary', Vbin32: 'binary', Str8: 'string', Str32: 'string', Sym8: 'symbol', Sym32: 'symbol',
  List0: 'list', List8: 'list', List32: 'list', Map8: 'map', Map32: 'map', Array8: 'array', Array32: 'array',
};

function typedApplicationProperties(encoded: Buffer | undefined): Record<string, { type: string; value: unknown }> | undefined {
  if (!encoded) return undefined;
  const reader = new Reader(encoded);
  while (reader.remaining() > 0) {
    const section = reader.read();
    if (Number(section.descriptor?.value) !== 0x74) continue;
    const items = section.value as RheaTyped[];
    const out: Record<string, { type: string; value: unknown }> = {};
    for (let i = 0; i + 1 < items.length; i += 2) {
      const v = items[i + 1]!;
      out[String(items[i]!.value)] = { type: TYPE_NAMES[v.type.name] ?? v.type.name, value: v.value };
    }
    return out;
  }
  return {};
}

/** A typed value as rhea's wrapped type. */
function wrap(v: TypedValue): unknown {
  const t = rhea.types as unknown as Record<string, (x: unknown) => unknown>;
  switch (v.type) {
    case 'long': {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(v.value);
      return t.wrap_long!(b);
    }
    case 'ubyte': return t.wrap_ubyte!(v.value);
    case 'timestamp': return t.wrap_timestamp!(v.value);
    case 'uuid': return t.wrap_uuid!((rhea as unknown as { string_to_uuid(s: string): Buffer }).string_to_uuid(v.value));
    case 'binary': return t.wrap_binary!(v.value);
  }
}
const DEFAULT_CREDIT = 100;

export interface RheaRaw {
  message: Message;
  delivery: Delivery;
  receiver: Receiver;
}

function address(dest: Destination): string {
  switch (dest.kind) {
    case 'queue': return `queue://${dest.name}`;
    case 'topic': return `topic://${dest.name}`;
    case 'address': return dest.address;
  }
}

/** rhea leaves a refused terminus as a typed null. */
function present(terminus: unknown): boolean {
  return terminus !== null && terminus !== undefined && !(typeof terminus === 'object' && 'type' in terminus && (terminus as unknown as { value: unknown }).value === null);
}

/** A refused control message as the driver's RefusedError. */
function refused(what: string): (err: unknown) => never {
  return (err: unknown) => {
    if (err instanceof TransactionRefused) throw new RefusedError(NAME, err.condition ?? 'unknown', `${what}: ${err.description ?? ''}`);
    throw err;
  };
}

function conditionOf(err: unknown): { condition: string; description: string } {
  const e = err as { condition?: string; description?: string; message?: string } | undefined;
  return { condition: e?.condition ?? 'unknown', description: e?.description ?? e?.message ?? '' };
}

/** The body bytes whatever section rhea decoded (data section, amqp-value binary or string). */
function bodyBytes(body: unknown): Buffer {
  if (body === null || body === undefined) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (typeof body === 'object' && 'typecode' in body && (body as { typecode: number }).typecode === 0x75) {
    return (body as unknown as { content: Buffer }).content;
  }
  return Buffer.from(JSON.stringify(body), 'utf8');
}

function idString(id: unknown): string | undefined {
  if (id === undefined || id === null) return undefined;
  return typeof id === 'string' ? id : String(id);
}

export function rheaReceived(raw: RheaRaw): ReceivedMessage {
  const m = raw.message;
  const out: ReceivedMessage = {
    body: bodyBytes(m.body),
    headers: { ...(m.application_properties ?? {}) },
    redelivered: (m.delivery_count ?? 0) > 0,
    raw,
  };
  const typed = typedApplicationProperties((m as unknown as { encoded?: Buffer }).encoded);
  if (typed) out.typedHeaders = typed;
  if (m.content_type !== undefined) out.contentType = String(m.content_type);
  const correlationId = idString(m.correlation_id);
  if (correlationId !== undefined) out.correlationId = correlationId;
  if (m.reply_to !== undefined) out.replyTo = m.reply_to;
  const messageId = idString(m.message_id);
  if (messageId !== undefined) out.messageId = messageId;
  return out;
}

function outgoing(body: Buffer | string, opts: SendOptions, extra: Partial<Message> = {}): Message {
  const m: Partial<Message> = { body: rhea.message.data_section(toBuffer(body)), durable: opts.persistent ?? true, ...extra };
  if (opts.headers || opts.typedHeaders) {
    m.application_properties = { ...opts.headers };
    for (const [k, v] of Object.entries(opts.typedHeaders ?? {})) m.application_properties[k] = wrap(v);
  }
  if (opts.contentType !== undefined) m.content_type = opts.contentType;
  if (opts.correlationId !== undefined) m.correlation_id = opts.correlationId;
  if (opts.replyTo !== undefined) m.reply_to = opts.replyTo;
  if (opts.messageId !== undefined) m.message_id = opts.messageId;
  return m as Message;
}

class RheaConnectionDriver implements Connection {
  closed = false;
  private readonly senders = new Map<string, Promise<Sender>>();
  private controller: Promise<TxController> | undefined;

  constructor(readonly driver: Driver, private readonly connection: RheaConnection) {
    connection.on('disconnected', () => (this.closed = true));
    connection.on('connection_close', () => (this.closed = true));
    connection.on('connection_error', () => undefined);
    connection.on('error', () => undefined);
  }

  private sender(addr: string): Promise<Sender> {
    let s = this.senders.get(addr);
    if (!s) {
      s = new Promise<Sender>((resolve, reject) => {
        const sender = this.connection.open_sender({ target: { address: addr } });
        sender.once('sender_error', (ctx: EventContext) => {
          const { condition, description } = conditionOf(ctx.sender?.error);
          reject(new RefusedError(NAME, condition, `sender attach to ${addr}: ${description}`));
        });
        sender.once('sender_open', () => {
          if (present(sender.target)) resolve(sender);
        });
      });
      s.catch(() => this.senders.delete(addr));
      this.senders.set(addr, s);
    }
    return s;
  }

  async send(dest: Destination, body: Buffer | string, opts: SendOptions = {}): Promise<void> {
    const addr = address(dest);
    const sender = await this.sender(addr);
    await new Promise<void>((resolve, reject) => {
      const go = (): void => {
        if (!sender.sendable()) {
          sender.once('sendable', go);
          return;
        }
        const d = sender.send(outgoing(body, opts));
        const outcomes = ['accepted', 'rejected', 'released', 'modified'] as const;
        const listeners = outcomes.map((outcome) => {
          const listener = (ctx: EventContext): void => {
            if (ctx.delivery !== d) return;
            outcomes.forEach((o, i) => sender.removeListener(o, listeners[i]!));
            if (outcome === 'accepted') return resolve();
            const { condition, description } = conditionOf((d.remote_state as { error?: unknown } | undefined)?.error);
            reject(new RefusedError(NAME, outcome === 'rejected' ? condition : outcome, `send to ${addr}: ${description}`));
          };
          sender.on(outcome, listener);
          return listener;
        });
      };
      go();
    });
  }

  async subscribe(dest: Destination, opts: SubscribeOptions = {}): Promise<Subscription> {
    const addr = address(dest);
    const source: Record<string, unknown> = { address: addr };
    if (opts.durableName !== undefined) Object.assign(source, { durable: 2, expiry_policy: 'never' });
    return this.openReceiver(opts.durableName !== undefined ? { name: opts.durableName, source } : { source }, addr, opts);
  }

  private openReceiver(linkOpts: Record<string, unknown>, label: string, opts: SubscribeOptions): Promise<CollectingSubscription & { receiver: Receiver }> {
    const manual = opts.ack === 'client';
    const credit = opts.prefetch ?? DEFAULT_CREDIT;
    return new Promise((resolve, reject) => {
      const receiver = this.connection.open_receiver({ credit_window: 0, autoaccept: false, ...linkOpts });
      const sub = Object.assign(new CollectingSubscription(`${NAME} ${label}`), { receiver });
      receiver.on('message', (ctx: EventContext) => {
        if (!ctx.message || !ctx.delivery) return;
        sub.push(rheaReceived({ message: ctx.message, delivery: ctx.delivery, receiver }));
        if (!manual) {
          ctx.delivery.accept();
          receiver.add_credit(1);
        }
      });
      receiver.once('receiver_error', (ctx: EventContext) => {
        const { condition, description } = conditionOf(ctx.receiver?.error);
        const err = new RefusedError(NAME, condition, `receiver attach to ${label}: ${description}`);
        sub.fail(err);
        reject(err);
      });
      receiver.once('receiver_open', () => {
        if (!present(receiver.source)) return; // refused: the detach with the error follows
        receiver.add_credit(credit);
        resolve(sub);
      });
    });
  }

  async ack(msg: ReceivedMessage): Promise<void> {
    const raw = msg.raw as RheaRaw;
    raw.delivery.accept();
    raw.receiver.add_credit(1);
  }

  async tempReplyQueue(): Promise<{ replyTo: string; subscription: Subscription }> {
    const sub = await this.openReceiver({ source: { dynamic: true } }, 'dynamic source', {});
    return { replyTo: sub.receiver.source.address, subscription: sub };
  }

  async begin(): Promise<Transaction> {
    this.controller ??= TxController.open(this.connection);
    const controller = await this.controller;
    const txnId = await controller.declare().catch(refused('declare'));
    return {
      send: async (dest, body, opts = {}) => {
        const addr = address(dest);
        const r = await sendInTransaction(await this.sender(addr), txnId, outgoing(body, opts));
        if (r.outcome !== 'accepted') throw new RefusedError(NAME, r.error?.condition ?? r.outcome, `transactional send to ${addr}: ${r.error?.description ?? ''}`);
      },
      ack: async (msg) => {
        const raw = msg.raw as RheaRaw;
        await settleInTransaction(raw.delivery, txnId);
        raw.receiver.add_credit(1);
      },
      commit: () => controller.commit(txnId).catch(refused('commit')),
      abort: () => controller.rollback(txnId).catch(refused('abort')),
    };
  }

  disconnect(): Promise<void> {
    if (this.closed || !this.connection.is_open()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.closed = true;
        resolve();
      };
      const timer = setTimeout(done, 3000);
      this.connection.once('connection_close', done);
      this.connection.once('disconnected', done);
      this.connection.close();
    });
  }
}

export const rheaDriver: Driver = {
  name: NAME,
  id: 'rhea',
  protocol: 'amqp10',
  capabilities: {
    queues: true,
    topics: true,
    applicationHeaders: true,
    headersAsText: false,
    standardProperties: true,
    clientWindow: true,
    brokerWindow: false,
    transactions: true,
    typedProperties: true,
    tempReplyQueue: true,
    durableSubscriptions: true,
    redeliveredFlag: true,
    publishRefusalVisible: true,
  },
  notes: {},
  address,
  connect(server: TestServer, opts: ConnectOptions = {}): Promise<Connection> {
    const container = rhea.create_container({ id: opts.clientId ?? `conformance-${Math.random().toString(36).slice(2)}` });
    container.on('error', () => undefined);
    return new Promise((resolve, reject) => {
      const connection = container.connect({
        host: '127.0.0.1',
        port: server.ports.amqp!,
        reconnect: false,
        ...(opts.username !== undefined ? { username: opts.username, password: opts.password ?? '' } : {}),
      });
      const fail = (ctx: EventContext): void => {
        const { condition, description } = conditionOf(ctx.error ?? connection.error);
        reject(new RefusedError(NAME, condition, `connect: ${description}`));
      };
      connection.once('connection_error', fail);
      connection.once('disconnected', fail);
      connection.once('connection_open', () => {
        connection.removeListener('connection_error', fail);
        connection.removeListener('disconnected', fail);
        resolve(new RheaConnectionDriver(rheaDriver, connection));
      });
    });
  },
};
