/**
 * AMQP 0-9-1 ↔ STOMP and AMQP 1.0 through the core: amqplib publishes to the default exchange
 * with key `orders` reach STOMP `/queue/orders` and AMQP 1.0 `queue://orders` consumers, and the
 * reverse.
 */
import type amqp from 'amqplib';
import stompit from 'stompit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../support/test-server.js';
import { collect, connect as rheaConnect, openReceiver, openSender, sendAndSettle, type Client } from '../amqp10/helpers.js';
import { connect, startBroker, uniqueName, waitFor } from './helpers.js';

let server: TestServer;
let conn: amqp.ChannelModel;
let amqp10: Client;

function stompConnect(): Promise<stompit.Client> {
  return new Promise((resolve, reject) => {
    stompit.connect({ host: '127.0.0.1', port: server.ports.stomp!, connectHeaders: { host: '/', 'accept-version': '1.2' } }, (err, c) => {
      if (err) return reject(err);
      c.on('error', () => undefined);
      resolve(c);
    });
  });
}

beforeAll(async () => {
  server = await startBroker();
  conn = await connect(server);
  amqp10 = await rheaConnect({ port: server.ports.amqp! });
});
afterAll(async () => {
  await amqp10.close();
  await conn.close();
  await server.cleanup();
});

describe('AMQP 0-9-1 cross-protocol', () => {
  it('amqplib → STOMP /queue/NAME with properties and headers', async () => {
    const q = uniqueName('orders');
    const ch = await conn.createChannel();
    await ch.assertQueue(q);
    const stomp = await stompConnect();
    const got: Array<{ headers: Record<string, string>; body: string }> = [];
    stomp.subscribe({ destination: `/queue/${q}`, ack: 'auto' }, (err, msg) => {
      if (err) return;
      const headers = (msg as unknown as { headers: Record<string, string> }).headers;
      msg.readString('utf8', (e, body) => { if (!e) got.push({ headers, body: body ?? '' }); });
    });
    ch.sendToQueue(q, Buffer.from('order-1'), { persistent: true, contentType: 'text/plain', correlationId: 'c-1', messageId: 'm-1', headers: { region: 'eu' } });
    await waitFor(() => got.length === 1);
    expect(got[0]!.body).toBe('order-1');
    expect(got[0]!.headers).toMatchObject({ 'content-type': 'text/plain', 'correlation-id': 'c-1', region: 'eu', persistent: 'true' });
    stomp.disconnect();
    await ch.close();
  });

  it('amqplib → AMQP 1.0 queue://NAME', async () => {
    const q = uniqueName('orders');
    const ch = await conn.createChannel();
    await ch.assertQueue(q);
    const r = await openReceiver(amqp10.connection, { source: { address: `queue://${q}` }, credit_window: 5, autoaccept: true });
    const got = collect(r);
    ch.sendToQueue(q, Buffer.from('{"id":2}'), { contentType: 'application/json', messageId: 'o-2', priority: 8, headers: { qty: 3 } });
    await waitFor(() => got.length === 1);
    const m = got[0]!.message;
    expect(Buffer.from(m.body.content ?? m.body).toString()).toBe('{"id":2}');
    expect(m).toMatchObject({ content_type: 'application/json', message_id: 'o-2', priority: 8 });
    expect(Number(m.application_properties?.qty)).toBe(3);
    r.close();
    await ch.close();
  });

  it('STOMP SEND and AMQP 1.0 → amqplib consumer', async () => {
    const q = uniqueName('orders');
    const ch = await conn.createChannel();
    await ch.assertQueue(q);
    const got: amqp.ConsumeMessage[] = [];
    await ch.consume(q, (m) => { if (m) { got.push(m); ch.ack(m); } });
    const stomp = await stompConnect();
    const frame = stomp.send({ destination: `/queue/${q}`, 'content-type': 'text/plain', region: 'us', persistent: 'true' });
    frame.end('from-stomp');
    const s = await openSender(amqp10.connection, { target: { address: `queue://${q}` } });
    await sendAndSettle(s, { body: 'from-amqp10', message_id: 'x-1', application_properties: { n: 7 } });
    await waitFor(() => got.length === 2);
    const byBody = Object.fromEntries(got.map((m) => [m.content.toString(), m]));
    expect(byBody['from-stomp']!.properties).toMatchObject({ contentType: 'text/plain', deliveryMode: 2 });
    expect(byBody['from-stomp']!.properties.headers).toMatchObject({ region: 'us' });
    expect(byBody['from-stomp']!.fields).toMatchObject({ exchange: '', routingKey: q, redelivered: false });
    expect(byBody['from-amqp10']!.properties.messageId).toBe('x-1');
    expect(byBody['from-amqp10']!.properties.headers).toMatchObject({ n: 7 });
    stomp.disconnect();
    s.close();
    await ch.close();
  });
});
