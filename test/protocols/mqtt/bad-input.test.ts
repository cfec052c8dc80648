/**
 * Bad input and limits: each offending client is disconnected and the reason logged, while a
 * bystander keeps publishing and receiving throughout; slow subscribers do not stall others.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { TestServer } from '../../support/test-server.js';
import {
  closeAllClients, collect, connect, LogCapture, RawClient, startMqttServer, waitFor, type Received, type Transport,
} from './helpers.js';

const MAX_PACKET = 4096;
const MAX_LEVELS = 16;

let server: TestServer;
const capture = new LogCapture();
let bystander: MqttClient;
let seen: Received[];
let ticker: NodeJS.Timeout;
let sent = 0;

beforeAll(async () => {
  server = await startMqttServer({ tls: true, capture, options: { maxPacketBytes: MAX_PACKET, maxTopicLevels: MAX_LEVELS } });
  bystander = await connect(server, 'tcp', { clientId: 'bystander' });
  seen = collect(bystander);
  await bystander.subscribeAsync('bystander/#', { qos: 1 });
  ticker = setInterval(() => {
    sent += 1;
    bystander.publish('bystander/tick', String(sent), { qos: 1 });
  }, 5);
});

afterAll(async () => {
  clearInterval(ticker);
  await closeAllClients();
  await server.cleanup();
});

/** A PUBLISH (QoS 0) built by hand, so invalid topics can be sent. */
function rawPublish(topic: string, payload: Buffer): Buffer {
  const t = Buffer.from(topic, 'utf8');
  const body = Buffer.concat([Buffer.from([t.length >> 8, t.length & 0xff]), t, payload]);
  const len: number[] = [];
  let n = body.length;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    len.push(b);
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x30, ...len]), body]);
}

/** The bystander still gets fresh messages. */
async function bystanderAlive(): Promise<void> {
  const before = seen.length;
  await waitFor(() => seen.length >= before + 3, 'bystander traffic');
  expect(bystander.connected).toBe(true);
}

function logged(clientId: string | undefined, pattern: RegExp): boolean {
  return capture.has((l) => (clientId === undefined || l.clientId === clientId) && pattern.test(String(l.err ?? '')) && /MQTT client error/.test(String(l.msg)));
}

describe.each(['tcp', 'tls', 'ws'] as Transport[])('over %s', (t) => {
  it('garbage bytes instead of CONNECT', async () => {
    const raw = await RawClient.open(server, t);
    raw.conn.write(Buffer.from([0x00, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03]));
    await raw.waitClosed();
    expect(capture.has((l) => /MQTT client error/.test(String(l.msg)) && l.transport === t && l.clientId === undefined)).toBe(true);
    await bystanderAlive();
  });

  it('garbage after CONNECT', async () => {
    const raw = await RawClient.open(server, t);
    await raw.connect(`garbage-${t}`);
    raw.conn.write(Buffer.from([0xf0, 0x00])); // reserved packet type 15
    await raw.waitClosed();
    await waitFor(() => capture.has((l) => l.clientId === `garbage-${t}` && /MQTT client error/.test(String(l.msg))), 'log line');
    await bystanderAlive();
  });

  it('a truncated packet', async () => {
    const raw = await RawClient.open(server, t);
    await raw.connect(`trunc-${t}`);
    const whole = rawPublish('bystander/truncated', Buffer.from('never delivered'));
    raw.conn.end(whole.subarray(0, whole.length - 5)); // half a packet, then EOF
    await raw.waitClosed();
    await bystanderAlive();
    expect(seen.some((s) => s.topic === 'bystander/truncated')).toBe(false);
  });

  it('a packet over the size limit (detected from its header, before the body arrives)', async () => {
    const raw = await RawClient.open(server, t);
    await raw.connect(`big-${t}`);
    const big = rawPublish('bystander/big', Buffer.alloc(MAX_PACKET, 0x61));
    raw.conn.write(big.subarray(0, 8)); // the fixed header already announces the size
    await raw.waitClosed();
    await waitFor(() => logged(`big-${t}`, /exceeds the maximum packet size of 4096/), 'log line');
    await bystanderAlive();
  });

  it.each([
    ['a wildcard in a PUBLISH topic', 'bystander/+/x', /\+ is not allowed/],
    ['a # in a PUBLISH topic', 'bystander/#', /# is not allowed/],
    ['an empty topic', '', /empty topic/],
    ['too many topic levels', Array.from({ length: MAX_LEVELS + 1 }, (_, i) => `l${i}`).join('/'), /too many levels/],
  ])('%s', async (_what, topic, reason) => {
    const id = `bad-topic-${t}-${Math.random().toString(36).slice(2, 8)}`;
    const raw = await RawClient.open(server, t);
    await raw.connect(id);
    raw.conn.write(rawPublish(topic, Buffer.from('x')));
    await raw.waitClosed();
    await waitFor(() => logged(id, reason), 'log line');
    await bystanderAlive();
  });
});

it('a subscription with too many levels is refused', async () => {
  const c = await connect(server, 'tcp');
  const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
  c.subscribe(Array.from({ length: MAX_LEVELS + 1 }, () => 'x').join('/'), { qos: 0 });
  await closed;
  await bystanderAlive();
});

it('a slow subscriber does not stall the others; its QoS 0 overflow is dropped and counted', async () => {
  // its own broker: a small per-client buffer, so the overflow is certain
  const server = await startMqttServer({ options: { maxBufferedBytes: 256 * 1024 } });
  const slow = await RawClient.open(server, 'tcp');
  await slow.connect('slow');
  slow.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'flood/#', qos: 0 }] });
  await slow.next((p) => p.cmd === 'suback', 'SUBACK');
  (slow.conn as unknown as { pause(): void }).pause(); // stop reading: the broker's socket buffer fills up

  const fast = await connect(server, 'tcp');
  const got = collect(fast);
  await fast.subscribeAsync('flood/#', { qos: 0 });
  const pub = await connect(server, 'tcp');
  const n = 3000;
  const payload = Buffer.alloc(3000, 0x62);
  for (let i = 0; i < n; i++) pub.publish('flood/x', payload, { qos: 0 });
  await pub.publishAsync('flood/done', 'done', { qos: 1 });
  await waitFor(() => got.some((g) => g.topic === 'flood/done'), 'the fast subscriber to get everything', 10_000);
  expect(got.length).toBe(n + 1);
  const stats = (await fetch(`http://127.0.0.1:${server.ports.admin!}/api/topics/flood.x`).then((r) => r.json())) as { stats: { dropped: number } };
  expect(stats.stats.dropped).toBeGreaterThan(0);
  slow.destroy();
  await Promise.all([fast.endAsync(true), pub.endAsync(true)]); // (not closeAllClients: the bystander keeps ticking)
  await server.cleanup();
});
