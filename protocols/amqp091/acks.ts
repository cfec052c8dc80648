/**
 * basic.ack / basic.nack / basic.reject / basic.recover: settling deliveries by delivery tag
 * (the channel's tags are its session's delivery ids). `multiple` settles every unacked delivery
 * up to the tag (tag 0 with multiple: all of them). An unknown tag is PRECONDITION_FAILED (406),
 * as RabbitMQ raises it. In a transaction the settlement is staged until tx.commit.
 */
import type { SessionConsumer } from '../../src/core/session/index.js';
import type { Command } from './codec/content-assembler.js';
import { argBool, argNumber } from './codec/method-codec.js';
import type { Channel } from './channel.js';
import { AmqpError } from './errors.js';

type Outcome = { kind: 'ack' } | { kind: 'nack'; requeue: boolean };

function selected(ch: Channel, tag: number, multiple: boolean, site: { classId: number; methodId: number }): Array<[number, SessionConsumer]> {
  if (!multiple) {
    const c = ch.unacked.get(tag);
    if (!c) throw new AmqpError('PRECONDITION_FAILED', `unknown delivery tag ${tag}`, site);
    return [[tag, c]];
  }
  if (tag !== 0 && !ch.unacked.has(tag) && tag > ch.session.lastDeliveryId) {
    throw new AmqpError('PRECONDITION_FAILED', `unknown delivery tag ${tag}`, site);
  }
  const out: Array<[number, SessionConsumer]> = [];
  for (const entry of ch.unacked) {
    if (tag !== 0 && entry[0] > tag) break;
    out.push(entry);
  }
  return out;
}

function settle(ch: Channel, cmd: Command, outcome: Outcome, tag: number, multiple: boolean): void {
  const site = { classId: cmd.method.def.classId, methodId: cmd.method.def.methodId };
  const chosen = selected(ch, tag, multiple, site);
  for (const [t, consumer] of chosen) {
    if (ch.txId !== undefined) {
      // Staged: the delivery stays unacked until tx.commit (a rollback leaves it unacked, as RabbitMQ does).
      ch.session.stage(ch.txId, {
        kind: 'deferred',
        resolve: () => {
          if (ch.unacked.get(t) !== consumer) return undefined;
          ch.unacked.delete(t);
          return outcome.kind === 'ack'
            ? { kind: 'ack', consumer, deliveryId: t }
            : { kind: 'nack', consumer, deliveryId: t, outcome: { requeue: outcome.requeue } };
        },
      });
      continue;
    }
    ch.unacked.delete(t);
    if (outcome.kind === 'ack') {
      consumer.ack(t).catch((err: unknown) => ch.logger.error({ err, deliveryTag: t }, 'ack failed'));
    } else {
      consumer.nack(t, { requeue: outcome.requeue });
    }
  }
  ch.settled();
}

export function basicAck(ch: Channel, cmd: Command): void {
  settle(ch, cmd, { kind: 'ack' }, argNumber(cmd.method, 'deliveryTag'), argBool(cmd.method, 'multiple'));
}

export function basicNack(ch: Channel, cmd: Command): void {
  settle(ch, cmd, { kind: 'nack', requeue: argBool(cmd.method, 'requeue') }, argNumber(cmd.method, 'deliveryTag'), argBool(cmd.method, 'multiple'));
}

export function basicReject(ch: Channel, cmd: Command): void {
  settle(ch, cmd, { kind: 'nack', requeue: argBool(cmd.method, 'requeue') }, argNumber(cmd.method, 'deliveryTag'), false);
}

/** basic.recover / recover-async: every unacked delivery goes back to its queue (redelivered). requeue=false is treated as true, as RabbitMQ does. */
export function basicRecover(ch: Channel, cmd: Command): void {
  for (const [t, consumer] of [...ch.unacked]) {
    ch.unacked.delete(t);
    consumer.nack(t, { requeue: true });
  }
  ch.settled();
  if (cmd.method.def.name === 'basic.recover') ch.send('basic.recover-ok');
}
