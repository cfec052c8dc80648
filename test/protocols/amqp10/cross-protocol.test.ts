/**
 * AMQP 1.0 ↔ everything else, through the core: the admin HTTP API, MQTT and STOMP.
 */
import mqtt from 'mqtt';
import rhea from 'rhea';
import stompit from 'stompit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { amqp10Protocol } from '../../../protocols/amqp10/index.js';
import { mqttProtocol } from '../../../protocols/mqtt/index.js';
import { stompProtocol } from '../../../protocols/stomp/stomp-module.js';
import { bodySections } from '../../../protocols/amqp10/amqp-codec.js';
import { adminApi, collect, connect, openReceiver, openSender, sendAndSettle, waitFor, type Client } from './helpers.js';

let server: TestServer;
const clients: Client[] = [];

async function client(): Promise<Client> {
  const c = await connect({ port: server.ports.amqp! });
  clients.push(c);
  return c;
}

const api = (method: string, path: string, body?: unknown) => adminApi(server.ports.admin!, method, path, body);

function stompConnect(): Promise<stompit.Client> {
  return new Promise((resolve, reject) => {
    stompit.connect({ host: '127.0.0.1', port: server.ports.stomp!, connectHeaders: { host: '/', 'accept-version': '1.2' } }, (err, c) => {
      if (err) return reject(err);
      // Errors after the test (e.g. the broker shutting down) are not this test's subject.
      c.on('error', () => undefined);
      resolve(c);
    });
  });
}

beforeAll(async () => {
  server = await startTestServer({ protocols: [amqp10Protocol, mqttProtocol, stompProtocol] });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await server?.cleanup();
});

describe('AMQP 1.0 cross-protocol', () => {
  it('admin API queue send → AMQP 1.0 receiver', async () => {
    const res = await api('POST', '/api/queues/orders/messages', {
      body: '{"id":1}', headers: { region: 'eu', qty: 3 }, properties: { contentType: 'application/json', messageId: 'o-1', priority: 8 },
    });
    expect(res.status).toBe(201);
    const c = await client();
    const r = await openReceiver(c.connection, { source: { address: 'queue://orders' }, credit_window: 5, autoaccept: true });
    const got = collect(r);
    await waitFor(() => got.length === 1);
    const m = got[0]!.message;
    expect(m.body.typecode).toBe(0x75);
    expect(m.body.content.toString()).toBe('{"id":1}');
    expect(m).toMatchObject({ content_type: 'application/json', message_id: 'o-1', priority: 8, durable: true, application_properties: { region: 'eu', qty: 3 } });
  });

  it('AMQP 1.0 send → admin API receive', async () => {
    const c = await client();
    const s = await openSender(c.connection, { target: { address: 'queue://amqp.out' } });
    await sendAndSettle(s, { body: 'hello http', durable: true, subject: 's', correlation_id: 'c9', application_properties: { k: 'v', n: 1.5 } });
    await sendAndSettle(s, { body: { structured: [1, 2] } });
    const res = await api('POST', '/api/queues/amqp.out/receive', { max: 10 });
    const [text, structured] = res.json.messages;
    expect(text).toMatchObject({
      body: 'hello http', persistent: true,
      properties: { contentType: 'text/plain', subject: 's', correlationId: 'c9', userId: 'anonymous' },
      headers: { k: 'v', n: { type: 'double', value: 1.5 } },
      protocol: { amqp10: { bodyKind: 'string' } },
    });
    expect(Object.keys(text.headers).sort()).toEqual(['k', 'n']);
    // A structured amqp-value body is kept as its exact AMQP encoding (what other protocols see).
    expect(structured.protocol.amqp10.bodyKind).toBe('amqp-value');
    const encoded = rhea.message.encode({ body: { structured: [1, 2] } });
    const range = bodySections(encoded)!;
    expect(Buffer.from(structured.body, structured.bodyEncoding)).toEqual(encoded.subarray(range.start, range.end));
  });

  it('MQTT publish → AMQP 1.0 topic receiver, and AMQP 1.0 → MQTT subscriber', async () => {
    const c = await client();
    const r = await openReceiver(c.connection, { source: { address: 'topic://sensors.>' }, credit_window: 10, autoaccept: true });
    const got = collect(r);
    const m = await mqtt.connectAsync(`mqtt://127.0.0.1:${server.ports.mqtt}`, { reconnectPeriod: 0 });
    try {
      await m.publishAsync('sensors/temp', Buffer.from([1, 2, 3]), { qos: 1 });
      await waitFor(() => got.length === 1, 10_000, 'AMQP delivery');
      expect(got[0]!.message.body.content).toEqual(Buffer.from([1, 2, 3]));
      expect(got[0]!.message.to).toBe('topic://sensors.>');

      const mqttGot: Array<{ topic: string; payload: string }> = [];
      m.on('message', (topic, payload) => mqttGot.push({ topic, payload: payload.toString() }));
      await m.subscribeAsync('alerts/+', { qos: 1 });
      const s = await openSender(c.connection, { target: { address: 'topic://alerts.fire' } });
      await sendAndSettle(s, { body: 'from amqp' });
      await waitFor(() => mqttGot.length === 1, 10_000, 'MQTT delivery');
      expect(mqttGot[0]).toEqual({ topic: 'alerts/fire', payload: 'from amqp' });
    } finally {
      await m.endAsync();
    }
  });

  it('STOMP SEND → AMQP 1.0 receiver, and AMQP 1.0 → STOMP subscriber', async () => {
    const stomp = await stompConnect();
    try {
      const frame = stomp.send({ destination: '/queue/stomp.to.amqp', 'content-type': 'text/csv', persistent: 'true', tier: 'gold' });
      frame.write('a,b,c');
      frame.end();
      const c = await client();
      const r = await openReceiver(c.connection, { source: { address: 'queue://stomp.to.amqp' }, credit_window: 5, autoaccept: true });
      const got = collect(r);
      await waitFor(() => got.length === 1, 10_000, 'AMQP delivery');
      expect(got[0]!.message.body.content.toString()).toBe('a,b,c');
      expect(got[0]!.message).toMatchObject({ content_type: 'text/csv', durable: true, application_properties: { tier: 'gold' } });

      const stompGot: Array<{ body: string; headers: Record<string, unknown> }> = [];
      stomp.subscribe({ destination: '/queue/amqp.to.stomp', ack: 'auto' }, (err, message) => {
        if (err) return;
        message.readString('utf-8', (e, body) => {
          if (!e) stompGot.push({ body: body ?? '', headers: (message as unknown as { headers: Record<string, unknown> }).headers });
        });
      });
      const s = await openSender(c.connection, { target: { address: 'queue://amqp.to.stomp' } });
      await sendAndSettle(s, { body: 'to stomp', application_properties: { color: 'blue' }, correlation_id: 'k1' });
      await waitFor(() => stompGot.length === 1, 10_000, 'STOMP delivery');
      expect(stompGot[0]!.body).toBe('to stomp');
      expect(stompGot[0]!.headers).toMatchObject({ color: 'blue', 'correlation-id': 'k1', 'content-type': 'text/plain' });
    } finally {
      await new Promise<void>((resolve) => stomp.disconnect(() => resolve()));
    }
  });
});
