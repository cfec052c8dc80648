/**
 * STOMP over TLS (stompit) and WebSocket (@stomp/stompjs, raw `ws`), and cross-protocol delivery
 * through the core: admin API → STOMP, STOMP → admin-API queue subscription, STOMP ↔ MQTT.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client as StompJsClient, type IMessage } from '@stomp/stompjs';
import mqtt from 'mqtt';
import selfsigned from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { StompParser } from '../../../protocols/stomp/frame-parser.js';
import { header, type StompFrame } from '../../../protocols/stomp/frame.js';
import { mqttProtocol } from '../../../protocols/mqtt/index.js';
import { tempDir } from '../../support/broker-process.js';
import type { TestServer } from '../../support/test-server.js';
import { adminApi, collect, disconnect, RawClient, sendWithReceipt, startStompServer, stompitConnect, waitFor } from './session-helpers.js';

let ts: TestServer;
const certDir = tempDir('interchange-stomp-tls-');

beforeAll(async () => {
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048, algorithm: 'sha256' });
  const cert = join(certDir.path, 'cert.pem');
  const key = join(certDir.path, 'key.pem');
  writeFileSync(cert, pems.cert);
  writeFileSync(key, pems.private);
  ts = await startStompServer({ overrides: { tls: { cert, key } }, extra: [mqttProtocol] });
});

afterAll(async () => {
  await ts.cleanup();
  certDir.cleanup();
});

function stompJs(url: string, subprotocol = 'v12.stomp'): Promise<StompJsClient> {
  return new Promise((resolve, reject) => {
    const client = new StompJsClient({
      webSocketFactory: () => new WebSocket(url, [subprotocol], { rejectUnauthorized: false }),
      reconnectDelay: 0,
      heartbeatIncoming: 0,
      heartbeatOutgoing: 0,
      onConnect: () => resolve(client),
      onStompError: (f) => reject(new Error(f.headers.message)),
      onWebSocketError: () => reject(new Error('websocket error')),
    });
    client.activate();
  });
}

describe('STOMP over TLS', () => {
  it('stompit sends and receives over TLS on the stomps port', async () => {
    const port = ts.ports.stomps!;
    const a = await stompitConnect(port, {}, { tls: true });
    const got = collect(a, { destination: '/queue/tls.q' });
    const b = await stompitConnect(port, {}, { tls: true });
    await sendWithReceipt(b, { destination: '/queue/tls.q', persistent: 'true' }, 'over tls');
    await waitFor(() => got.length === 1, 'tls message');
    expect(got[0]!.body.toString()).toBe('over tls');
    await disconnect(a);
    await disconnect(b);
  });
});

describe('STOMP over WebSocket', () => {
  it('@stomp/stompjs publishes and subscribes (text and binary bodies) on ws and wss', async () => {
    for (const url of [`ws://127.0.0.1:${ts.ports.ws}`, `wss://127.0.0.1:${ts.ports.wss}`]) {
      const client = await stompJs(url);
      const got: IMessage[] = [];
      client.subscribe('/queue/ws.q', (m) => got.push(m));
      const binary = new Uint8Array([0, 159, 146, 150, 0, 255]); // not valid UTF-8
      await new Promise<void>((resolve) => {
        client.watchForReceipt('pub', () => resolve());
        client.publish({ destination: '/queue/ws.q', body: 'text body', headers: { receipt: 'pub' } });
      });
      client.publish({ destination: '/queue/ws.q', binaryBody: binary });
      await waitFor(() => got.length === 2, `two messages over ${url}`);
      expect(got[0]!.body).toBe('text body');
      expect(Buffer.from(got[1]!.binaryBody).equals(Buffer.from(binary))).toBe(true);
      expect(got[1]!.headers.ack).toBeUndefined(); // ack:auto
      await client.deactivate();
    }
  });

  it('accepts partial and multiple frames per WebSocket message and sends one frame per message', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${ts.ports.ws}`, ['v11.stomp']);
    const perMessage: StompFrame[][] = [];
    ws.on('message', (data: Buffer) => {
      const frames: StompFrame[] = [];
      const p = new StompParser({ maxFrameBytes: 1 << 20, maxHeaders: 100, maxHeaderLineBytes: 8192, onFrame: (f) => frames.push(f) });
      p.push(data);
      perMessage.push(frames);
    });
    await new Promise((r) => ws.once('open', r));
    ws.send('CONNECT\naccept-ver');
    ws.send('sion:1.1\nhost:/\n\n\0');
    ws.send('SUBSCRIBE\nid:1\ndestination:/queue/ws.split\n\n\0SEND\ndestination:/queue/ws.split\n\none\0SEND\ndestination:/queue/ws.split\nreceipt:r\n\ntwo\0');
    await waitFor(() => perMessage.flat().filter((f) => f.command === 'MESSAGE').length === 2 && perMessage.flat().some((f) => f.command === 'RECEIPT'), 'frames over ws');
    expect(perMessage.every((frames) => frames.length === 1)).toBe(true);
    expect(header(perMessage[0]![0]!, 'version')).toBe('1.1');
    expect(perMessage.flat().filter((f) => f.command === 'MESSAGE').map((f) => f.body.toString())).toEqual(['one', 'two']);
    ws.close();
  });
});

describe('cross-protocol through the core', () => {
  it('an admin-API send to queue orders reaches a STOMP subscriber of /queue/orders', async () => {
    const c = await RawClient.connect(ts.ports.stomp!);
    c.frame('SUBSCRIBE', { id: 'o', destination: '/queue/orders', receipt: 'r' });
    await c.receipt('r');
    const res = await adminApi(ts.ports.admin!, 'POST', '/api/queues/orders/messages', { body: 'order #1', headers: { region: 'eu', qty: 3 } });
    expect(res.status).toBe(201);
    const m = await c.nextCommand('MESSAGE');
    expect(m.body.toString()).toBe('order #1');
    expect(header(m, 'region')).toBe('eu');
    expect(header(m, 'qty')).toBe('3');
    expect(header(m, 'message-id')).toBe(res.json.id);
    c.close();
  });

  it('a STOMP SEND to /topic/sensors.t1 reaches a queue subscribed via the admin API', async () => {
    const sub = await adminApi(ts.ports.admin!, 'POST', '/api/subscriptions', { pattern: 'sensors.*', queue: 'sensor-archive' });
    expect(sub.status).toBe(201);
    const p = await RawClient.connect(ts.ports.stomp!);
    p.frame('SEND', { destination: '/topic/sensors.t1', persistent: 'true', receipt: 's' }, '21.5');
    await p.receipt('s');
    const got = await adminApi(ts.ports.admin!, 'POST', '/api/queues/sensor-archive/receive', { max: 10 });
    expect(got.json.messages.map((m: { body: string }) => m.body)).toEqual(['21.5']);
    p.close();
  });

  it('STOMP SEND to /topic/sensors.t1 reaches an MQTT subscriber of sensors/t1, and an MQTT publish reaches /topic/sensors.>', async () => {
    const m = await mqtt.connectAsync(`mqtt://127.0.0.1:${ts.ports.mqtt}`, { reconnectPeriod: 0 });
    const mqttGot: Array<{ topic: string; payload: string }> = [];
    m.on('message', (topic, payload) => mqttGot.push({ topic, payload: payload.toString() }));
    await m.subscribeAsync('sensors/t1', { qos: 1 });
    const s = await RawClient.connect(ts.ports.stomp!);
    s.frame('SUBSCRIBE', { id: 'all', destination: '/topic/sensors.>', receipt: 'r' });
    await s.receipt('r');
    s.frame('SEND', { destination: '/topic/sensors.t1', receipt: 'x' }, 'from stomp');
    await waitFor(() => mqttGot.length === 1, 'mqtt delivery');
    expect(mqttGot[0]).toEqual({ topic: 'sensors/t1', payload: 'from stomp' });
    await m.publishAsync('sensors/t2', 'from mqtt', { qos: 1 });
    const fromMqtt = await s.next((f) => f.command === 'MESSAGE' && f.body.toString() === 'from mqtt');
    expect(header(fromMqtt, 'destination')).toBe('/topic/sensors.t2');
    await m.endAsync();
    s.close();
  });
});
