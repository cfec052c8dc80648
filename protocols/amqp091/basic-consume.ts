/**
 * basic.consume / basic.cancel and the deliveries they produce (basic.deliver). One session
 * consumer per consumer tag; no-ack consumers settle at dispatch, others individually (acks.ts).
 * consume-ok is sent before the first delivery (deliveries arriving while the consumer attaches
 * wait). basic.cancel stops deliveries at once; unacked ones stay ackable, and the session
 * consumer closes when they are settled. A queue deleted under a consumer ends it: the client gets
 * basic.cancel when it announced consumer_cancel_notify.
 */
import { randomBytes } from 'node:crypto';
import { parseStreamOffset, type Delivery, type SessionConsumer } from '../../src/core/session/index.js';
import { isTypedValue, typed, valueToNumber, type Value } from '../../src/core/values.js';
import type { Command } from './codec/content-assembler.js';
import { argBool, argString, argTable } from './codec/method-codec.js';
import type { Channel } from './channel.js';
import { AmqpError } from './errors.js';
import { deliveryRoute, toBasicProperties } from './message-mapping.js';
import { DIRECT_REPLY_TO, REPLY_QUEUE_LOCAL } from './direct-reply-to.js';
import { noQueue, resolveQueueName } from './queue-names.js';

const CONSUME = { classId: 60, methodId: 20 };

export class ConsumerEntry {
  consumer: SessionConsumer | undefined;
  cancelled = false;
  /** Counted in QueueOwnership (a real consumer, not a basic.get). */
  counted = false;
  private ready = false;
  private held: Delivery[] = [];
  private finished = false;

  constructor(readonly ch: Channel, readonly tag: string, readonly queue: string, readonly noAck: boolean) {}

  deliver(d: Delivery): void {
    if (!this.ready) {
      this.held.push(d);
      return;
    }
    const ch = this.ch;
    const route = deliveryRoute(d.message, this.queue);
    const properties = toBasicProperties(d.message, Date.now());
    // Stream deliveries say where they are, as RabbitMQ's do: resume with x-stream-offset = this + 1.
    if (d.streamOffset !== undefined) properties.headers = { ...properties.headers, 'x-stream-offset': typed.long(BigInt(d.streamOffset)) };
    ch.sendContent('basic.deliver', {
      consumerTag: this.tag, deliveryTag: d.id, redelivered: d.redelivered, exchange: route.exchange, routingKey: route.routingKey,
    }, properties, d.message.body);
    if (!this.noAck) ch.tracked(d);
  }

  /** consume-ok has been sent: hand over what waited. */
  start(): void {
    this.ready = true;
    const held = this.held;
    this.held = [];
    for (const d of held) this.deliver(d);
  }

  /** The queue ended the consumer (deleted). */
  ended(reason: string): void {
    const ch = this.ch;
    ch.logger.debug({ consumerTag: this.tag, reason }, 'consumer ended by the broker');
    if (ch.consumers.get(this.tag) === this) ch.consumers.delete(this.tag);
    for (const [tag, c] of ch.unacked) if (c === this.consumer) ch.unacked.delete(tag);
    // After the command being handled: a queue.delete on this channel answers delete-ok first, as RabbitMQ does.
    if (ch.conn.capabilities.consumer_cancel_notify === true) ch.afterCurrent(() => ch.send('basic.cancel', { consumerTag: this.tag, nowait: true }));
    this.finish();
  }

  /** Close the session consumer and account for it (auto-delete). Idempotent. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.consumer?.close();
    const own = this.ch.conn.deps.ownership;
    if (this.counted && own.consumerRemoved(this.queue, `${this.ch.conn.id}/${this.ch.id}/${this.tag}`)) {
      own.forget(this.queue);
      this.ch.conn.ctx.broker.deleteQueue(this.queue).catch((err: unknown) => this.ch.logger.error({ err, queue: this.queue }, 'auto-delete failed'));
    }
  }
}

export async function basicConsume(ch: Channel, cmd: Command): Promise<void> {
  const m = cmd.method;
  let tag = argString(m, 'consumerTag');
  if (tag === '') tag = `amq.ctag-${randomBytes(16).toString('base64url')}`;
  if (ch.consumers.has(tag)) throw new AmqpError('NOT_ALLOWED', `attempt to reuse consumer tag '${tag}'`, CONSUME);
  if (argString(m, 'queue') === DIRECT_REPLY_TO) return consumeDirectReplyTo(ch, cmd, tag);
  const name = resolveQueueName(ch, argString(m, 'queue'), CONSUME);
  if (ch.conn.ctx.broker.getStream(name)) return consumeStream(ch, cmd, tag, name);
  const queue = ch.conn.ctx.broker.getQueue(name);
  if (!queue) throw noQueue(name, CONSUME);
  const own = ch.conn.deps.ownership;
  own.checkAccess(name, ch.conn.id, CONSUME);
  ch.session.authorize('read', { kind: 'queue', name });
  argTable(m, 'arguments');
  const noAck = argBool(m, 'noAck');
  const key = `${ch.conn.id}/${ch.id}/${tag}`;
  own.consumerAdded(name, key, argBool(m, 'exclusive'), queue.stats().consumers, CONSUME);
  const entry = new ConsumerEntry(ch, tag, name, noAck);
  entry.counted = true;
  ch.consumers.set(tag, entry);
  try {
    entry.consumer = await ch.session.createConsumer({
      source: { kind: 'queue', name },
      ack: noAck ? 'auto' : 'individual',
      ...(noAck ? { autoSettle: 'dispatch' as const } : {}),
      prefetch: ch.consumerPrefetch > 0 ? ch.consumerPrefetch : Infinity,
      tag,
    }, { deliver: (d) => entry.deliver(d), ended: (reason) => entry.ended(reason) });
  } catch (err) {
    ch.consumers.delete(tag);
    entry.finish();
    throw err;
  }
  if (!argBool(m, 'nowait')) ch.send('basic.consume-ok', { consumerTag: tag });
  ch.flowChanged();
  entry.start();
}

export function basicCancel(ch: Channel, cmd: Command): void {
  const tag = argString(cmd.method, 'consumerTag');
  const entry = ch.consumers.get(tag);
  if (entry) {
    entry.cancelled = true;
    ch.consumers.delete(tag);
    entry.consumer?.pause();
    if (entry.noAck || (entry.consumer?.unsettled ?? 0) === 0) entry.finish();
    else ch.cancelledWithUnacked.add(entry);
  }
  if (!argBool(cmd.method, 'nowait')) ch.send('basic.cancel-ok', { consumerTag: tag });
}

/** basic.consume of amq.rabbitmq.reply-to: the channel's temporary reply queue, no-ack only. */
async function consumeDirectReplyTo(ch: Channel, cmd: Command, tag: string): Promise<void> {
  const m = cmd.method;
  if (!argBool(m, 'noAck')) throw new AmqpError('PRECONDITION_FAILED', 'reply consumer cannot acknowledge', CONSUME);
  if (ch.directReplyQueue !== undefined) throw new AmqpError('PRECONDITION_FAILED', 'reply consumer already set', CONSUME);
  const coreName = await ch.session.replyToName(REPLY_QUEUE_LOCAL);
  const entry = new ConsumerEntry(ch, tag, coreName, true);
  ch.consumers.set(tag, entry);
  try {
    entry.consumer = await ch.session.createConsumer({
      source: { kind: 'temp-queue', name: REPLY_QUEUE_LOCAL }, ack: 'auto', autoSettle: 'dispatch', prefetch: Infinity, tag,
    }, { deliver: (d) => entry.deliver(d), ended: (reason) => entry.ended(reason) });
  } catch (err) {
    ch.consumers.delete(tag);
    entry.finish();
    throw err;
  }
  ch.directReplyQueue = coreName;
  if (!argBool(m, 'nowait')) ch.send('basic.consume-ok', { consumerTag: tag });
  entry.start();
}

/** x-stream-offset as the core's offset grammar: first, last, next, a number, a timestamp, `offset=N`... */
function streamOffset(v: Value | undefined): unknown {
  if (v === undefined || typeof v === 'string') return v;
  if (isTypedValue(v)) {
    if (v.type === 'timestamp') return new Date(v.value);
    const n = valueToNumber(v);
    if (n !== undefined) return n;
  }
  return v;
}

/** basic.consume of a stream: from x-stream-offset (default next); deliveries carry x-stream-offset. */
async function consumeStream(ch: Channel, cmd: Command, tag: string, name: string): Promise<void> {
  const m = cmd.method;
  ch.session.authorize('read', { kind: 'stream', name });
  const noAck = argBool(m, 'noAck');
  const offset = parseStreamOffset(streamOffset(argTable(m, 'arguments')['x-stream-offset']));
  const entry = new ConsumerEntry(ch, tag, name, noAck);
  ch.consumers.set(tag, entry);
  try {
    entry.consumer = await ch.session.createConsumer({
      source: { kind: 'stream', name, offset },
      ack: noAck ? 'auto' : 'individual',
      ...(noAck ? { autoSettle: 'dispatch' as const } : {}),
      prefetch: ch.consumerPrefetch > 0 ? ch.consumerPrefetch : Infinity,
      tag,
    }, { deliver: (d) => entry.deliver(d), ended: (reason) => entry.ended(reason) });
  } catch (err) {
    ch.consumers.delete(tag);
    entry.finish();
    throw err;
  }
  if (!argBool(m, 'nowait')) ch.send('basic.consume-ok', { consumerTag: tag });
  ch.flowChanged();
  entry.start();
}
