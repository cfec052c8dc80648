/**
 * The same scenarios over every transport: TCP, TLS (self-signed sha256 certificate, verified),
 * WebSocket and secure WebSocket (subprotocol `amqp`): exact credit, outcomes, pre-settled
 * delivery, request/reply with a dynamic queue, stream replay from an offset, large messages.
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
import { adminApi, collect, connect, openReceiver, openSender, sendAndSettle, waitFor, type Client } from './helpers.js';

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

/** The clients announce 16 KiB frames, so large messages are split by the broker. */
const FRAME = 16_384;

function wsConnect(url: string, options: Record<string, unknown> = {}): Promise<Client> {
  const ws = rhea.websocket_connect(WebSocket as never);
  return connect({ connection_details: ws(url, ['amqp'], options), reconnect: false, max_frame_size: FRAME } as never);
}

const transports: Array<[string, () => Promise<Client>]> = [
  ['tcp', () => connect({ port: server.ports.amqp!, max_frame_size: FRAME } as never)],
  ['tls', () => connect({ port: server.ports.amqps!, transport: 'tls', ca: certPem, servername: 'localhost', username: 'u', password: 'p', max_frame_size: FRAME } as never)],
  ['ws', () => wsConnect(`ws://127.0.0.1:${server.ports.ws!}`)],
  ['wss', () => wsConnect(`wss://127.0.0.1:${server.ports.wss!}`, { ca: certPem, servername: 'localhost' })],
];

describe.each(transports)('AMQP 1.0 over %s', (name, open) => {
  async function client(): Promise<Client> {
    const c = await open();
    clients.push(c);
    return c;
  }

  it('delivers exactly the granted credit, and large messages intact', async () => {
    const c = await client();
    const q = `queue://${name}.credit`;
    const s = await openSender(c.connection, { target: { address: q } });
    for (let i = 0; i < 5; i++) expect((await sendAndSettle(s, { body: `m${i}`, durable: true })).outcome).toBe('accepted');
    const r = await openReceiver(c.connection, { source: { address: q } });
    const got = collect(r);
    r.add_credit(3);
    await waitFor(() => got.length === 3);
    await waitFor(async () => (await adminApi(server.ports.admin!, 'GET', `/api/queues/${name}.credit`)).json.stats.inFlight === 3);
    expect((await adminApi(server.ports.admin!, 'GET', `/api/queues/${name}.credit`)).json.stats.visible).toBe(2);
    expect(got).toHaveLength(3);
    for (const g of got) g.delivery.accept();
    const big = 'x'.repeat(200_000);
    expect((await sendAndSettle(s, { body: big })).outcome).toBe('accepted');
    r.add_credit(3);
    await waitFor(() => got.length === 6);
    expect(got.map((g) => (g.message.body as string).slice(0, 2))).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'xx']);
    expect(got[5]!.message.body).toBe(big);
  });

  it('maps release, modify and reject; pre-settled receivers get settled transfers', async () => {
    const c = await client();
    const q = `queue://${name}.outcomes`;
    const s = await openSender(c.connection, { target: { address: q } });
    await sendAndSettle(s, { body: 'o', durable: true });
    const r = await openReceiver(c.connection, { source: { address: q } });
    const got = collect(r);
    r.add_credit(1);
    await waitFor(() => got.length === 1);
    got[0]!.delivery.release();
    r.add_credit(1);
    await waitFor(() => got.length === 2);
    expect(got[1]!.message.delivery_count ?? 0).toBe(0);
    got[1]!.delivery.modified({ delivery_failed: true });
    r.add_credit(1);
    await waitFor(() => got.length === 3);
    expect(got[2]!.message.delivery_count).toBe(1);
    got[2]!.delivery.reject();
    await waitFor(async () => (await adminApi(server.ports.admin!, 'GET', `/api/queues/${name}.outcomes`)).json.stats.inFlight === 0);
    expect((await adminApi(server.ports.admin!, 'GET', `/api/queues/${name}.outcomes`)).json.stats.visible).toBe(0);

    await sendAndSettle(s, { body: 'pre' });
    const p = await openReceiver(c.connection, { source: { address: q }, snd_settle_mode: 1, credit_window: 5 } as never);
    const pgot = collect(p);
    await waitFor(() => pgot.length === 1);
    expect(pgot[0]!.delivery.remote_settled).toBe(true);
  });

  it('request/reply through a dynamic reply queue', async () => {
    const c = await client();
    const replies = await openReceiver(c.connection, { source: { dynamic: true } as never, credit_window: 5, autoaccept: true });
    const got = collect(replies);
    const requests = await openReceiver(c.connection, { source: { address: `queue://${name}.rpc` }, credit_window: 5, autoaccept: true });
    const relay = await openSender(c.connection, { target: {} } as never);
    requests.on('message', (ctx) => relay.send({ to: ctx.message!.reply_to, correlation_id: ctx.message!.message_id, body: 'pong' }));
    const s = await openSender(c.connection, { target: { address: `queue://${name}.rpc` } });
    await sendAndSettle(s, { body: 'ping', message_id: 'q1', reply_to: replies.source.address });
    await waitFor(() => got.length === 1);
    expect(got[0]!.message).toMatchObject({ body: 'pong', correlation_id: 'q1' });
  });

  it('replays a stream from an offset', async () => {
    const c = await client();
    const address = `stream://${name}.events`;
    const s = await openSender(c.connection, { target: { address } });
    for (let i = 0; i < 4; i++) await sendAndSettle(s, { body: `e${i}`, durable: true });
    const all = collect(await openReceiver(c.connection, { source: { address, filter: { 'x-stream-offset': 'first' } }, credit_window: 10 }));
    await waitFor(() => all.length === 4);
    const third = all[2]!.message.message_annotations!['x-stream-offset'] as number;
    const from = collect(await openReceiver(c.connection, { source: { address, filter: { 'x-stream-offset': third } }, credit_window: 10 }));
    await waitFor(() => from.length === 2);
    expect(from.map((g) => g.message.body)).toEqual(['e2', 'e3']);
  });
});

describe('AMQP 1.0 WebSocket header check', () => {
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
