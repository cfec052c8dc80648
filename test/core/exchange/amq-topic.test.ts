/** amq.topic is the core topic space, both ways, including exchange-to-exchange bindings on either side. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Broker } from '../../../src/core/broker.js';
import type { TopicMessage } from '../../../src/core/topic/topic-router.js';
import { drainQueue, errorCode, exchangeDest, msg, openBroker, queueDest, spec } from './helpers.js';

let broker: Broker;
beforeEach(async () => {
  broker = await openBroker();
});

const bindTopic = (queue: string, routingKey: string) => broker.exchanges.bind({ source: 'amq.topic', destination: queueDest(queue), routingKey, arguments: {} });

function liveSink(pattern: string): TopicMessage[] {
  const got: TopicMessage[] = [];
  broker.subscribeLive(pattern, { offer: (m) => { got.push(m); return true; } });
  return got;
}

describe('amq.topic', () => {
  it('a core topic publish (MQTT a/b, STOMP /topic/a.b) reaches a queue bound with sensors.*', async () => {
    await broker.createQueue('readings');
    await bindTopic('readings', 'sensors.*');
    await broker.publish('sensors.t1', msg('21.5'));
    await broker.publish('sensors.t1.raw', msg('no'));
    expect(await drainQueue(broker, 'readings')).toEqual(['21.5']);
    // It is a real core topic subscription, listed as a binding of amq.topic.
    expect(broker.listSubscriptions({ queue: 'readings' })).toMatchObject([{ pattern: 'sensors.*', queue: 'readings' }]);
    expect(broker.exchanges.bindings({ source: 'amq.topic' })).toEqual([{ source: 'amq.topic', destination: queueDest('readings'), routingKey: 'sensors.*', arguments: {} }]);
  });

  it('a publish to amq.topic reaches live topic subscribers of every protocol, and counts them', async () => {
    const exact = liveSink('a.b');
    const wild = liveSink('a.>');
    const r = await broker.exchanges.publish('amq.topic', 'a.b', msg('hello'));
    expect(r.routed).toBe(2);
    expect(exact.map((m) => m.message.body.toString())).toEqual(['hello']);
    expect(wild.map((m) => m.topic)).toEqual(['a.b']);
    expect((await broker.exchanges.publish('amq.topic', 'nobody.home', msg('x'))).routed).toBe(0);
  });

  it('# matches zero or more words, as RabbitMQ', async () => {
    await broker.createQueue('tail');
    await broker.createQueue('head');
    await broker.createQueue('mid');
    await bindTopic('tail', 'a.#');
    await bindTopic('head', '#.b');
    await bindTopic('mid', 'a.#.b');
    const names = ['tail', 'head', 'mid'];
    const got = async (topic: string) => {
      await broker.publish(topic, msg(topic));
      const out: string[] = [];
      for (const n of names) if ((await drainQueue(broker, n)).length) out.push(n);
      return out;
    };
    expect(await got('a')).toEqual(['tail']);
    expect(await got('a.b')).toEqual(['tail', 'head', 'mid']);
    expect(await got('a.x.y.b')).toEqual(['tail', 'head', 'mid']);
    expect(await got('b')).toEqual(['head']);
    expect(await got('x.y.b')).toEqual(['head']);
  });

  it('refuses binding keys the core topic space cannot carry, and routes such routing keys nowhere', async () => {
    await broker.createQueue('q');
    expect(await errorCode(bindTopic('q', 'a..b'))).toBe('INVALID_NAME');
    expect(await errorCode(bindTopic('q', ''))).toBe('INVALID_NAME');
    expect(await errorCode(bindTopic('q', 'a.>'))).toBe('INVALID_NAME');
    await bindTopic('q', '#');
    expect((await broker.exchanges.publish('amq.topic', 'a..b', msg('x'))).routed).toBe(0);
    expect((await broker.exchanges.publish('amq.topic', '', msg('x'))).routed).toBe(0);
    expect((await broker.exchanges.publish('amq.topic', 'ok', msg('x'))).routed).toBe(1);
  });

  it('users cannot write ** in their own patterns', async () => {
    expect(() => broker.subscribeLive('a.**', { offer: () => true })).toThrow(/whole level/);
    expect(await errorCode(broker.subscribeQueue({ pattern: '**', queue: 'q' }))).toBe('INVALID_NAME');
  });

  it('binding twice is one binding; unbind removes the core subscription', async () => {
    await broker.createQueue('q');
    await bindTopic('q', 'a.#');
    await bindTopic('q', 'a.#');
    expect(broker.listSubscriptions({ queue: 'q' })).toHaveLength(1);
    expect(await broker.exchanges.unbind({ source: 'amq.topic', destination: queueDest('q'), routingKey: 'a.#', arguments: {} })).toBe(true);
    expect(broker.listSubscriptions({ queue: 'q' })).toHaveLength(0);
    expect(await broker.exchanges.unbind({ source: 'amq.topic', destination: queueDest('q'), routingKey: 'a.#', arguments: {} })).toBe(false);
  });

  it('does not list MQTT/STOMP subscriptions as amq.topic bindings', async () => {
    await broker.subscribeQueue({ pattern: 'x.>', queue: 'mqtt.session.q', attributes: { protocol: 'mqtt' } });
    expect(broker.exchanges.bindings()).toEqual([]);
  });

  it('refuses binding a stream to amq.topic', async () => {
    await broker.createStream('s');
    expect(await errorCode(bindTopic('s', 'a'))).toBe('INVALID_ARGUMENT');
  });

  it('exchange → amq.topic: a publish to the exchange reaches topic subscribers, one copy per queue', async () => {
    await broker.exchanges.declare('front', spec('fanout'));
    await broker.exchanges.bind({ source: 'front', destination: exchangeDest('amq.topic'), routingKey: '', arguments: {} });
    await broker.createQueue('both');
    await bindTopic('both', 'orders.*');
    await broker.exchanges.bind({ source: 'front', destination: queueDest('both'), routingKey: '', arguments: {} });
    const live = liveSink('orders.eu');
    const r = await broker.exchanges.publish('front', 'orders.eu', msg('o1'));
    expect(r.routed).toBe(2); // the queue once, the live subscriber once
    expect(await drainQueue(broker, 'both')).toEqual(['o1']);
    expect(live).toHaveLength(1);
  });

  it('amq.topic → exchange: a core topic publish from any protocol follows the e2e binding', async () => {
    await broker.exchanges.declare('audit', spec('fanout'));
    await broker.exchanges.bind({ source: 'amq.topic', destination: exchangeDest('audit'), routingKey: 'orders.#', arguments: {} });
    await broker.createQueue('audit.log');
    await broker.exchanges.bind({ source: 'audit', destination: queueDest('audit.log'), routingKey: '', arguments: {} });
    await broker.createQueue('direct.sub');
    await bindTopic('direct.sub', 'orders.*');
    await broker.exchanges.bind({ source: 'audit', destination: queueDest('direct.sub'), routingKey: '', arguments: {} });

    const r = await broker.publish('orders.eu', msg('from mqtt'));
    expect(r.delivered).toBe(2); // audit.log, and direct.sub once although reached twice
    expect(await drainQueue(broker, 'audit.log')).toEqual(['from mqtt']);
    expect(await drainQueue(broker, 'direct.sub')).toEqual(['from mqtt']);
    await broker.publish('billing.x', msg('not audited'));
    expect(await drainQueue(broker, 'audit.log')).toEqual([]);

    // The same through the exchange API.
    expect((await broker.exchanges.publish('amq.topic', 'orders', msg('zero words after'))).routed).toBe(2); // via audit
    expect(await drainQueue(broker, 'audit.log')).toEqual(['zero words after']);
    expect(await drainQueue(broker, 'direct.sub')).toEqual(['zero words after']);
  });
});
