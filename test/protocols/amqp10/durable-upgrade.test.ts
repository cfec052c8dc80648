/**
 * AMQP 1.0 durable subscriptions created by the version before the session layer (queue
 * `amqp.sub.<containerId>.<linkName>` with an escape that kept `:` and `@`, record attributes
 * `{ protocol: 'amqp10', containerId, linkName }`) resume after the upgrade: same queue, same
 * collected messages; closing the link removes them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { amqp10Protocol } from '../../../protocols/amqp10/index.js';
import { durableSubscriptionQueue } from '../../../protocols/amqp10/address.js';
import { durableQueueName } from '../../../src/core/session/durable-subscriptions.js';
import { adminApi, collect, connect, openReceiver, openSender, sendAndSettle, waitFor, type Client } from './helpers.js';

let server: TestServer | undefined;
const clients: Client[] = [];

afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.cleanup();
});

describe('AMQP 1.0 durable subscriptions of the previous version', () => {
  it('resume in place after an upgrade and are removed on close', async () => {
    server = await startTestServer({ protocols: [amqp10Protocol] });
    const containerId = 'old:client@host';
    const linkName = 'sub-1';
    const oldQueue = durableSubscriptionQueue(containerId, linkName);
    const newQueue = durableQueueName({ protocol: 'amqp10', clientId: containerId, subscriptionName: linkName });
    expect(oldQueue).toBe('amqp.sub.old:client@host.sub-1');
    expect(newQueue).not.toBe(oldQueue);
    // What the previous version wrote for a durable receiver on topic://legacy.>.
    await server.server.broker.subscribeQueue({
      pattern: 'legacy.>',
      queue: oldQueue,
      attributes: { protocol: 'amqp10', containerId, linkName },
    });
    server = await server.restart();
    const api = (method: string, path: string) => adminApi(server!.ports.admin!, method, path);

    const publisher = await connect({ port: server.ports.amqp! });
    clients.push(publisher);
    const s = await openSender(publisher.connection, { target: { address: 'topic://legacy.news' } });
    await sendAndSettle(s, { body: 'while away', durable: true });

    const c = await connect({ port: server.ports.amqp!, container_id: containerId });
    clients.push(c);
    const r = await openReceiver(c.connection, {
      name: linkName,
      source: { address: 'topic://legacy.>', durable: 2, expiry_policy: 'never' } as never,
      credit_window: 10,
      autoaccept: true,
    });
    const got = collect(r);
    await waitFor(() => got.length === 1, 10_000, 'message collected before the upgrade');
    expect(got[0]!.message.body).toBe('while away');
    await sendAndSettle(s, { body: 'after', durable: true });
    await waitFor(() => got.length === 2, 10_000, 'message published after resuming');
    expect((await api('GET', `/api/queues/${encodeURIComponent(oldQueue)}`)).status).toBe(200);
    expect((await api('GET', `/api/queues/${encodeURIComponent(newQueue)}`)).status).toBe(404);

    await new Promise<void>((resolve) => {
      r.once('receiver_close', () => resolve());
      r.close();
    });
    await waitFor(async () => (await api('GET', `/api/queues/${encodeURIComponent(oldQueue)}`)).status === 404, 10_000, 'old subscription removed');
    await sendAndSettle(s, { body: 'gone', durable: true });
    expect((await api('GET', `/api/queues/${encodeURIComponent(oldQueue)}`)).status).toBe(404);
    expect((await api('GET', `/api/queues/${encodeURIComponent(newQueue)}`)).status).toBe(404);
  });
});
