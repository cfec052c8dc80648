/**
 * queue.declare / delete / purge on core queues (bindings: exchange-methods.ts). Flags the core
 * does not keep (exclusive, auto-delete) live in QueueOwnership.
 */
import type { Command } from './codec/content-assembler.js';
import { argBool, argString, argTable } from './codec/method-codec.js';
import type { Channel } from './channel.js';
import { AmqpError } from './errors.js';
import { DIRECT_REPLY_TO } from './direct-reply-to.js';
import { queueAttributesFor } from './queue-arguments.js';
import { noQueue, resolveQueueName, serverQueueName } from './queue-names.js';

const DECLARE = { classId: 50, methodId: 10 };
const DELETE = { classId: 50, methodId: 40 };
const PURGE = { classId: 50, methodId: 30 };

function inequivalent(arg: string, queue: string, received: boolean, current: boolean): AmqpError {
  return new AmqpError('PRECONDITION_FAILED', `inequivalent arg '${arg}' for queue '${queue}' in vhost '/': received '${received}' but current is '${current}'`, DECLARE);
}

export async function queueDeclare(ch: Channel, cmd: Command): Promise<void> {
  const m = cmd.method;
  const broker = ch.conn.ctx.broker;
  const own = ch.conn.deps.ownership;
  const passive = argBool(m, 'passive');
  const durable = argBool(m, 'durable');
  const exclusive = argBool(m, 'exclusive');
  const autoDelete = argBool(m, 'autoDelete');
  let name = argString(m, 'queue');
  if (passive && name === DIRECT_REPLY_TO) {
    // The direct reply-to pseudo-queue always "exists" (RabbitMQ answers a passive declare of it).
    if (!argBool(m, 'nowait')) ch.send('queue.declare-ok', { queue: name, messageCount: 0, consumerCount: 0 });
    return;
  }
  if (name === '') {
    if (passive) name = resolveQueueName(ch, name, DECLARE);
    else name = serverQueueName();
  } else if (!passive && name.startsWith('amq.')) {
    if (!broker.getQueue(name)) throw new AmqpError('ACCESS_REFUSED', `queue name '${name}' contains reserved prefix 'amq.*'`, DECLARE);
  }
  const { attributes, quorum, stream } = queueAttributesFor(argTable(m, 'arguments'), DECLARE);
  if ((quorum || stream) && (!durable || exclusive || autoDelete)) {
    throw new AmqpError('PRECONDITION_FAILED', `invalid property '${!durable ? 'non-durable' : exclusive ? 'exclusive' : 'auto-delete'}' for queue '${name}' of type '${quorum ? 'quorum' : 'stream'}'`, DECLARE);
  }
  if (stream || broker.lookup(name) === 'stream') {
    await declareStream(ch, name, passive, stream, argBool(m, 'nowait'));
    return;
  }
  let queue = broker.getQueue(name);
  if (queue) {
    own.checkAccess(name, ch.conn.id, DECLARE);
    if (!passive) {
      const flags = own.flagsOf(name);
      if (queue.attributes.durable !== durable && !flags.exclusive) throw inequivalent('durable', name, durable, queue.attributes.durable);
      if (flags.exclusive !== exclusive) throw inequivalent('exclusive', name, exclusive, flags.exclusive);
      if (flags.autoDelete !== autoDelete) throw inequivalent('auto_delete', name, autoDelete, flags.autoDelete);
      // A redeclare: the core compares the arguments (ALREADY_EXISTS → 406) and counts it as use (x-expires).
      queue = await broker.createQueue(name, attributes, { durable: queue.attributes.durable });
    }
  } else {
    if (passive) throw noQueue(name, DECLARE);
    if (!ch.session.may('read', { kind: 'queue', name }) && !ch.session.may('write', { kind: 'queue', name })) {
      throw new AmqpError('ACCESS_REFUSED', `access to queue '${name}' in vhost '/' refused for user '${ch.session.principal.name}'`, DECLARE);
    }
    queue = await broker.createQueue(name, attributes, { durable: durable && !exclusive });
    own.created(name, { exclusive, autoDelete }, ch.conn.id);
  }
  ch.lastQueue = name;
  if (argBool(m, 'nowait')) return;
  const stats = queue.stats();
  ch.send('queue.declare-ok', { queue: name, messageCount: stats.visible, consumerCount: stats.consumers });
}

export async function queueDelete(ch: Channel, cmd: Command): Promise<void> {
  const m = cmd.method;
  const broker = ch.conn.ctx.broker;
  const name = resolveQueueName(ch, argString(m, 'queue'), DELETE);
  if (broker.getStream(name)) {
    ch.session.authorize('admin', { kind: 'stream', name });
    await broker.deleteStream(name);
    if (!argBool(m, 'nowait')) ch.send('queue.delete-ok', { messageCount: 0 });
    return;
  }
  const queue = broker.getQueue(name);
  if (!queue) {
    // RabbitMQ answers delete-ok for a queue that does not exist.
    if (!argBool(m, 'nowait')) ch.send('queue.delete-ok', { messageCount: 0 });
    return;
  }
  ch.conn.deps.ownership.checkAccess(name, ch.conn.id, DELETE);
  const stats = queue.stats();
  if (argBool(m, 'ifUnused') && stats.consumers > 0) throw new AmqpError('PRECONDITION_FAILED', `queue '${name}' in vhost '/' in use`, DELETE);
  if (argBool(m, 'ifEmpty') && stats.visible + stats.inFlight + stats.delayed > 0) throw new AmqpError('PRECONDITION_FAILED', `queue '${name}' in vhost '/' is not empty`, DELETE);
  ch.session.authorize('admin', { kind: 'queue', name });
  const count = stats.visible;
  ch.conn.deps.ownership.forget(name);
  await broker.deleteQueue(name);
  if (!argBool(m, 'nowait')) ch.send('queue.delete-ok', { messageCount: count });
}

export async function queuePurge(ch: Channel, cmd: Command): Promise<void> {
  const m = cmd.method;
  const name = resolveQueueName(ch, argString(m, 'queue'), PURGE);
  const queue = ch.conn.ctx.broker.getQueue(name);
  if (!queue) throw noQueue(name, PURGE);
  ch.conn.deps.ownership.checkAccess(name, ch.conn.id, PURGE);
  ch.session.authorize('read', { kind: 'queue', name });
  const count = await queue.purge();
  if (!argBool(m, 'nowait')) ch.send('queue.purge-ok', { messageCount: count });
}

/** queue.declare of a stream (x-queue-type stream), or of a name that is one. */
async function declareStream(ch: Channel, name: string, passive: boolean, declaredAsStream: boolean, nowait: boolean): Promise<void> {
  const broker = ch.conn.ctx.broker;
  if (broker.getStream(name) === undefined) {
    if (passive) throw noQueue(name, DECLARE);
    if (broker.getQueue(name)) throw new AmqpError('PRECONDITION_FAILED', `inequivalent arg 'x-queue-type' for queue '${name}' in vhost '/': received 'stream' but current is 'classic'`, DECLARE);
    if (!ch.session.may('read', { kind: 'stream', name }) && !ch.session.may('write', { kind: 'stream', name })) {
      throw new AmqpError('ACCESS_REFUSED', `access to queue '${name}' in vhost '/' refused for user '${ch.session.principal.name}'`, DECLARE);
    }
    await broker.createStream(name);
  } else if (!passive && !declaredAsStream) {
    throw new AmqpError('PRECONDITION_FAILED', `inequivalent arg 'x-queue-type' for queue '${name}' in vhost '/': received 'classic' but current is 'stream'`, DECLARE);
  }
  ch.lastQueue = name;
  if (!nowait) ch.send('queue.declare-ok', { queue: name, messageCount: 0, consumerCount: 0 });
}
