/**
 * queue.declare / delete / purge with amqplib: passive 404, mismatched redeclare 406, exclusive
 * 405, server-named queues, reserved names, if-unused / if-empty, auto-delete.
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

async function channel(c = conn): Promise<amqp.Channel> {
  const ch = await c.createChannel();
  ch.on('error', () => undefined);
  return ch;
}

describe('queue methods', () => {
  it('passive declare of a missing queue is 404 NOT_FOUND (channel closed, connection alive)', async () => {
    const ch = await channel();
    const q = uniqueName('missing');
    await expect(ch.checkQueue(q)).rejects.toThrow(`404 (NOT-FOUND) with message "NOT_FOUND - no queue '${q}' in vhost '/'"`);
    const ch2 = await channel();
    await ch2.assertQueue(uniqueName('alive'));
    await ch2.close();
  });

  it('a redeclare with other flags is 406 PRECONDITION_FAILED; the same flags are fine', async () => {
    const ch = await channel();
    const q = uniqueName('durable');
    await ch.assertQueue(q, { durable: true });
    await ch.assertQueue(q, { durable: true });
    await expect(ch.assertQueue(q, { durable: false })).rejects.toThrow(/406 \(PRECONDITION-FAILED\).*inequivalent arg 'durable'/);
  });

  it('server-named queues are amq.gen-…; an empty name means the last declared queue', async () => {
    const ch = await channel();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    expect(queue).toMatch(/^amq\.gen-[A-Za-z0-9_-]{22}$/);
    ch.sendToQueue(queue, Buffer.from('x'));
    await waitFor(async () => (await ch.checkQueue(queue)).messageCount === 1);
    expect(await ch.purgeQueue('')).toEqual({ messageCount: 1 });
    await ch.close();
  });

  it('a client may not declare amq.* queues (403)', async () => {
    const ch = await channel();
    await expect(ch.assertQueue('amq.mine')).rejects.toThrow(/403 \(ACCESS-REFUSED\).*reserved prefix 'amq\.\*'/);
  });

  it('exclusive queues are locked to their connection (405) and deleted with it', async () => {
    const owner = await connect(server);
    const mine = await channel(owner);
    const q = uniqueName('excl');
    await mine.assertQueue(q, { exclusive: true });
    const other = await channel();
    await expect(other.checkQueue(q)).rejects.toThrow(/405 \(RESOURCE-LOCKED\)/);
    const other2 = await channel();
    await expect(other2.consume(q, () => undefined)).rejects.toThrow(/405/);
    await owner.close();
    await waitFor(() => server.server.broker.getQueue(q) === undefined, 5000, 'exclusive queue deleted');
  });

  it('delete: if-unused and if-empty refuse with 406; delete-ok reports the message count', async () => {
    const ch = await channel();
    const q = uniqueName('del');
    await ch.assertQueue(q);
    ch.sendToQueue(q, Buffer.from('a'));
    ch.sendToQueue(q, Buffer.from('b'));
    await waitFor(async () => (await ch.checkQueue(q)).messageCount === 2);
    await expect(ch.deleteQueue(q, { ifEmpty: true })).rejects.toThrow(/406.*is not empty/);
    const ch2 = await channel();
    const consumer = await ch2.consume(q, () => undefined, { noAck: false });
    const ch3 = await channel();
    await expect(ch3.deleteQueue(q, { ifUnused: true })).rejects.toThrow(/406.*in use/);
    await ch2.cancel(consumer.consumerTag);
    await ch2.close();
    const ch4 = await channel();
    expect(await ch4.deleteQueue(q)).toEqual({ messageCount: 2 });
    expect(server.server.broker.getQueue(q)).toBeUndefined();
    expect(await ch4.deleteQueue(q)).toEqual({ messageCount: 0 });
    await ch4.close();
  });

  it('auto-delete queues go when their last consumer is cancelled', async () => {
    const ch = await channel();
    const q = uniqueName('auto');
    await ch.assertQueue(q, { autoDelete: true });
    const a = await ch.consume(q, () => undefined);
    const b = await ch.consume(q, () => undefined);
    await ch.cancel(a.consumerTag);
    expect(server.server.broker.getQueue(q)).toBeDefined();
    await ch.cancel(b.consumerTag);
    await waitFor(() => server.server.broker.getQueue(q) === undefined, 5000, 'auto-delete');
    await ch.close();
  });
});
