/**
 * basic.* with amqplib: publish/consume/ack, nack and reject with requeue (redelivered), prefetch
 * per consumer and per channel, get/get-empty, recover, mandatory returns, server-sent cancel,
 * the property mapping and large bodies over many frames.
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

async function queueWith(ch: amqp.Channel, bodies: string[]): Promise<string> {
  const q = uniqueName('q');
  await ch.assertQueue(q);
  for (const b of bodies) ch.sendToQueue(q, Buffer.from(b));
  await waitFor(async () => (await ch.checkQueue(q)).messageCount === bodies.length);
  return q;
}

describe('basic methods', () => {
  it('consumes in order and acks; acked messages are gone', async () => {
    const ch = await channel();
    const q = await queueWith(ch, ['1', '2', '3']);
    const got: amqp.ConsumeMessage[] = [];
    const { consumerTag } = await ch.consume(q, (m) => { if (m) got.push(m); });
    await waitFor(() => got.length === 3);
    expect(got.map((m) => m.content.toString())).toEqual(['1', '2', '3']);
    expect(got.map((m) => m.fields.deliveryTag)).toEqual([1, 2, 3]);
    expect(got[0]!.fields).toMatchObject({ consumerTag, redelivered: false, exchange: '', routingKey: q });
    ch.ack(got[2]!, true);
    await waitFor(() => server.server.broker.getQueue(q)!.stats().inFlight === 0);
    await ch.close();
    const ch2 = await channel();
    expect((await ch2.checkQueue(q)).messageCount).toBe(0);
    await ch2.close();
  });

  it('nack with requeue redelivers with redelivered=true; reject without requeue drops', async () => {
    const ch = await channel();
    const q = await queueWith(ch, ['a', 'b']);
    const got: amqp.ConsumeMessage[] = [];
    await ch.consume(q, (m) => { if (m) got.push(m); });
    await waitFor(() => got.length === 2);
    ch.nack(got[0]!, false, true);
    ch.reject(got[1]!, false);
    await waitFor(() => got.length === 3);
    expect(got[2]!.content.toString()).toBe('a');
    expect(got[2]!.fields.redelivered).toBe(true);
    ch.ack(got[2]!);
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toHaveLength(3);
    await ch.close();
  });

  it('unacked messages return (redelivered) when the channel closes', async () => {
    const ch = await channel();
    const q = await queueWith(ch, ['x']);
    const got: amqp.ConsumeMessage[] = [];
    await ch.consume(q, (m) => { if (m) got.push(m); });
    await waitFor(() => got.length === 1);
    await ch.close();
    const ch2 = await channel();
    const m = await ch2.get(q);
    expect(m && m.content.toString()).toBe('x');
    expect(m && m.fields.redelivered).toBe(true);
    await ch2.close();
  });

  it('respects prefetch per consumer (global=false)', async () => {
    const ch = await channel();
    const q = await queueWith(ch, ['1', '2', '3', '4', '5']);
    await ch.prefetch(2);
    const got: amqp.ConsumeMessage[] = [];
    await ch.consume(q, (m) => { if (m) got.push(m); });
    await waitFor(() => got.length === 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toHaveLength(2);
    ch.ack(got[0]!);
    await waitFor(() => got.length === 3);
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toHaveLength(3);
    await ch.close();
  });

  it('global prefetch limits the whole channel across consumers', async () => {
    const ch = await channel();
    const q1 = await queueWith(ch, ['a1', 'a2', 'a3']);
    const q2 = await queueWith(ch, ['b1', 'b2', 'b3']);
    await ch.prefetch(3, true);
    const got: amqp.ConsumeMessage[] = [];
    await ch.consume(q1, (m) => { if (m) got.push(m); });
    await ch.consume(q2, (m) => { if (m) got.push(m); });
    await waitFor(() => got.length >= 3, 2000, `3 deliveries (got ${got.length})`);
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toHaveLength(3);
    ch.ack(got[0]!);
    await waitFor(() => got.length === 4, 2000, 'a 4th delivery');
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toHaveLength(4);
    ch.ackAll();
    await waitFor(() => got.length === 6);
    await ch.close();
  });

  it('basic.get returns one message with the remaining count, then get-empty', async () => {
    const ch = await channel();
    const q = await queueWith(ch, ['1', '2']);
    const m1 = await ch.get(q);
    expect(m1 && m1.content.toString()).toBe('1');
    expect(m1 && m1.fields.messageCount).toBe(1);
    const m2 = await ch.get(q, { noAck: true });
    expect(m2 && m2.content.toString()).toBe('2');
    expect(await ch.get(q)).toBe(false);
    ch.nack(m1 as amqp.GetMessage);
    const again = await ch.get(q);
    expect(again && again.fields.redelivered).toBe(true);
    ch.ack(again as amqp.GetMessage);
    await waitFor(() => server.server.broker.getQueue(q)!.stats().inFlight === 0);
    expect(server.server.broker.getQueue(q)!.stats().consumers).toBe(0);
    await ch.close();
  });

  it('basic.recover redelivers the unacked deliveries', async () => {
    const ch = await channel();
    const q = await queueWith(ch, ['r']);
    const got: amqp.ConsumeMessage[] = [];
    await ch.consume(q, (m) => { if (m) got.push(m); });
    await waitFor(() => got.length === 1);
    await ch.recover();
    await waitFor(() => got.length === 2);
    expect(got[1]!.fields.redelivered).toBe(true);
    await ch.close();
  });

  it('an unknown delivery tag is 406 PRECONDITION_FAILED', async () => {
    const ch = await channel();
    const closed = new Promise<Error>((resolve) => ch.once('error', resolve));
    ch.ack({ fields: { deliveryTag: 99 } } as amqp.Message);
    expect((await closed).message).toMatch(/406 \(PRECONDITION-FAILED\).*unknown delivery tag 99/);
  });

  it('mandatory publish to a missing queue comes back as basic.return NO_ROUTE', async () => {
    const ch = await channel();
    const returned = new Promise<amqp.Message>((resolve) => ch.once('return', resolve));
    ch.publish('', uniqueName('nowhere'), Buffer.from('lost'), { mandatory: true, messageId: 'm1' });
    const r = await returned;
    expect(r.fields).toMatchObject({ replyCode: 312, replyText: 'NO_ROUTE', exchange: '' });
    expect(r.content.toString()).toBe('lost');
    expect(r.properties.messageId).toBe('m1');
    await ch.close();
  });

  it('publishing to a missing exchange is 404 NOT_FOUND', async () => {
    const ch = await channel();
    const closed = new Promise<Error>((resolve) => ch.once('error', resolve));
    ch.publish('some-exchange', 'k', Buffer.from('x'));
    expect((await closed).message).toMatch(/404 \(NOT-FOUND\).*no exchange 'some-exchange' in vhost '\/'/);
  });

  it('sends basic.cancel to consumers of a deleted queue', async () => {
    const ch = await channel();
    const q = uniqueName('gone');
    await ch.assertQueue(q);
    const cancelled = new Promise<null>((resolve) => { void ch.consume(q, (m) => { if (m === null) resolve(m); }); });
    await waitFor(() => (server.server.broker.getQueue(q)?.stats().consumers ?? 0) === 1);
    await server.server.broker.deleteQueue(q);
    expect(await cancelled).toBeNull();
    await ch.close();
  });

  it('a cancelled consumer stops receiving but its unacked messages can still be acked', async () => {
    const ch = await channel();
    const q = await queueWith(ch, ['1', '2']);
    await ch.prefetch(1);
    const got: amqp.ConsumeMessage[] = [];
    const { consumerTag } = await ch.consume(q, (m) => { if (m) got.push(m); });
    await waitFor(() => got.length === 1);
    await ch.cancel(consumerTag);
    ch.ack(got[0]!);
    await waitFor(() => server.server.broker.getQueue(q)!.stats().consumers === 0);
    expect(got).toHaveLength(1);
    expect((await ch.checkQueue(q)).messageCount).toBe(1);
    await ch.close();
  });

  it('maps every basic property and typed headers both ways', async () => {
    const ch = await channel();
    const q = uniqueName('props');
    await ch.assertQueue(q);
    const ts = Math.floor(Date.now() / 1000);
    ch.sendToQueue(q, Buffer.from('{}'), {
      contentType: 'application/json', contentEncoding: 'utf-8', persistent: true, priority: 7, correlationId: 'c1',
      replyTo: 'replies', expiration: '60000', messageId: 'id-1', timestamp: ts, type: 'order', userId: 'anonymous', appId: 'app',
      headers: { s: 'text', i: 5, big: 2 ** 40, f: 1.5, b: true, n: null, list: [1, 'two'], map: { k: 'v' }, bin: Buffer.from([1, 2]),
        t: { '!': 'timestamp', value: ts }, d: { '!': 'decimal', value: { places: 2, digits: 1234 } } },
    });
    const m = await (async () => { for (;;) { const x = await ch.get(q, { noAck: true }); if (x) return x; await new Promise((r) => setTimeout(r, 10)); } })();
    expect(m.properties).toMatchObject({
      contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 2, priority: 7, correlationId: 'c1', replyTo: 'replies',
      expiration: '60000', messageId: 'id-1', timestamp: ts, type: 'order', userId: 'anonymous', appId: 'app',
    });
    const h = m.properties.headers!;
    // amqplib shows timestamps and decimals with its '!' type marker
    expect(h).toMatchObject({ s: 'text', i: 5, big: 2 ** 40, f: 1.5, b: true, n: null, list: [1, 'two'], map: { k: 'v' },
      t: { '!': 'timestamp', value: ts }, d: { '!': 'decimal', value: { places: 2, digits: 1234 } } });
    expect(Buffer.from(h.bin as Buffer)).toEqual(Buffer.from([1, 2]));
    const stored = server.server.broker.getQueue(q);
    expect(stored).toBeDefined();
    await ch.close();
  });

  it('a user-id other than the authenticated user is 406', async () => {
    const ch = await channel();
    const q = uniqueName('uid');
    await ch.assertQueue(q);
    const closed = new Promise<Error>((resolve) => ch.once('error', resolve));
    ch.sendToQueue(q, Buffer.from('x'), { userId: 'someone-else' });
    expect((await closed).message).toMatch(/406.*user_id property set to 'someone-else' but authenticated user was 'anonymous'/);
  });

  it('carries a 1 MiB body across many frames both ways', async () => {
    const ch = await channel();
    const q = uniqueName('big');
    await ch.assertQueue(q);
    const body = Buffer.alloc(1 << 20);
    for (let i = 0; i < body.length; i += 1) body[i] = i % 251;
    ch.sendToQueue(q, body);
    const got = await new Promise<amqp.ConsumeMessage>((resolve) => { void ch.consume(q, (m) => { if (m) resolve(m); }, { noAck: true }); });
    expect(got.content.equals(body)).toBe(true);
    await ch.close();
  });
});
