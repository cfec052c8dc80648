/**
 * exchange.declare / delete / bind / unbind and queue.bind / unbind on the core exchanges
 * (broker.exchanges, through the session's authorized helpers). Core refusals map through
 * AMQP091_REPLY_FOR_CODE (NOT_FOUND 404, FORBIDDEN 403, PRECONDITION_FAILED 406); an unknown
 * exchange type is 503 COMMAND_INVALID (a connection exception), as RabbitMQ raises it.
 */
import { EXCHANGE_TYPES, type Binding, type ExchangeType } from '../../src/core/exchange/types.js';
import type { Command } from './codec/content-assembler.js';
import { argBool, argString, argTable } from './codec/method-codec.js';
import type { Channel } from './channel.js';
import { AmqpError, type ErrorSite } from './errors.js';
import { noQueue, resolveQueueName } from './queue-names.js';
import { isBrokerError } from '../../src/core/errors.js';

function siteOf(cmd: Command): ErrorSite {
  return { classId: cmd.method.def.classId, methodId: cmd.method.def.methodId };
}

function noExchange(name: string, site: ErrorSite): AmqpError {
  return new AmqpError('NOT_FOUND', `no exchange '${name}' in vhost '/'`, site);
}

/** The core's NOT_FOUND for an exchange, in RabbitMQ's words. */
async function exchangeCall(work: () => Promise<unknown>, site: ErrorSite, names: readonly string[], ch: Channel): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (isBrokerError(err, 'NOT_FOUND')) {
      const missing = names.find((n) => n !== '' && !ch.conn.ctx.broker.exchanges.get(n));
      if (missing !== undefined) throw noExchange(missing, site);
    }
    throw err;
  }
}

export async function exchangeDeclare(ch: Channel, cmd: Command): Promise<void> {
  const m = cmd.method;
  const site = siteOf(cmd);
  const name = argString(m, 'exchange');
  const type = argString(m, 'type');
  const passive = argBool(m, 'passive');
  if (name === '') throw new AmqpError('ACCESS_REFUSED', 'operation not permitted on the default exchange', site);
  if (passive) {
    if (!ch.conn.ctx.broker.exchanges.get(name)) throw noExchange(name, site);
  } else {
    if (!(EXCHANGE_TYPES as readonly string[]).includes(type)) {
      throw new AmqpError('COMMAND_INVALID', `unknown exchange type '${type}'`, site);
    }
    await ch.session.declareExchange(name, {
      type: type as ExchangeType,
      durable: argBool(m, 'durable'),
      autoDelete: argBool(m, 'autoDelete'),
      internal: argBool(m, 'internal'),
      arguments: argTable(m, 'arguments'),
    });
  }
  if (!argBool(m, 'nowait')) ch.send('exchange.declare-ok');
}

export async function exchangeDelete(ch: Channel, cmd: Command): Promise<void> {
  const m = cmd.method;
  const name = argString(m, 'exchange');
  if (name === '') throw new AmqpError('ACCESS_REFUSED', 'operation not permitted on the default exchange', siteOf(cmd));
  await ch.session.deleteExchange(name, { ifUnused: argBool(m, 'ifUnused') });
  if (!argBool(m, 'nowait')) ch.send('exchange.delete-ok');
}

/** exchange.bind / exchange.unbind: destination exchange ← source exchange. */
export async function exchangeBind(ch: Channel, cmd: Command): Promise<void> {
  const m = cmd.method;
  const site = siteOf(cmd);
  const binding: Binding = {
    source: argString(m, 'source'),
    destination: { kind: 'exchange', name: argString(m, 'destination') },
    routingKey: argString(m, 'routingKey'),
    arguments: argTable(m, 'arguments'),
  };
  if (binding.source === '' || binding.destination.name === '') throw new AmqpError('ACCESS_REFUSED', 'operation not permitted on the default exchange', site);
  const bind = m.def.name === 'exchange.bind';
  await exchangeCall(() => (bind ? ch.session.bind(binding) : ch.session.unbind(binding)), site, [binding.source, binding.destination.name], ch);
  if (!argBool(m, 'nowait')) ch.send(bind ? 'exchange.bind-ok' : 'exchange.unbind-ok');
}

/** queue.bind / queue.unbind. */
export async function queueBind(ch: Channel, cmd: Command): Promise<void> {
  const m = cmd.method;
  const site = siteOf(cmd);
  const exchange = argString(m, 'exchange');
  const name = resolveQueueName(ch, argString(m, 'queue'), site);
  if (exchange === '') throw new AmqpError('ACCESS_REFUSED', 'operation not permitted on the default exchange', site);
  const broker = ch.conn.ctx.broker;
  if (!broker.getQueue(name) && broker.lookup(name) !== 'stream') throw noQueue(name, site);
  ch.conn.deps.ownership.checkAccess(name, ch.conn.id, site);
  const binding: Binding = { source: exchange, destination: { kind: 'queue', name }, routingKey: argString(m, 'routingKey'), arguments: argTable(m, 'arguments') };
  const bind = m.def.name === 'queue.bind';
  await exchangeCall(() => (bind ? ch.session.bind(binding) : ch.session.unbind(binding)), site, [exchange], ch);
  if (bind && argBool(m, 'nowait')) return;
  ch.send(bind ? 'queue.bind-ok' : 'queue.unbind-ok');
}
