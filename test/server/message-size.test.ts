/**
 * Message size, black-box with the real clients: the default broker limit (16 MiB) lets a
 * 1 MiB and a 15 MiB message through STOMP (stompit), AMQP 1.0 (rhea) and MQTT (mqtt.js); a
 * plain 262,144-byte QoS 1 MQTT publish is delivered and PUBACKed (it used to be refused and the
 * client disconnected in a loop).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { connect as connectMqtt } from '../protocols/mqtt/helpers.js';
import rhea from 'rhea';
import stompit from 'stompit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.js';

const MiB = 1024 * 1024;
const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.cleanup();
});

export function stompConnect(port: number): Promise<stompit.Client> {
  return new Promise((resolve, reject) => {
    stompit.connect({ host: '127.0.0.1', port, connectHeaders: { host: '/', 'accept-version': '1.2' } }, (err, c) => {
      if (err) return reject(err);
      c.on('error', () => undefined);
      resolve(c);
    });
  });
}

async function throughStomp(body: Buffer, queue: string): Promise<Buffer> {
  const c = await stompConnect(server.ports.stomp!);
  try {
    const got = new Promise<Buffer>((resolve, reject) => {
      c.subscribe({ destination: `/queue/${queue}`, ack: 'auto' }, (err, message) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        message.on('data', (d: Buffer) => chunks.push(d));
        message.on('end', () => resolve(Buffer.concat(chunks)));
      });
    });
    await new Promise<void>((resolve, reject) => {
      const frame = c.send({ destination: `/queue/${queue}`, 'content-type': 'application/octet-stream', 'content-length': body.length }, { onReceipt: () => resolve(), onError: (e: Error) => reject(e) });
      frame.on('error', reject);
      frame.end(body);
    });
    return await got;
  } finally {
    c.disconnect();
  }
}

async function throughAmqp(body: Buffer, queue: string): Promise<Buffer> {
  const container = rhea.create_container();
  const conn = container.connect({ host: '127.0.0.1', port: server.ports.amqp!, reconnect: false });
  try {
    const got = new Promise<Buffer>((resolve, reject) => {
      const receiver = conn.open_receiver({ source: { address: `queue://${queue}` } });
      receiver.on('message', (ctx) => {
        ctx.delivery?.accept();
        const b = ctx.message?.body as { content?: Buffer } | Buffer;
        resolve(Buffer.isBuffer(b) ? b : Buffer.from(b.content ?? []));
      });
      receiver.on('receiver_error', () => reject(new Error(`receiver error ${JSON.stringify(receiver.error)}`)));
    });
    await new Promise<void>((resolve, reject) => {
      const sender = conn.open_sender({ target: { address: `queue://${queue}` } });
      sender.once('sendable', () => sender.send({ body: rhea.message.data_section(body), durable: true }));
      sender.on('accepted', () => resolve());
      sender.on('rejected', (ctx) => reject(new Error(`rejected: ${JSON.stringify(ctx.delivery?.remote_state)}`)));
      conn.on('connection_error', () => reject(new Error(`connection error ${JSON.stringify(conn.error)}`)));
    });
    return await got;
  } finally {
    conn.close();
  }
}

/** The MQTT test helpers' client, quiet about the errors a refused publish provokes. */
async function mqttClient(id: string): Promise<MqttClient> {
  const c = await connectMqtt(server, 'tcp', { clientId: id, clean: true });
  c.on('error', () => undefined);
  return c;
}

async function throughMqtt(body: Buffer, topic: string): Promise<{ got: Buffer; disconnects: number }> {
  const sub = await mqttClient(`${topic}-sub`);
  const pub = await mqttClient(`${topic}-pub`);
  let disconnects = 0;
  pub.on('close', () => { disconnects += 1; });
  try {
    const got = new Promise<Buffer>((resolve) => sub.on('message', (_t, payload) => resolve(Buffer.from(payload))));
    await sub.subscribeAsync(topic, { qos: 1 });
    await pub.publishAsync(topic, body, { qos: 1 }); // resolves on PUBACK
    return { got: await got, disconnects };
  } finally {
    await Promise.all([sub.endAsync(), pub.endAsync()]);
  }
}

describe('message size with the default limit (16 MiB)', () => {
  it('a plain 262,144-byte QoS 1 MQTT publish is PUBACKed and delivered, without a disconnect', async () => {
    const body = randomBytes(262_144);
    const r = await throughMqtt(body, 'size/plain256k');
    expect(r.got.length).toBe(body.length);
    expect(digest(r.got)).toBe(digest(body));
    expect(r.disconnects).toBe(0);
  });

  for (const size of [MiB, 15 * MiB]) {
    const label = `${size / MiB} MiB`;
    it(`a ${label} message through STOMP, AMQP 1.0 and MQTT arrives byte for byte`, async () => {
      const body = randomBytes(size);
      const viaStomp = await throughStomp(body, `size.stomp.${size}`);
      expect(viaStomp.length, 'STOMP').toBe(size);
      expect(digest(viaStomp), 'STOMP').toBe(digest(body));
      const viaAmqp = await throughAmqp(body, `size.amqp.${size}`);
      expect(viaAmqp.length, 'AMQP 1.0').toBe(size);
      expect(digest(viaAmqp), 'AMQP 1.0').toBe(digest(body));
      const viaMqtt = await throughMqtt(body, `size/mqtt/${size}`);
      expect(viaMqtt.got.length, 'MQTT').toBe(size);
      expect(digest(viaMqtt.got), 'MQTT').toBe(digest(body));
    }, 60_000);
  }
});
