/**
 * AMQP 1.0 topics: live subscriptions with credit and a bounded buffer, durable subscriptions
 * (resume after detach and across a broker restart, deleted on close), filter policies over
 * application-properties, and admin API publishes reaching AMQP receivers.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { createAmqp10Protocol } from '../../../protocols/amqp10/index.js';
import { adminApi, collect, connect, openReceiver, openSender, sendAndSettle, waitFor, type Client } from './helpers.js';

const protocol = createAmqp10Protocol({ liveBuffer: 3 });
let server: TestServer;
const clients: Client[] = [];

async function client(containerId?: string): Promise<Client> {
  const c = await connect({ port: server.ports.amqp!, ...(containerId ? { container_id: containerId } : {}) });
  clients.push(c);
  return c;
}

const api = (method: string, path: string, body?: unknown) => adminApi(server.ports.admin!, method, path, body);

beforeAll(async () => {
  server = await startTestServer({ protocols: [protocol] });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await server?.cleanup();
});

describe('AMQP 1.0 topics', () => {
  it('delivers to every matching live subscriber, within credit, buffering a bounded number', async () => {
    const c = await client();
    const exact = await openReceiver(c.connection, { source: { address: 'topic://news.sports' } });
    const wild = await openReceiver(c.connection, { source: { address: 'news.*', capabilities: ['topic'] } as never });
    const gotExact = collect(exact);
    const gotWild = collect(wild);
    exact.add_credit(2);
    wild.add_credit(100);
    const sender = await openSender(c.connection, { target: { address: 'topic://news.sports' } });
    for (let i = 0; i < 7; i++) await sendAndSettle(sender, { body: `n${i}` });
    await waitFor(() => gotWild.length === 7, 10_000, 'wildcard subscriber');
    await waitFor(() => gotExact.length === 2, 10_000, 'credit-limited subscriber');
    // 2 sent within credit, 3 buffered, 2 dropped (liveBuffer 3) and counted by the core.
    expect((await api('GET', '/api/topics/news.sports')).json.stats.dropped).toBe(2);
    exact.add_credit(10);
    await waitFor(() => gotExact.length === 5, 10_000, 'buffered messages');
    expect(gotExact.map((g) => g.message.body)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    expect(gotWild[0]!.message.to).toBe('topic://news.*');
  });

  it('applies an x-filter-policy source filter on a live subscription', async () => {
    const c = await client();
    const r = await openReceiver(c.connection, {
      source: { address: 'topic://alerts.live', filter: { 'x-filter-policy': JSON.stringify({ severity: ['high'] }) } },
      credit_window: 10,
    });
    expect(r.source.filter).toEqual({ 'x-filter-policy': JSON.stringify({ severity: ['high'] }) });
    const got = collect(r);
    const s = await openSender(c.connection, { target: { address: 'topic://alerts.live' } });
    await sendAndSettle(s, { body: 'low', application_properties: { severity: 'low' } });
    await sendAndSettle(s, { body: 'high', application_properties: { severity: 'high' } });
    await waitFor(() => got.length === 1);
    await sendAndSettle(s, { body: 'high2', application_properties: { severity: 'high' } });
    await waitFor(() => got.length === 2);
    expect(got.map((g) => g.message.body)).toEqual(['high', 'high2']);
  });

  it('application-properties drive a filter-policy subscription created through the admin API', async () => {
    const sub = await api('POST', '/api/subscriptions', { pattern: 'orders.>', queue: 'orders.red', filterPolicy: { color: ['red'], amount: [{ numeric: ['>', 100] }] } });
    expect(sub.status).toBe(201);
    const c = await client();
    const s = await openSender(c.connection, { target: { address: 'topic://orders.eu' } });
    await sendAndSettle(s, { body: 'red-big', durable: true, application_properties: { color: 'red', amount: 150 } });
    await sendAndSettle(s, { body: 'red-small', durable: true, application_properties: { color: 'red', amount: 10 } });
    await sendAndSettle(s, { body: 'blue-big', durable: true, application_properties: { color: 'blue', amount: 500 } });
    const r = await openReceiver(c.connection, { source: { address: 'queue://orders.red' }, credit_window: 10 });
    const got = collect(r);
    await waitFor(() => got.length === 1);
    expect(got[0]!.message.body).toBe('red-big');
    expect(got[0]!.message.application_properties).toEqual({ color: 'red', amount: 150 });
    expect((await api('GET', '/api/queues/orders.red')).json.stats.visible).toBe(0);
  });

  it('admin API publishes reach AMQP topic receivers with headers as application-properties', async () => {
    const c = await client();
    const r = await openReceiver(c.connection, { source: { address: 'topic://x' }, credit_window: 10 });
    const got = collect(r);
    const res = await api('POST', '/api/topics/x/messages', { body: 'from http', headers: { origin: 'admin', n: 7 }, properties: { contentType: 'text/plain', correlationId: 'c-1' } });
    expect(res.status).toBe(201);
    await waitFor(() => got.length === 1);
    const m = got[0]!.message;
    expect(m.body.typecode).toBe(0x75); // bytes from another protocol leave as a data section
    expect(m.body.content.toString()).toBe('from http');
    expect(m).toMatchObject({ content_type: 'text/plain', correlation_id: 'c-1', application_properties: { origin: 'admin', n: 7 } });
  });

  it('durable subscriptions resume after a detach and across a broker restart, and are deleted on close', async () => {
    const attach = async (c: Client) => openReceiver(c.connection, {
      name: 'sub-1',
      source: { address: 'topic://prices.>', durable: 2, expiry_policy: 'never' } as never,
      credit_window: 10,
      autoaccept: true,
    });
    let c = await client('dur-client');
    let r = await attach(c);
    expect(r.source).toMatchObject({ durable: 2, expiry_policy: 'never' });
    let got = collect(r);
    const publisher = await client();
    let s = await openSender(publisher.connection, { target: { address: 'topic://prices.eur' } });
    await sendAndSettle(s, { body: 'p1', durable: true });
    await waitFor(() => got.length === 1);

    // Detach (not close): the subscription keeps collecting.
    await new Promise<void>((resolve) => {
      r.once('receiver_close', () => resolve());
      r.detach();
    });
    await sendAndSettle(s, { body: 'p2', durable: true });
    r = await attach(c);
    got = collect(r);
    await waitFor(() => got.length === 1, 10_000, 'message kept while detached');
    expect(got[0]!.message.body).toBe('p2');

    // Disconnect, publish, restart the broker: the subscription and its message survive.
    await c.close();
    await sendAndSettle(s, { body: 'p3', durable: true });
    await Promise.all(clients.splice(0).map((x) => x.close()));
    server = await server.restart();
    c = await client('dur-client');
    r = await attach(c);
    got = collect(r);
    await waitFor(() => got.length === 1, 10_000, 'message kept across restart');
    expect(got[0]!.message.body).toBe('p3');
    const queue = 'amqp.sub.dur-client.sub-1';
    expect((await api('GET', `/api/queues/${queue}`)).status).toBe(200);

    // Close (detach closed=true) = unsubscribe.
    await new Promise<void>((resolve) => {
      r.once('receiver_close', () => resolve());
      r.close();
    });
    await waitFor(async () => (await api('GET', `/api/queues/${queue}`)).status === 404, 10_000, 'subscription deleted');
    const pub2 = await client();
    s = await openSender(pub2.connection, { target: { address: 'topic://prices.eur' } });
    await sendAndSettle(s, { body: 'p4', durable: true });
    expect((await api('GET', `/api/queues/${queue}`)).status).toBe(404);
  });

  it('a receiver with no source address finds its durable subscription by link name (JMS unsubscribe)', async () => {
    const c = await client('jms-like');
    const r1 = await openReceiver(c.connection, { name: 'mysub', source: { address: 'topic://jms.t', durable: 2, expiry_policy: 'never' } as never });
    await new Promise<void>((resolve) => {
      r1.once('receiver_close', () => resolve());
      r1.detach();
    });
    const r2 = await openReceiver(c.connection, { name: 'mysub', source: null } as never);
    expect(r2.source.address).toBe('topic://jms.t');
    await new Promise<void>((resolve) => {
      r2.once('receiver_close', () => resolve());
      r2.close();
    });
    await waitFor(async () => (await api('GET', '/api/queues/amqp.sub.jms-like.mysub')).status === 404, 10_000, 'unsubscribed');
  });
});
