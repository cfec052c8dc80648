/**
 * The restart scenario shared by the SQLite and PostgreSQL tests: durable exchanges and bindings
 * survive closing the broker and opening a new one on the reopened store (what a standby does on
 * failover); transient ones vanish, as in RabbitMQ.
 */
import { expect } from 'vitest';
import { Broker } from '../../../src/core/broker.js';
import { ManualClock } from '../../../src/core/clock.js';
import type { Store } from '../../../src/core/store.js';
import { typed } from '../../../src/core/values.js';
import { drainQueue, exchangeDest, msg, queueDest, spec } from './helpers.js';

export interface Reopenable {
  store: Store;
  reopen(): Promise<Store>;
}

const toQueue = (source: string, queue: string, routingKey = '', args = {}) => ({ source, destination: queueDest(queue), routingKey, arguments: args });
const e2e = (source: string, dest: string, routingKey = '') => ({ source, destination: exchangeDest(dest), routingKey, arguments: {} });

async function reopened(h: Reopenable, broker: Broker): Promise<Broker> {
  await broker.close();
  return openBrokerOn(await h.reopen());
}

/** The harness opened the store already. */
function openBrokerOn(store: Store): Promise<Broker> {
  return Broker.open({ store, clock: new ManualClock() });
}

export async function restartScenario(h: Reopenable): Promise<void> {
  let broker = await openBrokerOn(h.store);
  const x = broker.exchanges;
  await broker.createQueue('durable.q');
  await broker.createQueue('transient.q', {}, { durable: false });
  await x.declare('orders', spec('topic', { arguments: { 'alternate-exchange': 'orders.ae' } }));
  await x.declare('orders.ae', spec('fanout'));
  await x.declare('match', spec('headers'));
  await x.declare('temp.x', spec('fanout', { durable: false }));
  await x.declare('gone', spec('direct'));
  await x.declare('auto', spec('direct', { autoDelete: true }));
  await x.bind(toQueue('orders', 'durable.q', 'eu.#'));
  await x.bind(toQueue('orders.ae', 'durable.q', 'ignored'));
  await x.bind(toQueue('orders', 'transient.q', 'eu.#'));
  await x.bind(toQueue('match', 'durable.q', '', { 'x-match': 'any', size: typed.long(7), tag: typed.binary(Buffer.from('t')) }));
  await x.bind(e2e('orders', 'temp.x', '#')); // to a transient exchange: not persisted
  await x.bind(toQueue('temp.x', 'durable.q'));
  await x.bind(toQueue('amq.topic', 'durable.q', 'sensors.#'));
  await x.bind(toQueue('amq.topic', 'transient.q', 'sensors.#'));
  await x.bind(e2e('amq.topic', 'orders', 'orders.*'));
  await x.bind(toQueue('auto', 'durable.q', 'k'));
  await x.delete('gone');
  await x.unbind(toQueue('auto', 'durable.q', 'k')); // auto-deleted, also in the store
  const before = x.bindings().filter((b) => b.destination.name !== 'transient.q' && b.source !== 'temp.x' && b.destination.name !== 'temp.x');

  expect(before).toHaveLength(5);
  broker = await reopened(h, broker);
  const y = broker.exchanges;
  expect(y.list().map((e) => e.name).sort()).toEqual(['', 'amq.direct', 'amq.fanout', 'amq.headers', 'amq.match', 'amq.topic', 'match', 'orders', 'orders.ae']);
  expect(y.get('orders')).toEqual({ name: 'orders', ...spec('topic', { arguments: { 'alternate-exchange': 'orders.ae' } }), builtIn: false });
  const sortKey = (b: { source: string; destination: { name: string }; routingKey: string }) => `${b.source}|${b.destination.name}|${b.routingKey}`;
  expect(y.bindings().sort((a, b) => sortKey(a).localeCompare(sortKey(b)))).toEqual(before.sort((a, b) => sortKey(a).localeCompare(sortKey(b))));

  // Routing works as before the restart.
  expect((await y.publish('orders', 'eu.de', msg('o1'))).routed).toBe(1);
  expect((await y.publish('orders', 'us', msg('o2'))).routed).toBe(1); // alternate-exchange
  expect((await y.publish('match', '', msg('h1', { size: typed.int(7) }))).routed).toBe(1); // typed args survived
  expect((await y.publish('match', '', msg('h2', { tag: 't' }))).routed).toBe(1);
  await broker.publish('sensors.t1', msg('s1')); // a core topic publish still reaches the amq.topic binding
  await broker.publish('orders.eu', msg('s2')); // and follows amq.topic → orders (key orders.eu does not match eu.#: AE)
  expect(await drainQueue(broker, 'durable.q')).toEqual(['o1', 'o2', 'h1', 'h2', 's1', 's2']);
  await broker.close();
}
