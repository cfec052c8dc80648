/**
 * AMQP 0-9-1 over WebSocket (subprotocol `amqp091`) on the shared WebSocket port: the same
 * handshake and a publish/get round trip; a wrong header gets the 0-9-1 header back. And amqplib
 * over TLS on the AMQP TLS port (amqps, shared with AMQP 1.0 by header).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import selfsigned from 'selfsigned';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameParser } from '../../../protocols/amqp091/codec/frame-parser.js';
import { contentFrames, methodFrame } from '../../../protocols/amqp091/codec/frame-writer.js';
import { decodeMethod } from '../../../protocols/amqp091/codec/method-codec.js';
import { PROTOCOL_HEADER } from '../../../protocols/amqp091/spec/constants.js';
import { methodByName } from '../../../protocols/amqp091/spec/method-table.js';
import type { TestServer } from '../../support/test-server.js';
import { startBroker, uniqueName, waitFor } from './helpers.js';

let server: TestServer;
let certDir: string;
let certPem: string;
beforeAll(async () => {
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  });
  certDir = mkdtempSync(join(tmpdir(), 'interchange-amqp091-tls-'));
  certPem = pems.cert;
  writeFileSync(join(certDir, 'cert.pem'), pems.cert);
  writeFileSync(join(certDir, 'key.pem'), pems.private);
  server = await startBroker({ overrides: { tls: { cert: join(certDir, 'cert.pem'), key: join(certDir, 'key.pem') } } });
});
afterAll(async () => {
  await server.cleanup();
  rmSync(certDir, { recursive: true, force: true });
});

function open(subprotocol: string): Promise<{ ws: WebSocket; data: () => Buffer; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.ports.ws!}`, [subprotocol]);
    const chunks: Buffer[] = [];
    const closed = new Promise<void>((r) => ws.once('close', () => r()));
    ws.on('message', (d: Buffer) => chunks.push(Buffer.from(d)));
    ws.once('open', () => resolve({ ws, data: () => Buffer.concat(chunks), closed }));
    ws.once('error', reject);
  });
}

const names = (b: Buffer) => new FrameParser(0).push(b).filter((f) => f.type === 1).map((f) => decodeMethod(f.payload).def.name);

describe('AMQP 0-9-1 over WebSocket', () => {
  it('handshakes, publishes and gets on the amqp091 subprotocol', async () => {
    const { ws, data } = await open('amqp091');
    expect(ws.protocol).toBe('amqp091');
    ws.send(PROTOCOL_HEADER);
    await waitFor(() => names(data()).includes('connection.start'));
    ws.send(methodFrame(0, methodByName('connection.start-ok'), { clientProperties: {}, mechanism: 'PLAIN', response: Buffer.from('\0guest\0guest'), locale: 'en_US' }));
    await waitFor(() => names(data()).includes('connection.tune'));
    const q = uniqueName('ws');
    ws.send(Buffer.concat([
      methodFrame(0, methodByName('connection.tune-ok'), { channelMax: 0, frameMax: 0, heartbeat: 0 }),
      methodFrame(0, methodByName('connection.open'), { virtualHost: '/' }),
      methodFrame(1, methodByName('channel.open')),
      methodFrame(1, methodByName('queue.declare'), { queue: q }),
      ...contentFrames(1, methodByName('basic.publish'), { routingKey: q }, { contentType: 'text/plain' }, Buffer.from('over ws'), 4096),
    ]));
    await waitFor(() => names(data()).includes('queue.declare-ok'));
    await waitFor(() => (server.server.broker.getQueue(q)?.stats().visible ?? 0) === 1);
    ws.send(methodFrame(1, methodByName('basic.get'), { queue: q, noAck: true }));
    await waitFor(() => names(data()).includes('basic.get-ok'));
    expect(data().includes(Buffer.from('over ws'))).toBe(true);
    ws.close();
  });

  it('amqplib over TLS on the amqps port', async () => {
    const c = await amqp.connect(`amqps://localhost:${server.ports.amqps!}?heartbeat=0`, { ca: [certPem] });
    const ch = await c.createChannel();
    const q = uniqueName('tls');
    await ch.assertQueue(q);
    ch.sendToQueue(q, Buffer.from('secure'));
    await waitFor(async () => (await ch.checkQueue(q)).messageCount === 1);
    const m = await ch.get(q, { noAck: true });
    expect(m && m.content.toString()).toBe('secure');
    await c.close();
  });

  it('answers a wrong protocol header with the 0-9-1 header and closes', async () => {
    const { ws, data, closed } = await open('amqp091');
    ws.send(Buffer.from('AMQP\x00\x01\x00\x00', 'latin1'));
    await closed;
    expect(data().subarray(0, 8)).toEqual(PROTOCOL_HEADER);
  });
});
