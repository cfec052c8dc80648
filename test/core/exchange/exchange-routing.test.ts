/** Routing through exchanges on a real Broker: each type, the default exchange, e2e, cycles, alternate-exchange. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Broker } from '../../../src/core/broker.js';
import { typed } from '../../../src/core/values.js';
import { drainQueue, errorCode, exchangeDest, msg, openBroker, queueDest, spec } from './helpers.js';

let broker: Broker;
beforeEach(async () => {
  broker = await openBroker();
});

async function queues(...names: string[]): Promise<void> {
  for (const n of names) await broker.createQueue(n);
}

async function bind(source: string, queue: string, routingKey = '', args = {}): Promise<void> {
  await broker.exchanges.bind({ source, destination: queueDest(queue), routingKey, arguments: args });
}

/** Which of `names` got the message published to (exchange, key, headers). */
async function reached(exchange: string, key: string, names: string[], headers = {}): Promise<string[]> {
  const r = await broker.exchanges.publish(exchange, key, msg(`${exchange}/${key}`, headers));
  const got: string[] = [];
  for (const n of names) if ((await drainQueue(broker, n)).length > 0) got.push(n);
  expect(r.routed).toBe(got.length);
  return got;
}

describe('exchange routing', () => {
  it('default exchange: routes to the queue named by the key, else nothing', async () => {
    await queues('orders');
    expect(await reached('', 'orders', ['orders'])).toEqual(['orders']);
    expect((await broker.exchanges.publish('', 'nope', msg('x'))).routed).toBe(0);
    expect((await broker.exchanges.publish('', 'a..b', msg('x'))).routed).toBe(0);
    expect(broker.exchanges.get('')).toMatchObject({ type: 'direct', durable: true, builtIn: true });
  });

  it('default exchange: a stream named by the key gets the record', async () => {
    const s = await broker.createStream('events');
    expect((await broker.exchanges.publish('', 'events', msg('e1'))).routed).toBe(1);
    expect(s.stats().records).toBe(1);
    const [shard] = s.listShards();
    const [rec] = await s.read(shard!.shardId, 0, 10);
    expect(rec!.partitionKey).toBe('events'); // no partition key: the routing key
  });

  it('direct: exact routing key, several queues per key, one queue under several keys', async () => {
    await broker.exchanges.declare('logs', spec('direct'));
    await queues('errors', 'all');
    await bind('logs', 'errors', 'error');
    await bind('logs', 'all', 'error');
    await bind('logs', 'all', 'info');
    expect(await reached('logs', 'error', ['errors', 'all'])).toEqual(['errors', 'all']);
    expect(await reached('logs', 'info', ['errors', 'all'])).toEqual(['all']);
    expect(await reached('logs', 'debug', ['errors', 'all'])).toEqual([]);
    expect(await reached('logs', 'Error', ['errors', 'all'])).toEqual([]);
  });

  it('direct: empty words and odd keys route (not core names)', async () => {
    await broker.exchanges.declare('odd', spec('direct'));
    await queues('q');
    await bind('odd', 'q', 'a..b');
    await bind('odd', 'q', '');
    expect(await reached('odd', 'a..b', ['q'])).toEqual(['q']);
    expect(await reached('odd', '', ['q'])).toEqual(['q']);
    expect(await reached('odd', 'a.b', ['q'])).toEqual([]);
  });

  it('fanout: every bound queue, whatever the key', async () => {
    await broker.exchanges.declare('news', spec('fanout'));
    await queues('a', 'b', 'c');
    await bind('news', 'a', 'ignored');
    await bind('news', 'b');
    expect(await reached('news', 'anything', ['a', 'b', 'c'])).toEqual(['a', 'b']);
  });

  it('topic: RabbitMQ * and # matching', async () => {
    await broker.exchanges.declare('t', spec('topic'));
    await queues('star', 'hashTail', 'hashHead', 'hashMid', 'all', 'exact');
    await bind('t', 'star', 'a.*');
    await bind('t', 'hashTail', 'a.#');
    await bind('t', 'hashHead', '#.z');
    await bind('t', 'hashMid', 'a.#.z');
    await bind('t', 'all', '#');
    await bind('t', 'exact', 'a.b');
    const names = ['star', 'hashTail', 'hashHead', 'hashMid', 'all', 'exact'];
    expect(await reached('t', 'a', names)).toEqual(['hashTail', 'all']);
    expect(await reached('t', 'a.b', names)).toEqual(['star', 'hashTail', 'all', 'exact']);
    expect(await reached('t', 'a.z', names)).toEqual(['star', 'hashTail', 'hashHead', 'hashMid', 'all']);
    expect(await reached('t', 'a.b.c.z', names)).toEqual(['hashTail', 'hashHead', 'hashMid', 'all']);
    expect(await reached('t', 'z', names)).toEqual(['hashHead', 'all']);
    expect(await reached('t', '', names)).toEqual(['all']);
    expect(await reached('t', 'a.', names)).toEqual(['star', 'hashTail', 'all']);
  });

  it('headers: x-match all and any over typed values', async () => {
    await broker.exchanges.declare('h', spec('headers'));
    await queues('pdfReports', 'pdfOrReport', 'big');
    await bind('h', 'pdfReports', '', { 'x-match': 'all', format: 'pdf', type: 'report' });
    await bind('h', 'pdfOrReport', '', { 'x-match': 'any', format: 'pdf', type: 'report' });
    await bind('h', 'big', '', { size: typed.long(10) });
    const names = ['pdfReports', 'pdfOrReport', 'big'];
    expect(await reached('h', 'ignored', names, { format: 'pdf', type: 'report' })).toEqual(['pdfReports', 'pdfOrReport']);
    expect(await reached('h', '', names, { format: 'pdf', type: 'log' })).toEqual(['pdfOrReport']);
    expect(await reached('h', '', names, { size: typed.int(10) })).toEqual(['big']);
    expect(await reached('h', '', names, { size: '10' })).toEqual([]);
    expect(await errorCode(bind('h', 'big', '', { 'x-match': 'most' }))).toBe('PRECONDITION_FAILED');
  });

  it('a queue gets at most one copy per publish', async () => {
    await broker.exchanges.declare('t', spec('topic'));
    await broker.exchanges.declare('f', spec('fanout'));
    await queues('q');
    await bind('t', 'q', 'a.*');
    await bind('t', 'q', 'a.#');
    await bind('t', 'q', '#');
    await broker.exchanges.bind({ source: 't', destination: exchangeDest('f'), routingKey: '#', arguments: {} });
    await bind('f', 'q');
    const r = await broker.exchanges.publish('t', 'a.b', msg('once'));
    expect(r.routed).toBe(1);
    expect(await drainQueue(broker, 'q')).toEqual(['once']);
  });

  it('exchange-to-exchange bindings are followed, and cycles end', async () => {
    await broker.exchanges.declare('x1', spec('direct'));
    await broker.exchanges.declare('x2', spec('topic'));
    await broker.exchanges.declare('x3', spec('fanout'));
    await queues('q2', 'q3');
    const e2e = (source: string, dest: string, key: string) => broker.exchanges.bind({ source, destination: exchangeDest(dest), routingKey: key, arguments: {} });
    await e2e('x1', 'x2', 'k.a');
    await e2e('x2', 'x3', 'k.*');
    await e2e('x3', 'x1', ''); // cycle x1 → x2 → x3 → x1
    await e2e('x3', 'x2', '');
    await bind('x2', 'q2', '#');
    await bind('x3', 'q3');
    expect(await reached('x1', 'k.a', ['q2', 'q3'])).toEqual(['q2', 'q3']);
    expect(await reached('x1', 'k.b', ['q2', 'q3'])).toEqual([]);
    expect(await reached('x3', 'anything', ['q2', 'q3'])).toEqual(['q2', 'q3']);
  });

  it('alternate-exchange: used when the exchange matched nothing, chains, is cycle-safe', async () => {
    await broker.exchanges.declare('unrouted', spec('fanout'));
    await broker.exchanges.declare('main', spec('direct', { arguments: { 'alternate-exchange': 'unrouted' } }));
    await broker.exchanges.declare('ae2', spec('direct', { arguments: { 'alternate-exchange': 'main' } }));
    await queues('good', 'lost');
    await bind('main', 'good', 'ok');
    await bind('unrouted', 'lost');
    expect(await reached('main', 'ok', ['good', 'lost'])).toEqual(['good']);
    expect(await reached('main', 'other', ['good', 'lost'])).toEqual(['lost']);
    expect(await reached('ae2', 'ok', ['good', 'lost'])).toEqual(['good']);
    // A cycle of alternates ends: main → unrouted(has a binding) is fine; make a pure cycle:
    await broker.exchanges.declare('c1', spec('direct', { arguments: { 'alternate-exchange': 'c2' } }));
    await broker.exchanges.declare('c2', spec('direct', { arguments: { 'alternate-exchange': 'c1' } }));
    expect((await broker.exchanges.publish('c1', 'x', msg('x'))).routed).toBe(0);
    // A missing alternate is skipped.
    await broker.exchanges.declare('dangling', spec('direct', { arguments: { 'alternate-exchange': 'nowhere' } }));
    expect((await broker.exchanges.publish('dangling', 'x', msg('x'))).routed).toBe(0);
  });

  it('alternate-exchange is not used when an e2e binding matched (RabbitMQ: per exchange)', async () => {
    await broker.exchanges.declare('ae', spec('fanout'));
    await broker.exchanges.declare('inner', spec('direct'));
    await broker.exchanges.declare('outer', spec('fanout', { arguments: { 'alternate-exchange': 'ae' } }));
    await queues('aeq');
    await bind('ae', 'aeq');
    await broker.exchanges.bind({ source: 'outer', destination: exchangeDest('inner'), routingKey: '', arguments: {} });
    expect(await reached('outer', 'k', ['aeq'])).toEqual([]);
  });

  it('publish errors: unknown exchange NOT_FOUND, internal FORBIDDEN, oversize MESSAGE_TOO_LARGE', async () => {
    expect(await errorCode(broker.exchanges.publish('nope', 'k', msg('x')))).toBe('NOT_FOUND');
    await broker.exchanges.declare('inside', spec('fanout', { internal: true }));
    expect(await errorCode(broker.exchanges.publish('inside', 'k', msg('x')))).toBe('FORBIDDEN');
    await broker.exchanges.declare('front', spec('fanout'));
    await broker.exchanges.bind({ source: 'front', destination: exchangeDest('inside'), routingKey: '', arguments: {} });
    await queues('q');
    await bind('inside', 'q');
    expect((await broker.exchanges.publish('front', 'k', msg('via e2e'))).routed).toBe(1);
    const small = await openBroker(undefined, { maxMessageBytes: 10 });
    expect(await errorCode(small.exchanges.publish('amq.fanout', 'k', msg('x'.repeat(11))))).toBe('MESSAGE_TOO_LARGE');
  });

  it('a queue refusing its copy is not counted; the others still get theirs', async () => {
    await broker.exchanges.declare('f', spec('fanout'));
    await broker.createQueue('tiny', { maxMessageBytes: 4 });
    await broker.createQueue('roomy');
    await bind('f', 'tiny');
    await bind('f', 'roomy');
    expect((await broker.exchanges.publish('f', '', msg('12345'))).routed).toBe(1);
    expect(await drainQueue(broker, 'roomy')).toEqual(['12345']);
  });
});

describe('routing facts and dead-lettering', () => {
  it('every copy carries the exchange and routing key it was published with (routing slot)', async () => {
    await broker.exchanges.declare('orders', spec('topic'));
    await broker.exchanges.declare('inner', spec('fanout'));
    await broker.createQueue('q');
    await broker.createQueue('viaInner');
    await broker.exchanges.bind({ source: 'orders', destination: queueDest('q'), routingKey: 'eu.*', arguments: {} });
    await broker.exchanges.bind({ source: 'orders', destination: exchangeDest('inner'), routingKey: '#', arguments: {} });
    await broker.exchanges.bind({ source: 'inner', destination: queueDest('viaInner'), routingKey: '', arguments: {} });
    await broker.exchanges.publish('orders', 'eu.de', msg('o'));
    for (const name of ['q', 'viaInner']) {
      const [r] = await broker.requireQueue(name).receive({ waitMs: 0 });
      expect(r!.message.protocol?.routing).toEqual({ exchange: 'orders', routingKey: 'eu.de' });
    }
  });

  it('a queue dead-letters through its dead-letter exchange (any type, internal too); an unknown one drops', async () => {
    await broker.exchanges.declare('dlx', spec('topic', { internal: true }));
    const parked = await broker.createQueue('parked');
    await broker.exchanges.bind({ source: 'dlx', destination: queueDest('parked'), routingKey: 'dead.#', arguments: {} });
    const work = await broker.createQueue('work', { deadLetterExchange: 'dlx', deadLetterRoutingKey: 'dead.work' });
    const c = work.addConsumer({ onMessage: (d) => { c.nack(d.tag, { requeue: false }); } });
    await work.send(msg('job'));
    for (let i = 0; i < 5; i++) await new Promise((res) => setImmediate(res));
    const [dead] = await parked.receive({ waitMs: 0 });
    expect(dead!.message.body.toString()).toBe('job');
    expect(dead!.message.protocol?.routing).toEqual({ exchange: 'dlx', routingKey: 'dead.work' });
    expect(dead!.message.headers['x-first-death-reason']).toBe('rejected');
    expect((await broker.exchanges.publishDeadLetter('nowhere', 'k', msg('x'))).routed).toBe(0);
  });
});
