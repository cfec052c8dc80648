/** The admin API lists exchanges and bindings (read only), typed arguments in their JSON form. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typed } from '../../src/core/values.js';
import { api } from '../support/broker-process.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let ts: TestServer;
let port: number;

beforeAll(async () => {
  ts = await startTestServer({ protocols: [] });
  port = ts.ports.admin!;
});
afterAll(async () => {
  await ts.cleanup();
});

describe('admin API: exchanges and bindings', () => {
  it('lists exchanges, describes one with its bindings, and lists bindings by filter', async () => {
    const x = ts.server.broker.exchanges;
    await x.declare('orders', { type: 'headers', durable: true, autoDelete: false, internal: false, arguments: { 'alternate-exchange': 'ae' } });
    await ts.server.broker.createQueue('eu');
    await x.bind({ source: 'orders', destination: { kind: 'queue', name: 'eu' }, routingKey: '', arguments: { region: 'eu', n: typed.long(5) } });
    await x.bind({ source: 'amq.topic', destination: { kind: 'queue', name: 'eu' }, routingKey: 'orders.#', arguments: {} });

    const list = await api(port, 'GET', '/api/exchanges');
    expect(list.status).toBe(200);
    expect(list.json.exchanges.map((e: { name: string }) => e.name)).toEqual(expect.arrayContaining(['', 'amq.topic', 'orders']));

    const one = await api(port, 'GET', '/api/exchanges/orders');
    expect(one.json).toMatchObject({ name: 'orders', type: 'headers', durable: true, builtIn: false, arguments: { 'alternate-exchange': 'ae' } });
    expect(one.json.bindings).toEqual([{ source: 'orders', destination: { kind: 'queue', name: 'eu' }, routingKey: '', arguments: { n: { type: 'long', value: '5' }, region: 'eu' } }]);
    expect((await api(port, 'GET', '/api/exchanges/amq.default')).json).toMatchObject({ name: '', type: 'direct', builtIn: true });
    expect((await api(port, 'GET', '/api/exchanges/missing')).status).toBe(404);

    const byQueue = await api(port, 'GET', '/api/bindings?queue=eu');
    expect(byQueue.json.bindings.map((b: { source: string }) => b.source).sort()).toEqual(['amq.topic', 'orders']);
    const topic = await api(port, 'GET', '/api/bindings?source=amq.topic');
    expect(topic.json.bindings).toEqual([{ source: 'amq.topic', destination: { kind: 'queue', name: 'eu' }, routingKey: 'orders.#', arguments: {} }]);
  });
});
