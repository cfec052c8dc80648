/** Declare (equivalence, reserved names), passive lookups, delete (if-unused), bindings' lifecycle, auto-delete. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Broker } from '../../../src/core/broker.js';
import type { ExchangeSpec } from '../../../src/core/exchange/types.js';
import { typed } from '../../../src/core/values.js';
import { errorCode, exchangeDest, msg, openBroker, queueDest, spec } from './helpers.js';

let broker: Broker;
beforeEach(async () => {
  broker = await openBroker();
});

const e2e = (source: string, dest: string, routingKey = '') => ({ source, destination: exchangeDest(dest), routingKey, arguments: {} });
const toQueue = (source: string, queue: string, routingKey = '', args = {}) => ({ source, destination: queueDest(queue), routingKey, arguments: args });

describe('exchange declare', () => {
  it('predeclares the amq.* exchanges, durable and built in', () => {
    for (const [name, type] of [['amq.direct', 'direct'], ['amq.fanout', 'fanout'], ['amq.topic', 'topic'], ['amq.headers', 'headers'], ['amq.match', 'headers']]) {
      expect(broker.exchanges.get(name!)).toEqual({ name, type, durable: true, autoDelete: false, internal: false, arguments: {}, builtIn: true });
    }
    expect(broker.exchanges.list().map((x) => x.name).sort()).toEqual(['', 'amq.direct', 'amq.fanout', 'amq.headers', 'amq.match', 'amq.topic']);
  });

  it('the same spec again is ok; a different type, durable, autoDelete, internal or AE is PRECONDITION_FAILED', async () => {
    const info = await broker.exchanges.declare('x', spec('direct', { arguments: { 'alternate-exchange': 'ae', other: 1 } }));
    expect(info).toMatchObject({ name: 'x', type: 'direct', builtIn: false });
    // other arguments are not compared (RabbitMQ); the AE is, by text (a symbol equals a string)
    expect(await broker.exchanges.declare('x', spec('direct', { arguments: { 'alternate-exchange': typed.symbol('ae') } }))).toMatchObject({ name: 'x' });
    const changes: Array<Partial<ExchangeSpec>> = [{ type: 'fanout' }, { durable: false }, { autoDelete: true }, { internal: true }, { arguments: {} }, { arguments: { 'alternate-exchange': 'other' } }];
    for (const over of changes) {
      expect(await errorCode(broker.exchanges.declare('x', { ...spec('direct', { arguments: { 'alternate-exchange': 'ae' } }), ...over })), JSON.stringify(over)).toBe('PRECONDITION_FAILED');
    }
  });

  it('reserves amq.* and the default exchange; amq.* redeclared as is is ok', async () => {
    expect(await errorCode(broker.exchanges.declare('amq.custom', spec('direct')))).toBe('FORBIDDEN');
    expect(await errorCode(broker.exchanges.declare('', spec('direct')))).toBe('FORBIDDEN');
    expect(await broker.exchanges.declare('amq.topic', spec('topic'))).toMatchObject({ builtIn: true });
    expect(await errorCode(broker.exchanges.declare('amq.topic', spec('direct')))).toBe('PRECONDITION_FAILED');
  });

  it('checks its input', async () => {
    expect(await errorCode(broker.exchanges.declare('x', spec('bogus' as 'direct')))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(broker.exchanges.declare('x'.repeat(256), spec('direct')))).toBe('INVALID_NAME');
    expect(await errorCode(broker.exchanges.declare('a\nb', spec('direct')))).toBe('INVALID_NAME');
    expect(await errorCode(broker.exchanges.declare('x', spec('direct', { arguments: { 'alternate-exchange': 5 } })))).toBe('PRECONDITION_FAILED');
    expect(await errorCode(broker.exchanges.declare('x', spec('direct', { arguments: { bad: { type: 'int', value: 1.5 } as never } })))).toBe('INVALID_ARGUMENT');
    // names RabbitMQ clients use
    for (const name of ['celery.pidbox', 'reply:1', 'a/b', 'user@host', 'a..b', 'ünïcode']) {
      expect((await broker.exchanges.declare(name, spec('fanout'))).name).toBe(name);
    }
  });

  it('passive lookups: get answers undefined for a missing exchange', () => {
    expect(broker.exchanges.get('missing')).toBeUndefined();
  });
});

describe('exchange delete', () => {
  it('deletes, answers false when absent, refuses built-ins', async () => {
    await broker.exchanges.declare('x', spec('direct'));
    expect(await broker.exchanges.delete('x')).toBe(true);
    expect(broker.exchanges.get('x')).toBeUndefined();
    expect(await broker.exchanges.delete('x')).toBe(false);
    expect(await errorCode(broker.exchanges.delete('amq.direct'))).toBe('FORBIDDEN');
    expect(await errorCode(broker.exchanges.delete(''))).toBe('FORBIDDEN');
  });

  it('if-unused: PRECONDITION_FAILED while it is the source of a binding', async () => {
    await broker.exchanges.declare('x', spec('direct'));
    await broker.exchanges.declare('y', spec('direct'));
    await broker.createQueue('q');
    await broker.exchanges.bind(e2e('y', 'x')); // x as destination does not make it "used"
    expect(await broker.exchanges.delete('x', { ifUnused: true })).toBe(true);
    expect(broker.exchanges.bindings({ source: 'y' })).toEqual([]);
    await broker.exchanges.bind(toQueue('y', 'q', 'k'));
    expect(await errorCode(broker.exchanges.delete('y', { ifUnused: true }))).toBe('PRECONDITION_FAILED');
    expect(await broker.exchanges.delete('y')).toBe(true);
    expect(broker.exchanges.bindings({ queue: 'q' })).toEqual([]);
  });
});

describe('bindings', () => {
  it('bind is idempotent on (source, destination, key, arguments); unbind answers whether it existed', async () => {
    await broker.exchanges.declare('h', spec('headers'));
    await broker.createQueue('q');
    await broker.exchanges.bind(toQueue('h', 'q', '', { a: 1 }));
    await broker.exchanges.bind(toQueue('h', 'q', '', { a: 1 }));
    await broker.exchanges.bind(toQueue('h', 'q', '', { a: 2 }));
    expect(broker.exchanges.bindings({ source: 'h' })).toHaveLength(2);
    expect(await broker.exchanges.unbind(toQueue('h', 'q', '', { a: 1 }))).toBe(true);
    expect(await broker.exchanges.unbind(toQueue('h', 'q', '', { a: 1 }))).toBe(false);
    expect(broker.exchanges.bindings({ queue: 'q' })).toEqual([toQueue('h', 'q', '', { a: 2 })]);
  });

  it('missing source or destination: NOT_FOUND; the default exchange: FORBIDDEN', async () => {
    await broker.createQueue('q');
    await broker.exchanges.declare('x', spec('direct'));
    expect(await errorCode(broker.exchanges.bind(toQueue('nope', 'q')))).toBe('NOT_FOUND');
    expect(await errorCode(broker.exchanges.bind(toQueue('x', 'nope')))).toBe('NOT_FOUND');
    expect(await errorCode(broker.exchanges.bind(e2e('x', 'nope')))).toBe('NOT_FOUND');
    expect(await errorCode(broker.exchanges.bind(toQueue('', 'q')))).toBe('FORBIDDEN');
    expect(await errorCode(broker.exchanges.bind(e2e('x', '')))).toBe('FORBIDDEN');
  });

  it('lists by source, queue and destination exchange', async () => {
    await broker.exchanges.declare('a', spec('direct'));
    await broker.exchanges.declare('b', spec('fanout'));
    await broker.createQueue('q');
    await broker.exchanges.bind(toQueue('a', 'q', 'k'));
    await broker.exchanges.bind(e2e('a', 'b'));
    await broker.exchanges.bind(toQueue('b', 'q'));
    expect(broker.exchanges.bindings({ source: 'a' })).toHaveLength(2);
    expect(broker.exchanges.bindings({ queue: 'q' }).map((b) => b.source).sort()).toEqual(['a', 'b']);
    expect(broker.exchanges.bindings({ exchange: 'b' })).toEqual([e2e('a', 'b')]);
    expect(broker.exchanges.bindings()).toHaveLength(3);
  });

  it('deleting a queue removes its bindings', async () => {
    await broker.exchanges.declare('x', spec('direct'));
    await broker.createQueue('q');
    await broker.exchanges.bind(toQueue('x', 'q', 'k'));
    await broker.exchanges.bind(toQueue('amq.topic', 'q', 'a.*'));
    await broker.deleteQueue('q');
    expect(broker.exchanges.bindings({ queue: 'q' })).toEqual([]);
    expect(broker.exchanges.bindings({ source: 'x' })).toEqual([]);
    await broker.createQueue('q'); // a new queue of the same name is not bound
    expect((await broker.exchanges.publish('x', 'k', msg('m'))).routed).toBe(0);
    expect((await broker.exchanges.publish('amq.topic', 'a.b', msg('m'))).routed).toBe(0);
  });

  it('auto-delete: the exchange goes with its last binding (unbind, queue deletion, cascading e2e)', async () => {
    await broker.createQueue('q1');
    await broker.createQueue('q2');
    await broker.exchanges.declare('auto', spec('fanout', { autoDelete: true }));
    expect(broker.exchanges.get('auto')).toBeDefined(); // never bound: stays
    await broker.exchanges.bind(toQueue('auto', 'q1'));
    await broker.exchanges.bind(toQueue('auto', 'q2'));
    await broker.exchanges.unbind(toQueue('auto', 'q1'));
    expect(broker.exchanges.get('auto')).toBeDefined();
    await broker.deleteQueue('q2');
    expect(broker.exchanges.get('auto')).toBeUndefined();

    await broker.exchanges.declare('outer', spec('fanout', { autoDelete: true }));
    await broker.exchanges.declare('inner', spec('fanout'));
    await broker.exchanges.bind(e2e('outer', 'inner'));
    await broker.exchanges.delete('inner'); // outer loses its last binding
    expect(broker.exchanges.get('outer')).toBeUndefined();
  });
});
