/**
 * basic.get: one message, if there is one now. A short-lived session consumer with a credit of
 * one is drained (the core dispatches synchronously): get-ok with the message, or get-empty.
 * With no-ack the message is settled at dispatch; otherwise it is unacked on the channel like a
 * consumer's delivery, and its consumer closes once it is settled.
 */
import type { Delivery } from '../../src/core/session/index.js';
import type { Command } from './codec/content-assembler.js';
import { argBool, argString } from './codec/method-codec.js';
import type { Channel } from './channel.js';
import { AmqpError } from './errors.js';
import { deliveryRoute, toBasicProperties } from './message-mapping.js';
import { noQueue, resolveQueueName } from './queue-names.js';
import { ConsumerEntry } from './basic-consume.js';

const GET = { classId: 60, methodId: 70 };

export async function basicGet(ch: Channel, cmd: Command): Promise<void> {
  const m = cmd.method;
  const name = resolveQueueName(ch, argString(m, 'queue'), GET);
  if (ch.conn.ctx.broker.getStream(name)) throw new AmqpError('PRECONDITION_FAILED', `basic.get is not supported on stream '${name}' (consume it with x-stream-offset)`, GET);
  const queue = ch.conn.ctx.broker.getQueue(name);
  if (!queue) throw noQueue(name, GET);
  ch.conn.deps.ownership.checkAccess(name, ch.conn.id, GET);
  const noAck = argBool(m, 'noAck');
  let got: Delivery | undefined;
  const consumer = await ch.session.createConsumer({
    source: { kind: 'queue', name },
    ack: noAck ? 'auto' : 'individual',
    autoSettle: 'dispatch',
    credit: 0,
    prefetch: Infinity,
    tag: 'basic.get',
  }, {
    deliver: (d) => {
      if (got) d.consumer.release(d.id);
      else got = d;
    },
  });
  consumer.setCredit(1);
  consumer.drain();
  if (!got) {
    consumer.close();
    ch.send('basic.get-empty');
    return;
  }
  const d: Delivery = got;
  const route = deliveryRoute(d.message, name);
  ch.sendContent('basic.get-ok', {
    deliveryTag: d.id, redelivered: d.redelivered, exchange: route.exchange, routingKey: route.routingKey, messageCount: queue.stats().visible,
  }, toBasicProperties(d.message, Date.now()), d.message.body);
  if (noAck) {
    consumer.close();
    return;
  }
  ch.tracked(d);
  // Close the one-shot consumer once its delivery is settled (ack, nack, recover or channel close).
  const entry = new ConsumerEntry(ch, 'basic.get', name, false);
  entry.consumer = consumer;
  entry.cancelled = true;
  ch.cancelledWithUnacked.add(entry);
}
