/**
 * basic.publish. The default exchange ('') routes to the queue (or stream) named by the routing
 * key when it exists; otherwise the message is unroutable: basic.return NO_ROUTE (312) when
 * mandatory, then (confirm mode) acked, as RabbitMQ does. Other exchanges need the core exchanges
 * (not available yet): NOT_FOUND (404) channel exception.
 *
 * The message goes to the core synchronously (core order = publish order); the channel does not
 * wait for the commit, so publishes pipeline; confirm mode acks once the core accepted it
 * (committed, when persistent to a durable queue) and nacks when it refused.
 */
import { isBrokerError } from '../../src/core/errors.js';
import type { Address } from '../../src/core/names.js';
import type { Command } from './codec/content-assembler.js';
import { argBool, argString } from './codec/method-codec.js';
import type { Channel } from './channel.js';
import { AmqpError } from './errors.js';
import { toCoreMessage } from './message-mapping.js';
import { ReplyCode } from './spec/constants.js';

const PUBLISH = { classId: 60, methodId: 40 };
const OTHER_PROTOCOL_QUEUE = /^(?:\/queue\/|queue:\/\/)(.+)$/;

/**
 * The core queue a default-exchange publish goes to: the one named by the routing key; failing
 * that, a reply-to written by another protocol (`/queue/NAME` from STOMP, `queue://NAME` from
 * AMQP 1.0) names queue NAME, so `sendToQueue(msg.properties.replyTo, ...)` answers them.
 */
function defaultExchangeTarget(ch: Channel, routingKey: string): string | undefined {
  if (routingKey === '') return undefined;
  const broker = ch.conn.ctx.broker;
  if (broker.lookup(routingKey) !== undefined) return routingKey;
  return OTHER_PROTOCOL_QUEUE.exec(routingKey)?.[1];
}

export function basicPublish(ch: Channel, cmd: Command): void {
  const m = cmd.method;
  const content = cmd.content!;
  const exchange = argString(m, 'exchange');
  const routingKey = argString(m, 'routingKey');
  const seq = ch.confirms?.nextSeq();
  if (exchange !== '') throw new AmqpError('NOT_FOUND', `no exchange '${exchange}' in vhost '/'`, PUBLISH);
  const message = toCoreMessage(content.properties, content.body, {
    userName: ch.session.principal.name, exchange, routingKey, now: Date.now(),
  });
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
  if (ch.txId !== undefined) {
    ch.session.authorize('write', address);
    ch.session.stage(ch.txId, { kind: 'send', request: { address, message } }, content.body.length);
    return;
  }
  const sent = ch.session.send({ address, message }); // authorization throws here, synchronously
  ch.publishStarted();
  sent.then(
    () => {
      ch.publishDone();
      if (seq !== undefined) ch.confirms!.settle(seq, true);
    },
    (err: unknown) => {
      ch.publishDone();
      if (seq !== undefined) {
        ch.logger.warn({ err: (err as Error).message, queue: routingKey }, 'publish refused; nacked');
        ch.confirms!.settle(seq, false);
      } else if (isBrokerError(err, 'QUEUE_FULL')) {
        // RabbitMQ's reject-publish without confirms: the message is dropped, the channel goes on.
        ch.logger.debug({ err: (err as Error).message, queue: routingKey }, 'publish refused by a full queue; dropped');
      } else {
        ch.raise(err, cmd);
      }
    },
  );
}
