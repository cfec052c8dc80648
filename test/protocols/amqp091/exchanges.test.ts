/**
 * Exchanges and bindings with amqplib over the core exchanges: routing per exchange type,
 * declare (passive 404, inequivalent 406, reserved amq.* 403, unknown type 503), delete
 * if-unused, exchange-to-exchange bindings, alternate exchange, mandatory returns through an
 * exchange, and amq.topic as the core topic space (MQTT and STOMP on the other side).
 */
import type amqp from 'amqplib';
import mqtt from 'mqtt';
import stompit from 'stompit';
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

/** Bodies that reached each queue, after publishing `sends` (key, headers) to `exchange`. */
async function route(ch: amqp.Channel, exchange: string, queues: Record<string, Array<[string, Record<string, unknown>?]>>, sends: Array<[string, string, Record<string, unknown>?]>): Promise<Record<string, string[]>> {
  const names: Record<string, string> = {};
  for (const [q, binds] of Object.entries(queues)) {
    names[q] = uniqueName(q);
    await ch.assertQueue(names[q], { exclusive: true });
    for (const [key, args] of binds) await ch.bindQueue(names[q], exchange, key, args);
  }
  for (const [body, key, headers] of sends) ch.publish(exchange, key, Buffer.from(body), headers ? { headers } : {});
  // A marker through the default exchange per queue: when it arrives, everything before it has.
  const got: Record<string, string[]> = {};
  for (const [q, name] of Object.entries(names)) {
    ch.sendToQueue(name, Buffer.from('.end'));
    got[q] = [];
    for (;;) {
      const m = await ch.get(name, { noAck: true });
      if (!m) { await new Promise((r) => setTimeout(r, 5)); continue; }
      const body = m.content.toString();
      if (body === '.end') break;
      got[q]!.push(body);
    }
  }
  return got;
}

describe('exchanges', () => {
  it('direct: exact routing keys', async () => {
    const ch = await channel();
    const x = uniqueName('direct');
    await ch.assertExchange(x, 'direct', { durable: false });
    const got = await route(ch, x, { a: [['red']], b: [['red'], ['blue']] }, [['1', 'red'], ['2', 'blue'], ['3', 'green']]);
    expect(got).toEqual({ a: ['1'], b: ['1', '2'] });
    await ch.close();
  });

  it('fanout: every bound queue, once', async () => {
    const ch = await channel();
    const x = uniqueName('fanout');
    await ch.assertExchange(x, 'fanout', { durable: false });
    const got = await route(ch, x, { a: [['']], b: [['x'], ['y']] }, [['1', 'any']]);
    expect(got).toEqual({ a: ['1'], b: ['1'] });
    await ch.close();
  });

  it('topic: * is one word, # zero or more', async () => {
    const ch = await channel();
    const x = uniqueName('topic');
    await ch.assertExchange(x, 'topic', { durable: false });
    const got = await route(ch, x, { star: [['a.*']], hash: [['a.#']], mid: [['*.b.#']] },
      [['1', 'a'], ['2', 'a.b'], ['3', 'a.b.c'], ['4', 'x.b']]);
    expect(got).toEqual({ star: ['2'], hash: ['1', '2', '3'], mid: ['2', '3', '4'] });
    await ch.close();
  });

  it('headers: x-match all and any', async () => {
    const ch = await channel();
    const x = uniqueName('headers');
    await ch.assertExchange(x, 'headers', { durable: false });
    const got = await route(ch, x, {
      all: [['', { 'x-match': 'all', kind: 'order', region: 'eu' }]],
      any: [['', { 'x-match': 'any', kind: 'order', region: 'eu' }]],
    }, [['1', '', { kind: 'order', region: 'eu' }], ['2', '', { kind: 'order' }], ['3', '', { region: 'us' }]]);
    expect(got).toEqual({ all: ['1'], any: ['1', '2'] });
    await ch.close();
  });

  it('exchange-to-exchange bindings and the alternate exchange', async () => {
    const ch = await channel();
    const front = uniqueName('front');
    const back = uniqueName('back');
    const ae = uniqueName('ae');
    await ch.assertExchange(ae, 'fanout', { durable: false });
    await ch.assertExchange(back, 'direct', { durable: false });
    await ch.assertExchange(front, 'direct', { durable: false, alternateExchange: ae });
    await ch.bindExchange(back, front, 'k');
    const qBack = uniqueName('qback');
    const qAe = uniqueName('qae');
    await ch.assertQueue(qBack, { exclusive: true });
    await ch.assertQueue(qAe, { exclusive: true });
    await ch.bindQueue(qBack, back, 'k');
    await ch.bindQueue(qAe, ae, '');
    ch.publish(front, 'k', Buffer.from('via-e2e'));
    ch.publish(front, 'other', Buffer.from('via-ae'));
    await waitFor(async () => (await ch.checkQueue(qBack)).messageCount === 1 && (await ch.checkQueue(qAe)).messageCount === 1);
    expect((await ch.get(qBack, { noAck: true }) as amqp.GetMessage).content.toString()).toBe('via-e2e');
    const viaAe = await ch.get(qAe, { noAck: true }) as amqp.GetMessage;
    expect(viaAe.content.toString()).toBe('via-ae');
    expect(viaAe.fields).toMatchObject({ exchange: front, routingKey: 'other' });
    await ch.unbindExchange(back, front, 'k');
    await ch.close();
  });

  it('declare: passive 404, inequivalent 406, reserved amq.* 403, unknown type 503', async () => {
    const ch = await channel();
    const x = uniqueName('decl');
    await expect(ch.checkExchange(x)).rejects.toThrow(`404 (NOT-FOUND) with message "NOT_FOUND - no exchange '${x}' in vhost '/'"`);
    const ch2 = await channel();
    await ch2.assertExchange(x, 'direct', { durable: false });
    await ch2.assertExchange(x, 'direct', { durable: false });
    await ch2.checkExchange('amq.topic');
    await expect(ch2.assertExchange(x, 'fanout', { durable: false })).rejects.toThrow(/406 \(PRECONDITION-FAILED\)/);
    const ch3 = await channel();
    await expect(ch3.assertExchange('amq.mine', 'direct')).rejects.toThrow(/403 \(ACCESS-REFUSED\)/);
    const c = await connect(server);
    const connectionError = new Promise<Error>((resolve) => c.once('error', resolve));
    const ch4 = await c.createChannel();
    ch4.on('error', () => undefined);
    await expect(ch4.assertExchange(uniqueName('bad'), 'nonsense')).rejects.toThrow();
    expect((await connectionError).message).toMatch(/503 \(COMMAND-INVALID\).*unknown exchange type 'nonsense'/);
  });

  it('delete: if-unused refuses while bound; delete-ok for a missing exchange', async () => {
    const ch = await channel();
    const x = uniqueName('del');
    await ch.assertExchange(x, 'fanout', { durable: false });
    const q = uniqueName('delq');
    await ch.assertQueue(q, { exclusive: true });
    await ch.bindQueue(q, x, '');
    await expect(ch.deleteExchange(x, { ifUnused: true })).rejects.toThrow(/406/);
    const ch2 = await channel();
    await ch2.unbindQueue(q, x, '');
    await ch2.deleteExchange(x, { ifUnused: true });
    await ch2.deleteExchange(x);
    await ch2.close();
  });

  it('publishing to a missing exchange is 404; mandatory and unroutable through an exchange is returned', async () => {
    const ch = await channel();
    const closed = new Promise<Error>((resolve) => ch.once('error', resolve));
    ch.publish(uniqueName('none'), 'k', Buffer.from('x'));
    expect((await closed).message).toMatch(/404 \(NOT-FOUND\).*no exchange/);
    const ch2 = await channel();
    const x = uniqueName('empty');
    await ch2.assertExchange(x, 'direct', { durable: false });
    const returned = new Promise<amqp.Message>((resolve) => ch2.once('return', resolve));
    ch2.publish(x, 'nobody', Buffer.from('back'), { mandatory: true });
    expect((await returned).fields).toMatchObject({ replyCode: 312, exchange: x, routingKey: 'nobody' });
    await ch2.close();
  });

  it('confirms through an exchange: acked after the copies were accepted', async () => {
    const ch = await conn.createConfirmChannel();
    const x = uniqueName('cx');
    await ch.assertExchange(x, 'fanout', { durable: true });
    const q1 = uniqueName('c1');
    const q2 = uniqueName('c2');
    for (const q of [q1, q2]) {
      await ch.assertQueue(q, { durable: true });
      await ch.bindQueue(q, x, '');
    }
    for (let i = 0; i < 50; i += 1) ch.publish(x, '', Buffer.from(String(i)), { persistent: true });
    await ch.waitForConfirms();
    expect((await ch.checkQueue(q1)).messageCount).toBe(50);
    expect((await ch.checkQueue(q2)).messageCount).toBe(50);
    await ch.close();
  });
});

describe('amq.topic is the core topic space', () => {
  it('MQTT publish to sensors/t1 reaches a queue bound to amq.topic with sensors.*', async () => {
    const ch = await channel();
    const q = uniqueName('sensors');
    await ch.assertQueue(q, { exclusive: true });
    await ch.bindQueue(q, 'amq.topic', 'sensors.*');
    const got: amqp.ConsumeMessage[] = [];
    await ch.consume(q, (m) => { if (m) got.push(m); }, { noAck: true });
    const client = mqtt.connect(`mqtt://127.0.0.1:${server.ports.mqtt}`);
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    await new Promise<void>((resolve, reject) => client.publish('sensors/t1', '21.5', { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    await waitFor(() => got.length === 1);
    expect(got[0]!.content.toString()).toBe('21.5');
    expect(got[0]!.fields).toMatchObject({ exchange: 'amq.topic', routingKey: 'sensors.t1' });
    await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
    await ch.close();
  });

  it('amqplib publish to amq.topic reaches STOMP /topic subscribers', async () => {
    const stomp = await new Promise<stompit.Client>((resolve, reject) => {
      stompit.connect({ host: '127.0.0.1', port: server.ports.stomp!, connectHeaders: { host: '/', 'accept-version': '1.2' } }, (err, c) => (err ? reject(err) : resolve(c)));
    });
    stomp.on('error', () => undefined);
    const bodies: string[] = [];
    const topicName = uniqueName('alerts').replace(/-/g, '');
    await new Promise<void>((resolve) => {
      stomp.subscribe({ destination: `/topic/${topicName}.fire`, ack: 'auto' }, (err, msg) => {
        if (!err) msg.readString('utf8', (e, b) => { if (!e) bodies.push(b ?? ''); });
      });
      setTimeout(resolve, 200);
    });
    const ch = await channel();
    const returned: string[] = [];
    ch.on('return', (m: amqp.Message) => returned.push(m.content.toString()));
    ch.publish('amq.topic', `${topicName}.fire`, Buffer.from('hot'), { mandatory: true });
    await new Promise((r) => setTimeout(r, 300));
    expect(returned).toEqual([]);
    await waitFor(() => bodies.length === 1);
    expect(bodies).toEqual(['hot']);
    stomp.disconnect();
    await ch.close();
  });
});
