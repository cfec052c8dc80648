/**
 * AMQP 0-9-1 over TCP with amqplib (RabbitMQ's Node.js client), used as applications use it: a
 * queue is declared (durable) before it is used, sends go through a confirm channel and wait for
 * the broker's confirm, each subscription has its own channel with basic.qos for its window.
 * Core topics are amq.topic: published with the topic as routing key, subscribed through a
 * server-named exclusive queue bound to it.
 */
import amqp from 'amqplib';
import type { TestServer } from '../../support/test-server.js';
import {
  CapabilityMissing, CollectingSubscription, RefusedError, toBuffer,
  type Connection, type ConnectOptions, type Destination, type Driver, type ReceivedMessage, type SendOptions, type SubscribeOptions, type Subscription, type Transaction,
} from '../driver.js';

const NAME = 'amqp091 (amqplib, tcp)';

export interface AmqplibRaw {
  message: amqp.ConsumeMessage;
  channel: amqp.Channel;
  queue: string;
}

function queueName(dest: Destination): string {
  switch (dest.kind) {
    case 'queue': return dest.name;
    // A reply-to as received, used as the routing key unchanged (the broker maps other protocols' forms).
    case 'address': return dest.address;
    case 'topic': throw new CapabilityMissing(NAME, 'a queue name for a topic (topics go through amq.topic)');
  }
}

/** A channel closed by the broker: its reply code and text, as the refusal code. */
function refusal(err: unknown): Error {
  const e = err as { code?: number; message?: string };
  const m = /(\d{3}) \(([A-Z-]+)\)/.exec(e.message ?? '');
  if (m) return new RefusedError(NAME, `${m[1]} ${m[2]!.replace(/-/g, '_')}`, e.message ?? '');
  return err as Error;
}

function received(message: amqp.ConsumeMessage, channel: amqp.Channel, queue: string): ReceivedMessage {
  const p = message.properties;
  const out: ReceivedMessage = {
    body: message.content,
    headers: { ...(p.headers ?? {}) },
    redelivered: message.fields.redelivered,
    raw: { message, channel, queue } satisfies AmqplibRaw,
  };
  if (p.contentType !== undefined) out.contentType = String(p.contentType);
  if (p.correlationId !== undefined) out.correlationId = String(p.correlationId);
  if (p.replyTo !== undefined) out.replyTo = String(p.replyTo);
  if (p.messageId !== undefined) out.messageId = String(p.messageId);
  return out;
}

class AmqplibConnection implements Connection {
  private sender: Promise<amqp.ConfirmChannel> | undefined;
  private isClosed = false;

  constructor(readonly driver: Driver, private readonly conn: amqp.ChannelModel) {
    conn.on('error', () => undefined);
    conn.on('close', () => { this.isClosed = true; });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The confirm channel for sends, opened again after the broker closed it (a channel exception). */
  private senderChannel(): Promise<amqp.ConfirmChannel> {
    if (!this.sender) {
      const ch = this.conn.createConfirmChannel();
      this.sender = ch;
      void ch.then((c) => {
        c.on('error', () => undefined);
        c.on('close', () => { if (this.sender === ch) this.sender = undefined; });
      }, () => { if (this.sender === ch) this.sender = undefined; });
    }
    return this.sender;
  }

  async send(dest: Destination, body: Buffer | string, opts: SendOptions = {}): Promise<void> {
    // A core topic is amq.topic with the topic as routing key.
    const [exchange, q] = dest.kind === 'topic' ? ['amq.topic', dest.name] : ['', queueName(dest)];
    const ch = await this.senderChannel();
    const props: amqp.Options.Publish = { persistent: opts.persistent ?? true };
    if (opts.headers) props.headers = { ...opts.headers };
    if (opts.typedHeaders) throw new CapabilityMissing(NAME, 'typed properties (amqplib decodes field values to plain JavaScript values)');
    if (opts.contentType !== undefined) props.contentType = opts.contentType;
    if (opts.correlationId !== undefined) props.correlationId = opts.correlationId;
    if (opts.replyTo !== undefined) props.replyTo = opts.replyTo;
    if (opts.messageId !== undefined) props.messageId = opts.messageId;
    if (opts.replyTo === 'amq.rabbitmq.reply-to' && dest.kind === 'queue') return this.sendOnReplyChannel(q, body, props);
    // A refusal closes the channel: its close error (with the reply code) is what the caller sees.
    let onError: (err: Error) => void = () => undefined;
    const closed = new Promise<never>((_, reject) => { onError = reject; });
    ch.once('error', onError);
    try {
      await Promise.race([closed, (async () => {
        // Applications declare the queues they publish to; a reply-to is answered without declaring it.
        if (dest.kind === 'queue') await ch.assertQueue(q, { durable: true });
        await new Promise<void>((resolve, reject) => {
          ch.publish(exchange, q, toBuffer(body), props, (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()));
        });
      })()]);
    } catch (err) {
      throw refusal(err);
    } finally {
      ch.removeListener('error', onError);
    }
  }

  async subscribe(dest: Destination, opts: SubscribeOptions = {}): Promise<Subscription> {
    if (opts.durableName !== undefined) throw new CapabilityMissing(NAME, 'durable topic subscriptions');
    let q = dest.kind === 'topic' ? '' : queueName(dest);
    const ch = await this.conn.createChannel();
    ch.on('error', () => undefined);
    const sub = new CollectingSubscription(`${NAME} ${q}`);
    const noAck = (opts.ack ?? 'auto') === 'auto';
    try {
      if (opts.prefetch !== undefined) await ch.prefetch(opts.prefetch);
      if (dest.kind === 'topic') {
        // A topic subscriber: a server-named exclusive queue bound to amq.topic (core `>` is `#`).
        q = (await ch.assertQueue('', { exclusive: true })).queue;
        await ch.bindQueue(q, 'amq.topic', dest.name.replace(/(^|\.)>$/, '$1#'));
      } else {
        await ch.assertQueue(q, { durable: true });
      }
      await ch.consume(q, (m) => {
        if (m === null) sub.fail(new Error(`${NAME}: consumer of ${q} cancelled by the broker`));
        else sub.push(received(m, ch, q));
      }, { noAck });
    } catch (err) {
      throw refusal(err);
    }
    return sub;
  }

  async ack(msg: ReceivedMessage): Promise<void> {
    const raw = msg.raw as AmqplibRaw;
    raw.channel.ack(raw.message);
    // basic.ack has no reply. amqplib drops channel writes still buffered when the connection
    // closes, so a round trip on the same channel (handled in order) shows the ack was taken.
    await raw.channel.checkQueue(raw.queue);
  }

  /** Direct reply-to: requests carrying it must be published on the channel that consumes it. */
  private replyChannel: amqp.Channel | undefined;

  async tempReplyQueue(): Promise<{ replyTo: string; subscription: Subscription }> {
    const ch = await this.conn.createChannel();
    ch.on('error', () => undefined);
    const sub = new CollectingSubscription(`${NAME} amq.rabbitmq.reply-to`);
    await ch.consume('amq.rabbitmq.reply-to', (m) => { if (m) sub.push(received(m, ch, 'amq.rabbitmq.reply-to')); }, { noAck: true });
    this.replyChannel = ch;
    return { replyTo: 'amq.rabbitmq.reply-to', subscription: sub };
  }

  /** A request with direct reply-to goes out on the reply channel; a round trip shows it was taken. */
  private async sendOnReplyChannel(q: string, body: Buffer | string, props: amqp.Options.Publish): Promise<void> {
    const ch = this.replyChannel;
    if (!ch) throw new Error(`${NAME}: reply-to amq.rabbitmq.reply-to without tempReplyQueue()`);
    await ch.assertQueue(q, { durable: true });
    ch.sendToQueue(q, toBuffer(body), props);
    await ch.checkQueue(q);
  }

  async begin(): Promise<Transaction> {
    throw new CapabilityMissing(NAME, 'transactions (amqplib has no tx.select API)');
  }

  async disconnect(): Promise<void> {
    if (this.isClosed) return;
    await this.conn.close();
  }
}

export const amqplibDriver: Driver = {
  name: NAME,
  id: 'amqplib',
  protocol: 'amqp091',
  capabilities: {
    queues: true,
    topics: true,
    applicationHeaders: true,
    headersAsText: false,
    standardProperties: true,
    clientWindow: true,
    brokerWindow: false,
    transactions: false,
    typedProperties: false,
    tempReplyQueue: true,
    durableSubscriptions: false,
    redeliveredFlag: true,
    publishRefusalVisible: true,
  },
  notes: {
    headersAsText: 'field-table values keep their types',
    transactions: 'amqplib has no tx.select/commit API (the front-end supports tx: test/protocols/amqp091/confirms-tx.test.ts)',
    typedProperties: 'amqplib decodes field values to plain JavaScript values (types not visible)',
    durableSubscriptions: 'a durable queue bound to amq.topic is one, but the driver contract\'s durable name has no 0-9-1 counterpart',
    brokerWindow: 'the window is the client\'s basic.qos',
  },
  address(dest: Destination): string {
    return dest.kind === 'topic' ? `amq.topic/${dest.name}` : queueName(dest);
  },
  async connect(server: TestServer, opts: ConnectOptions = {}): Promise<Connection> {
    const userinfo = opts.username !== undefined ? `${encodeURIComponent(opts.username)}:${encodeURIComponent(opts.password ?? '')}@` : '';
    try {
      const conn = await amqp.connect(`amqp://${userinfo}127.0.0.1:${server.ports.amqp!}?heartbeat=0`);
      return new AmqplibConnection(amqplibDriver, conn);
    } catch (err) {
      throw refusal(err);
    }
  },
};
