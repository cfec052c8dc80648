/**
 * queue.declare arguments with amqplib on the core's queue attributes: TTL with dead-lettering
 * (x-death), max-length overflow (drop-head, reject-publish with confirms), priority, quorum,
 * redeclare equivalence, unknown queue types.
 */
import type amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../support/test-server.js';
import { connect, startBroker, uniqueName, waitFor } from './helpers.js';

let server: TestServer;
let conn: amqp.ChannelModel;

beforeAll(async () => {
  server = await startBroker();
  conn = await connect(server);
});
afterAll(async () => {
  await conn.close();
  await server.cleanup();
});

async function channel(): Promise<amqp.Channel> {
  const ch = await conn.createChannel();
  ch.on('error', () => undefined);
  return ch;
}

async function getOne(ch: amqp.Channel, q: string): Promise<amqp.GetMessage> {
  for (;;) {
    const m = await ch.get(q, { noAck: true });
    if (m) return m;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('queue arguments', () => {
  it('x-message-ttl expires messages into the dead-letter queue with x-death', async () => {
    const ch = await channel();
    const dlq = uniqueName('dlq');
    const q = uniqueName('ttl');
    await ch.assertQueue(dlq);
    await ch.assertQueue(q, { messageTtl: 50, deadLetterExchange: '', deadLetterRoutingKey: dlq });
    ch.sendToQueue(q, Buffer.from('old'), { messageId: 'm-ttl' });
    const m = await getOne(ch, dlq);
    expect(m.content.toString()).toBe('old');
    expect(m.properties.messageId).toBe('m-ttl');
    expect(m.fields).toMatchObject({ exchange: '', routingKey: dlq });
    const death = (m.properties.headers!['x-death'] as unknown as Array<Record<string, unknown>>)[0]!;
    expect(death).toMatchObject({ queue: q, reason: 'expired', count: 1, exchange: '', 'routing-keys': [q] });
    expect(m.properties.headers!['x-first-death-reason']).toBe('expired');
    await ch.close();
  });

  it('a rejected message goes to the dead-letter exchange (reason rejected)', async () => {
    const ch = await channel();
    const dlq = uniqueName('dlq');
    const q = uniqueName('rej');
    await ch.assertQueue(dlq);
    await ch.assertQueue(q, { deadLetterExchange: '', deadLetterRoutingKey: dlq });
    ch.sendToQueue(q, Buffer.from('bad'));
    const m = await (async () => { for (;;) { const x = await ch.get(q); if (x) return x; await new Promise((r) => setTimeout(r, 10)); } })();
    ch.reject(m, false);
    const dead = await getOne(ch, dlq);
    expect((dead.properties.headers!['x-death'] as unknown as Array<Record<string, unknown>>)[0]).toMatchObject({ reason: 'rejected', queue: q });
    await ch.close();
  });

  it('x-max-length drops the head; reject-publish nacks in confirm mode', async () => {
    const ch = await channel();
    const q = uniqueName('maxlen');
    await ch.assertQueue(q, { maxLength: 2 });
    for (const b of ['1', '2', '3']) ch.sendToQueue(q, Buffer.from(b));
    await waitFor(async () => server.server.broker.getQueue(q)!.stats().visible === 2 && (await ch.checkQueue(q)).messageCount === 2);
    expect((await getOne(ch, q)).content.toString()).toBe('2');
    const cc = await conn.createConfirmChannel();
    const full = uniqueName('full');
    await cc.assertQueue(full, { maxLength: 1, arguments: { 'x-overflow': 'reject-publish' } });
    const outcomes = await Promise.all(['a', 'b'].map((b) => new Promise<string>((resolve) => cc.sendToQueue(full, Buffer.from(b), {}, (err) => resolve(err ? 'nack' : 'ack')))));
    expect(outcomes).toEqual(['ack', 'nack']);
    await cc.close();
    await ch.close();
  });

  it('x-max-priority orders by priority', async () => {
    const ch = await channel();
    const q = uniqueName('prio');
    await ch.assertQueue(q, { maxPriority: 10 });
    ch.sendToQueue(q, Buffer.from('low'), { priority: 1 });
    ch.sendToQueue(q, Buffer.from('high'), { priority: 9 });
    await waitFor(async () => (await ch.checkQueue(q)).messageCount === 2);
    expect((await getOne(ch, q)).content.toString()).toBe('high');
    await ch.close();
  });

  it('a redeclare with other arguments is 406; quorum queues must be durable; unknown queue types are 406', async () => {
    const ch = await channel();
    const q = uniqueName('args');
    await ch.assertQueue(q, { messageTtl: 1000 });
    await ch.assertQueue(q, { messageTtl: 1000 });
    await expect(ch.assertQueue(q, { messageTtl: 2000 })).rejects.toThrow(/406 \(PRECONDITION-FAILED\)/);
    const ch2 = await channel();
    await ch2.assertQueue(uniqueName('quorum'), { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 3 } });
    await expect(ch2.assertQueue(uniqueName('q2'), { durable: false, arguments: { 'x-queue-type': 'quorum' } })).rejects.toThrow(/406.*non-durable/);
    const ch3 = await channel();
    await expect(ch3.assertQueue(uniqueName('s'), { durable: true, arguments: { 'x-queue-type': 'mystery' } })).rejects.toThrow(/406.*unknown queue type 'mystery'/);
    const ch4 = await channel();
    await expect(ch4.assertQueue(uniqueName('bad'), { messageTtl: -5 } as never)).rejects.toThrow(/406/);
  });
});
