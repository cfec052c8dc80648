/**
 * channel.flow / channel.close (client-sent), basic.qos, confirm.select, tx.select/commit/rollback.
 */
import type { Command } from './codec/content-assembler.js';
import { argBool, argNumber } from './codec/method-codec.js';
import type { Channel } from './channel.js';
import { AmqpError } from './errors.js';

export function channelFlow(ch: Channel, cmd: Command): void {
  ch.flowActive = argBool(cmd.method, 'active');
  ch.flowChanged();
  ch.send('channel.flow-ok', { active: ch.flowActive });
}

export function channelClose(ch: Channel, cmd: Command): Promise<void> {
  return ch.closeByClient(cmd);
}

export function channelOpenAgain(_ch: Channel, _cmd: Command): void {
  throw new AmqpError('CHANNEL_ERROR', "second 'channel.open' seen", { classId: 20, methodId: 10 }, { hard: true });
}

/**
 * basic.qos as RabbitMQ interprets it: global=false sets the prefetch of consumers created from
 * now on; global=true limits the unacked deliveries of the whole channel. prefetch-size is not
 * supported (RabbitMQ neither): NOT_IMPLEMENTED.
 */
export function basicQos(ch: Channel, cmd: Command): void {
  const size = argNumber(cmd.method, 'prefetchSize');
  if (size !== 0) throw new AmqpError('NOT_IMPLEMENTED', `prefetch_size!=0 (${size})`, { classId: 60, methodId: 10 });
  const count = argNumber(cmd.method, 'prefetchCount');
  if (argBool(cmd.method, 'global')) {
    ch.channelPrefetch = count;
    ch.flowChanged();
  } else {
    ch.consumerPrefetch = count;
  }
  ch.send('basic.qos-ok');
}

export function confirmSelect(ch: Channel, cmd: Command): void {
  if (ch.txId !== undefined) throw new AmqpError('PRECONDITION_FAILED', 'cannot switch from tx to confirm mode', { classId: 85, methodId: 10 });
  ch.confirmMode();
  if (!argBool(cmd.method, 'nowait')) ch.send('confirm.select-ok');
}

export function txSelect(ch: Channel, _cmd: Command): void {
  if (ch.confirms) throw new AmqpError('PRECONDITION_FAILED', 'cannot switch from confirm to tx mode', { classId: 90, methodId: 10 });
  if (ch.txId === undefined) ch.beginTransaction();
  ch.send('tx.select-ok');
}

export async function txCommit(ch: Channel, _cmd: Command): Promise<void> {
  const txId = ch.txId;
  if (txId === undefined) throw new AmqpError('PRECONDITION_FAILED', 'channel is not transactional', { classId: 90, methodId: 20 });
  ch.txId = undefined;
  await ch.session.commit(txId);
  ch.settled();
  ch.beginTransaction();
  ch.send('tx.commit-ok');
}

export function txRollback(ch: Channel, _cmd: Command): void {
  const txId = ch.txId;
  if (txId === undefined) throw new AmqpError('PRECONDITION_FAILED', 'channel is not transactional', { classId: 90, methodId: 30 });
  ch.session.rollback(txId);
  ch.beginTransaction();
  ch.send('tx.rollback-ok');
}

/** access.request (deprecated in 0-9-1): answered with ticket 1, as RabbitMQ does. */
export function accessRequest(ch: Channel, _cmd: Command): void {
  ch.send('access.request-ok', { ticket: 1 });
}
