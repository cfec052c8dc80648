/**
 * Stream queues (x-queue-type: stream) with amqplib: declared durable, published through the
 * default exchange, consumed from x-stream-offset first, an offset, next, and a timestamp; each
 * delivery carries its x-stream-offset.
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

async function consumeFrom(ch: amqp.Channel, s: string, offset: unknown, count: number): Promise<amqp.ConsumeMessage[]> {
  const got: amqp.ConsumeMessage[] = [];
  await ch.prefetch(100);
  const { consumerTag } = await ch.consume(s, (m) => { if (m) { got.push(m); ch.ack(m); } }, { arguments: { 'x-stream-offset': offset } });
  await waitFor(() => got.length >= count, 5000, `${count} records from ${String(offset)}`);
  await ch.cancel(consumerTag);
  return got;
}

describe('stream queues', () => {
  it('declares a stream, publishes through the default exchange, replays from first, an offset and a timestamp', async () => {
    const ch = await channel();
    const s = uniqueName('events');
    await ch.assertQueue(s, { durable: true, arguments: { 'x-queue-type': 'stream' } });
    expect(server.server.broker.getStream(s)).toBeDefined();
    await ch.assertQueue(s, { durable: true, arguments: { 'x-queue-type': 'stream' } });
    const confirm = await conn.createConfirmChannel();
    for (const b of ['e0', 'e1', 'e2']) confirm.sendToQueue(s, Buffer.from(b), { persistent: true });
    await confirm.waitForConfirms();
    // 0-9-1 timestamps are seconds: e3 goes out once the next second has begun.
    const boundary = Math.floor(Date.now() / 1000) + 1;
    await new Promise((r) => setTimeout(r, boundary * 1000 - Date.now() + 5));
    confirm.sendToQueue(s, Buffer.from('e3'), { persistent: true });
    await confirm.waitForConfirms();

    const first = await consumeFrom(ch, s, 'first', 4);
    expect(first.map((m) => m.content.toString())).toEqual(['e0', 'e1', 'e2', 'e3']);
    const offsets = first.map((m) => Number(m.properties.headers!['x-stream-offset']));
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    const fromOffset = await consumeFrom(await channel(), s, offsets[2]!, 2);
    expect(fromOffset.map((m) => m.content.toString())).toEqual(['e2', 'e3']);
    const fromTime = await consumeFrom(await channel(), s, { '!': 'timestamp', value: boundary }, 1);
    expect(fromTime.map((m) => m.content.toString())).toEqual(['e3']);
    await confirm.close();
    await ch.close();
  });

  it('next: only what is published after the consumer started', async () => {
    const ch = await channel();
    const s = uniqueName('live');
    await ch.assertQueue(s, { durable: true, arguments: { 'x-queue-type': 'stream' } });
    ch.sendToQueue(s, Buffer.from('before'));
    await new Promise((r) => setTimeout(r, 50));
    const got: string[] = [];
    await ch.consume(s, (m) => { if (m) { got.push(m.content.toString()); ch.ack(m); } }, { arguments: { 'x-stream-offset': 'next' } });
    ch.sendToQueue(s, Buffer.from('after'));
    await waitFor(() => got.length === 1);
    expect(got).toEqual(['after']);
    await ch.close();
  });

  it('a stream must be durable; basic.get and a classic redeclare are refused (406)', async () => {
    const ch = await channel();
    await expect(ch.assertQueue(uniqueName('s'), { durable: false, arguments: { 'x-queue-type': 'stream' } })).rejects.toThrow(/406.*non-durable/);
    const ch2 = await channel();
    const s = uniqueName('s');
    await ch2.assertQueue(s, { durable: true, arguments: { 'x-queue-type': 'stream' } });
    await expect(ch2.get(s)).rejects.toThrow(/406.*basic.get is not supported on stream/);
    const ch3 = await channel();
    await expect(ch3.assertQueue(s, { durable: true })).rejects.toThrow(/406.*x-queue-type/);
    const ch4 = await channel();
    await ch4.deleteQueue(s);
    expect(server.server.broker.getStream(s)).toBeUndefined();
    await ch4.close();
  });
});
