/**
 * connection.blocked / unblocked when publishes pile up waiting for the store (a low high-water
 * mark here): amqplib sees both events and every confirmed publish arrived.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../support/test-server.js';
import { connect, startBroker, uniqueName, waitFor } from './helpers.js';

let server: TestServer;
beforeAll(async () => { server = await startBroker({ amqp091: { blockedHighWater: 5 } }); });
afterAll(async () => { await server.cleanup(); });

describe('connection.blocked', () => {
  it('blocks publishing connections while the store backlog is high, then unblocks them', async () => {
    const c = await connect(server);
    const events: string[] = [];
    c.on('blocked', (reason: string) => events.push(`blocked: ${reason}`));
    c.on('unblocked', () => events.push('unblocked'));
    const ch = await c.createConfirmChannel();
    const q = uniqueName('burst');
    await ch.assertQueue(q, { durable: true });
    for (let i = 0; i < 300; i += 1) ch.sendToQueue(q, Buffer.alloc(256, i), { persistent: true });
    await ch.waitForConfirms();
    await waitFor(() => events.at(-1) === 'unblocked', 5000, 'unblocked');
    expect(events[0]).toMatch(/^blocked: store backlog: \d+ publishes waiting to be committed$/);
    expect((await ch.checkQueue(q)).messageCount).toBe(300);
    await c.close();
  });
});
