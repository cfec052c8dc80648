/**
 * AMQP 1.0 over TLS, WebSocket and secure WebSocket (subprotocol `amqp`), with SASL PLAIN over
 * TLS: credit respected exactly on each transport.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import rhea from 'rhea';
import selfsigned from 'selfsigned';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { amqp10Protocol } from '../../../protocols/amqp10/index.js';
import { collect, connect, openReceiver, openSender, sendAndSettle, waitFor, type Client } from './helpers.js';

let server: TestServer;
let certDir: string;
let certPem: string;
const clients: Client[] = [];

beforeAll(async () => {
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  });
  certDir = mkdtempSync(join(tmpdir(), 'interchange-amqp10-tls-'));
  certPem = pems.cert;
  writeFileSync(join(certDir, 'cert.pem'), pems.cert);
  writeFileSync(join(certDir, 'key.pem'), pems.private);
  server = await startTestServer({ protocols: [amqp10Protocol], overrides: { tls: { cert: join(certDir, 'cert.pem'), key: join(certDir, 'key.pem') } } });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await server?.cleanup();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

async function exerciseCredit(c: Client, queue: string): Promise<void> {
  clients.push(c);
  const s = await openSender(c.connection, { target: { address: `queue://${queue}` } });
  for (let i = 0; i < 4; i++) expect((await sendAndSettle(s, { body: `${queue}-${i}`, durable: true })).outcome).toBe('accepted');
  const r = await openReceiver(c.connection, { source: { address: `queue://${queue}` } });
  const got = collect(r);
  r.add_credit(2);
  await waitFor(() => got.length === 2);
  await new Promise((res) => setTimeout(res, 50));
  expect(got).toHaveLength(2);
  for (const g of got) g.delivery.accept();
  r.add_credit(2);
  await waitFor(() => got.length === 4);
  expect(got.map((g) => g.message.body)).toEqual([0, 1, 2, 3].map((i) => `${queue}-${i}`));
  // A large message crosses intact (the clients announce 16 KiB frames: the broker splits it).
  const big = 'x'.repeat(200_000);
  expect((await sendAndSettle(s, { body: big })).outcome).toBe('accepted');
  r.add_credit(1);
  await waitFor(() => got.length === 5);
  expect(got[4]!.message.body).toBe(big);
}

function wsConnect(url: string, options: Record<string, unknown> = {}): Promise<Client> {
  const ws = rhea.websocket_connect(WebSocket as never);
  return connect({ connection_details: ws(url, ['amqp'], options), reconnect: false, max_frame_size: 16_384 } as never);
}

describe('AMQP 1.0 transports', () => {
  it('TLS (amqps) with a verified self-signed certificate and SASL PLAIN', async () => {
    const c = await connect({ port: server.ports.amqps!, transport: 'tls', ca: certPem, servername: 'localhost', username: 'someone', password: 'ignored-without-users', max_frame_size: 16_384 } as never);
    await exerciseCredit(c, 'tls.q');
  });

  it('WebSocket (ws, subprotocol amqp)', async () => {
    await exerciseCredit(await wsConnect(`ws://127.0.0.1:${server.ports.ws!}`), 'ws.q');
  });

  it('secure WebSocket (wss)', async () => {
    await exerciseCredit(await wsConnect(`wss://127.0.0.1:${server.ports.wss!}`, { ca: certPem, servername: 'localhost' }), 'wss.q');
  });

  it('a WebSocket client with a wrong protocol header gets the AMQP 1.0 header and a close', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.ports.ws!}`, ['amqp']);
    const received: Buffer[] = [];
    ws.on('message', (d: Buffer) => received.push(d));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const closed = new Promise((resolve) => ws.once('close', resolve));
    ws.send(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'));
    await closed;
    expect(Buffer.concat(received).toString('latin1')).toBe('AMQP\x00\x01\x00\x00');
  });
});
