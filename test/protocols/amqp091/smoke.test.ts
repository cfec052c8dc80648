import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../support/test-server.js';
import { connect, startBroker, uniqueName, waitFor } from './helpers.js';

describe('amqplib smoke', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startBroker(); });
  afterAll(async () => { await server.cleanup(); });

  it('connects, declares, publishes and consumes', async () => {
    const c = await connect(server);
    const ch = await c.createChannel();
    const q = uniqueName('smoke');
    const ok = await ch.assertQueue(q, { durable: true });
    expect(ok).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
    ch.sendToQueue(q, Buffer.from('hello'), { persistent: true, headers: { a: 1 } });
    const got: string[] = [];
    await ch.consume(q, (m) => { if (m) { got.push(m.content.toString()); ch.ack(m); } });
    await waitFor(() => got.length === 1);
    expect(got).toEqual(['hello']);
    await c.close();
  });
});
