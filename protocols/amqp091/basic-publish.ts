/**
 * basic.publish. The default exchange ('') routes to the queue (or stream) named by the routing
 * key when it exists; otherwise the message is unroutable: basic.return NO_ROUTE (312) when
 * mandatory, then (confirm mode) acked, as RabbitMQ does. Other exchanges route through the core
 * exchanges (broker.exchanges; amq.topic is the core topic space).
 *
 * The message goes to the core synchronously (core order = publish order); the channel does not
 * wait for the commit, so publishes pipeline; confirm mode acks once the core accepted it
 * (committed, when persistent to a durable queue) and nacks when it refused.
 */
import { isBrokerError } from '../../src/core/errors.js';
import type { Message } from '../../src/core/message.js';
import type { Address } from '../../src/core/names.js';
import type { Command } from './codec/content-assembler.js';
import { argBool, argString } from './codec/method-codec.js';
import type { Channel } from './channel.js';
import { AmqpError } from './errors.js';
import { DIRECT_REPLY_TO, replyQueueOf, rewrittenReplyTo } from './direct-reply-to.js';
import { toCoreMessage } from './message-mapping.js';
import { ReplyCode } from './spec/constants.js';

const PUBLISH = { classId: 60, methodId: 40 };
const OTHER_PROTOCOL_QUEUE = /^(?:\/queue\/|queue:\/\/)(.+)$/;

/**
 * The core queue a default-exchange publish goes to: the one named by the routing key; failing
 * that, a direct reply-to (`amq.rabbitmq.reply-to.<queue>`, direct-reply-to.ts) or a reply-to
 * written by another protocol (`/queue/NAME` from STOMP, `queue://NAME` from
 * AMQP 1.0) names queue NAME, so `sendToQueue(msg.properties.replyTo, ...)` answers them.
 */
function defaultExchangeTarget(ch: Channel, routingKey: string): string | undefined {
  if (routingKey === '') return undefined;
  const broker = ch.conn.ctx.broker;
  if (broker.lookup(routingKey) !== undefined) return routingKey;
  return replyQueueOf(routingKey) ?? OTHER_PROTOCOL_QUEUE.exec(routingKey)?.[1];
}

export function basicPublish(ch: Channel, cmd: Command): void {
  const m = cmd.method;
  const content = cmd.content!;
  const exchange = argString(m, 'exchange');
  const routingKey = argString(m, 'routingKey');
  const seq = ch.confirms?.nextSeq();
  const properties = content.properties.replyTo === DIRECT_REPLY_TO
    ? { ...content.properties, replyTo: rewrittenReplyTo(ch, PUBLISH) }
    : content.properties;
  const message = toCoreMessage(properties, content.body, {
    userName: ch.session.principal.name, exchange, routingKey, now: Date.now(),
  });
  if (exchange !== '') {
    publishToExchange(ch, cmd, exchange, routingKey, message, seq);
    return;
  }
  const target = defaultExchangeTarget(ch, routingKey);
  const kind = target === undefined ? undefined : ch.conn.ctx.broker.lookup(target);
  if (target === undefined || (kind !== 'queue' && kind !== 'stream')) {
    if (argBool(m, 'mandatory')) {
      ch.sendContent('basic.return', { replyCode: ReplyCode.NO_ROUTE, replyText: 'NO_ROUTE', exchange, routingKey }, content.properties, content.body);
    }
    if (seq !== undefined) ch.confirms!.settle(seq, true);
    return;
  }
  const address: Address = { kind, name: target };
  // A stream record needs a partition key (its shard): the x-partition-key header, else the routing key.
  if (kind === 'stream' && message.partitionKey === undefined) {
    const pk = message.headers['x-partition-key'];
    message.partitionKey = typeof pk === 'string' && pk !== '' ? pk : routingKey;
  }
  if (ch.txId !== undefined) {
    ch.session.authorize('write', address);
    ch.session.stage(ch.txId, { kind: 'send', request: { address, message } }, content.body.length);
    return;
  }
  track(ch, cmd, ch.session.send({ address, message }), seq, routingKey); // authorization throws here, synchronously
}

/**
 * Through a core exchange: unknown (404) and internal (403) exchanges are channel exceptions
 * raised before anything is routed; routed 0 is unroutable (basic.return when mandatory).
 */
function publishToExchange(ch: Channel, cmd: Command, exchange: string, routingKey: string, message: Message, seq: number | undefined): void {
  const info = ch.conn.ctx.broker.exchanges.get(exchange);
  if (!info) throw new AmqpError('NOT_FOUND', `no exchange '${exchange}' in vhost '/'`, PUBLISH);
  if (info.internal) throw new AmqpError('ACCESS_REFUSED', `cannot publish to internal exchange '${exchange}' in vhost '/'`, PUBLISH);
  const request = { exchange, routingKey, message };
  if (ch.txId !== undefined) {
    // Routed at commit: a mandatory message that turns out unroutable is not returned (documented).
    ch.session.stage(ch.txId, { kind: 'publish', request }, message.body.length);
    return;
  }
  const mandatory = argBool(cmd.method, 'mandatory');
  const content = cmd.content!;
  const published = ch.session.publish(request).then((r) => {
    if (r.routed === 0 && mandatory) {
      ch.sendContent('basic.return', { replyCode: ReplyCode.NO_ROUTE, replyText: 'NO_ROUTE', exchange, routingKey }, content.properties, content.body);
    }
  });
  track(ch, cmd, published, seq, `${exchange}/${routingKey}`);
}

/** Count a publish in flight; confirm (or nack, or raise without confirms) when the core answered. */
function track(ch: Channel, cmd: Command, accepted: Promise<unknown>, seq: number | undefined, target: string): void {
  ch.publishStarted();
  accepted.then(
    () => {
      ch.publishDone();
      if (seq !== undefined) ch.confirms!.settle(seq, true);
    },
    (err: unknown) => {
      ch.publishDone();
      if (seq !== undefined) {
        ch.logger.warn({ err: (err as Error).message, target }, 'publish refused; nacked');
        ch.confirms!.settle(seq, false);
      } else if (isBrokerError(err, 'QUEUE_FULL')) {
        // RabbitMQ's reject-publish without confirms: the message is dropped, the channel goes on.
        ch.logger.debug({ err: (err as Error).message, target }, 'publish refused by a full queue; dropped');
      } else {
        ch.raise(err, cmd);
      }
    },
  );
}
