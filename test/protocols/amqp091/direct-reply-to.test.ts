/**
 * RabbitMQ's direct reply-to with amqplib: the requester consumes amq.rabbitmq.reply-to (no-ack),
 * its requests carry a rewritten reply-to, the responder's reply to that key reaches it.
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

describe('direct reply-to (amq.rabbitmq.reply-to)', () => {
  it('request/reply through the pseudo-queue', async () => {
    const rpc = uniqueName('rpc');
    const responderConn = await connect(server);
    const responder = await channel(responderConn);
    await responder.assertQueue(rpc);
    let seenReplyTo = '';
    await responder.consume(rpc, (m) => {
      if (!m) return;
      seenReplyTo = String(m.properties.replyTo);
      responder.sendToQueue(seenReplyTo, Buffer.from(`re:${m.content.toString()}`), { correlationId: m.properties.correlationId });
      responder.ack(m);
    });

    const requester = await channel();
    expect(await requester.checkQueue('amq.rabbitmq.reply-to')).toMatchObject({ queue: 'amq.rabbitmq.reply-to' });
    const replies: amqp.ConsumeMessage[] = [];
    await requester.consume('amq.rabbitmq.reply-to', (m) => { if (m) replies.push(m); }, { noAck: true });
    requester.sendToQueue(rpc, Buffer.from('ping'), { replyTo: 'amq.rabbitmq.reply-to', correlationId: 'c-1' });
    await waitFor(() => replies.length === 1);
    expect(seenReplyTo).toMatch(/^\/queue\/temp\./);
    expect(replies[0]!.content.toString()).toBe('re:ping');
    expect(replies[0]!.properties.correlationId).toBe('c-1');
    expect(replies[0]!.fields).toMatchObject({ exchange: '', routingKey: seenReplyTo });
    await requester.close();
    await responderConn.close();
  });

  it('refuses an acknowledging reply consumer and a reply-to without a reply consumer (406)', async () => {
    const ch = await channel();
    await expect(ch.consume('amq.rabbitmq.reply-to', () => undefined, { noAck: false })).rejects.toThrow(/406.*reply consumer cannot acknowledge/);
    const ch2 = await channel();
    const closed = new Promise<Error>((resolve) => ch2.once('error', resolve));
    const q = uniqueName('q');
    await ch2.assertQueue(q);
    ch2.sendToQueue(q, Buffer.from('x'), { replyTo: 'amq.rabbitmq.reply-to' });
    expect((await closed).message).toMatch(/406.*fast reply consumer does not exist/);
  });
});
