/**
 * Message size refusals, black-box with the real clients, on a broker with a small configured
 * limit (limits.maxMessageBytes = 4096): a body of exactly the limit passes every protocol; one
 * byte over is refused the protocol's way (STOMP: ERROR frame, then close; AMQP 1.0: the delivery
 * rejected with amqp:link:message-size-exceeded, the link and connection stay usable; MQTT 3.1.1:
 * no negative ack, the connection is closed) while the broker and another connected client carry
 * on. Per-queue and per-topic maxMessageBytes are honoured the same way.
 */
import type { MqttClient } from 'mqtt';
import { connect as connectMqtt } from '../protocols/mqtt/helpers.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { header } from '../../protocols/stomp/frame.js';
import { RawClient } from '../protocols/stomp/session-helpers.js';
import { adminApi, connect, openSender, sendAndSettle, type Client } from '../protocols/amqp10/helpers.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const LIMIT = 4096;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ overrides: { limits: { maxMessageBytes: LIMIT } } });
});
afterAll(async () => {
  await server?.cleanup();
});

const api = (method: string, path: string, body?: unknown) => adminApi(server.ports.admin!, method, path, body);

/** The MQTT test helpers' client, quiet about the errors a refused publish provokes. */
async function mqttClient(id: string): Promise<MqttClient> {
  const c = await connectMqtt(server, 'tcp', { clientId: id, clean: true });
  c.on('error', () => undefined);
  return c;
}

/** Publish at QoS 1; resolves 'acked' on PUBACK or 'closed' when the broker drops the connection first. */
function publishOutcome(c: MqttClient, topic: string, body: Buffer): Promise<'acked' | 'closed'> {
  return new Promise((resolve) => {
    c.once('close', () => resolve('closed'));
    c.publish(topic, body, { qos: 1 }, (err) => { if (!err) resolve('acked'); });
  });
}

/** Another STOMP client stays connected throughout and can still send and receive. */
async function stompStillWorks(c: RawClient, queue: string): Promise<void> {
  c.frame('SUBSCRIBE', { id: queue, destination: `/queue/${queue}`, ack: 'auto' });
  c.frame('SEND', { destination: `/queue/${queue}`, receipt: `${queue}-r` }, 'still here');
  await c.receipt(`${queue}-r`);
  const m = await c.nextCommand('MESSAGE');
  expect(m.body.toString()).toBe('still here');
}

describe(`message size refusals (limits.maxMessageBytes = ${LIMIT})`, () => {
  it('STOMP: a body of exactly the limit is received; one byte over gets an ERROR frame and the close, other clients carry on', async () => {
    const bystander = await RawClient.connect(server.ports.stomp!);
    const c = await RawClient.connect(server.ports.stomp!);
    c.frame('SEND', { destination: '/queue/stomp.edge', receipt: 'ok' }, 'x'.repeat(LIMIT));
    await c.receipt('ok');
    c.frame('SEND', { destination: '/queue/stomp.edge', receipt: 'over' }, 'x'.repeat(LIMIT + 1));
    const err = await c.nextCommand('ERROR');
    expect(header(err, 'message')).toMatch(/message too large/);
    await c.waitClosed();
    expect((await api('GET', '/api/queues/stomp.edge')).json.stats.visible).toBe(1);
    await stompStillWorks(bystander, 'stomp.bystander');
    bystander.close();
  });

  it('AMQP 1.0: one byte over is rejected with amqp:link:message-size-exceeded and the same link sends on', async () => {
    const c: Client = await connect({ port: server.ports.amqp! });
    try {
      const s = await openSender(c.connection, { target: { address: 'queue://amqp.edge' } });
      expect((await sendAndSettle(s, { body: 'y'.repeat(LIMIT) })).outcome).toBe('accepted');
      const over = await sendAndSettle(s, { body: 'y'.repeat(LIMIT + 1) });
      expect(over.outcome).toBe('rejected');
      expect((over.error as { condition: string }).condition).toBe('amqp:link:message-size-exceeded');
      expect((await sendAndSettle(s, { body: 'after' })).outcome).toBe('accepted');
    } finally {
      await c.close();
    }
  });

  it('MQTT: a body of exactly the limit is PUBACKed; one byte over closes that connection only', async () => {
    const bystander = await mqttClient('size-bystander');
    const got: string[] = [];
    bystander.on('message', (_t, p) => got.push(p.toString()));
    await bystander.subscribeAsync('size/bystander', { qos: 1 });
    const c = await mqttClient('size-publisher');
    expect(await publishOutcome(c, 'size/edge', Buffer.alloc(LIMIT, 1))).toBe('acked');
    expect(await publishOutcome(c, 'size/edge', Buffer.alloc(LIMIT + 1, 1))).toBe('closed');
    await bystander.publishAsync('size/bystander', 'still here', { qos: 1 });
    await expect.poll(() => got).toEqual(['still here']);
    await bystander.endAsync();
    c.end(true);
  });

  it('a queue\'s maxMessageBytes is honoured below the broker limit; above it is refused', async () => {
    expect((await api('PUT', '/api/queues/small.q', { maxMessageBytes: 100 })).status).toBe(201);
    expect((await api('PUT', '/api/queues/big.q', { maxMessageBytes: LIMIT + 1 })).status).toBe(400);
    const c: Client = await connect({ port: server.ports.amqp! });
    try {
      const s = await openSender(c.connection, { target: { address: 'queue://small.q' } });
      expect((await sendAndSettle(s, { body: 'q'.repeat(100) })).outcome).toBe('accepted');
      const over = await sendAndSettle(s, { body: 'q'.repeat(101) });
      expect((over.error as { condition: string }).condition).toBe('amqp:link:message-size-exceeded');
    } finally {
      await c.close();
    }
  });

  it('a topic\'s maxMessageBytes is checked at publish (STOMP and MQTT); above the broker limit it is refused', async () => {
    expect((await api('PUT', '/api/topics/small.t', { maxMessageBytes: 100 })).status).toBe(201);
    expect((await api('GET', '/api/topics/small.t')).json.attributes.maxMessageBytes).toBe(100);
    expect((await api('PUT', '/api/topics/big.t', { maxMessageBytes: LIMIT + 1 })).status).toBe(400);
    const c = await mqttClient('topic-size');
    expect(await publishOutcome(c, 'small/t', Buffer.alloc(100, 1))).toBe('acked');
    expect(await publishOutcome(c, 'small/t', Buffer.alloc(101, 1))).toBe('closed');
    c.end(true);
    const s = await RawClient.connect(server.ports.stomp!);
    s.frame('SEND', { destination: '/topic/small.t', receipt: 'ok' }, 't'.repeat(100));
    await s.receipt('ok');
    s.frame('SEND', { destination: '/topic/small.t' }, 't'.repeat(101));
    expect(header(await s.nextCommand('ERROR'), 'message')).toMatch(/message too large/);
  });
});
