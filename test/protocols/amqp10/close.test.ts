/**
 * The close handshake ends a connection's consumers at once: a message that arrives after the
 * broker answered the client's close (while the socket is still open) must not be dispatched to
 * the closed connection and come back flagged as redelivered (delivery-count 1, not first
 * acquirer) although no client saw it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { amqp10Protocol } from '../../../protocols/amqp10/index.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { adminApi, closeConnection, collect, connect, openReceiver, openSender, sendAndSettle, waitFor } from './helpers.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ protocols: [amqp10Protocol] });
});
afterAll(async () => {
  await server?.cleanup();
});

describe('AMQP 1.0 connection close', () => {
  it('detaches the consumers when the close is answered, not when the socket goes', async () => {
    const producer = await connect({ port: server.ports.amqp! });
    const sender = await openSender(producer.connection, { target: { address: 'queue://close.q' } });
    const consumer = await connect({ port: server.ports.amqp! });
    const receiver = await openReceiver(consumer.connection, { source: { address: 'queue://close.q' }, credit_window: 10, autoaccept: false } as never);
    const got = collect(receiver);
    expect((await sendAndSettle(sender, { body: 'm1', durable: true })).outcome).toBe('accepted');
    await waitFor(() => got.length === 1, 5000, 'm1');
    got[0]!.delivery.accept();
    const queueStats = async () => (await adminApi(server.ports.admin!, 'GET', '/api/queues/close.q')).json.stats;
    await waitFor(async () => (await queueStats()).inFlight === 0, 5000, 'the accept of m1');

    await closeConnection(consumer.connection); // resolves on the broker's close answer
    expect((await queueStats()).consumers, 'consumers right after the close handshake').toBe(0);

    expect((await sendAndSettle(sender, { body: 'm2', durable: true })).outcome).toBe('accepted');
    const again = await connect({ port: server.ports.amqp! });
    const r2 = await openReceiver(again.connection, { source: { address: 'queue://close.q' }, credit_window: 10 } as never);
    const got2 = collect(r2);
    await waitFor(() => got2.length >= 1, 5000, 'm2');
    expect(got2.map((g) => g.message.body)).toEqual(['m2']);
    expect(got2[0]!.message.delivery_count ?? 0, 'm2 was never delivered before').toBe(0);
    await again.close();
    await producer.close();
  });
});
