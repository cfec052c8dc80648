/**
 * AMQP 1.0 streams: replay from first / an offset / a timestamp / last, follow with next,
 * credit honoured by pausing the reader, offsets in the x-stream-offset annotation.
 */
import rhea from 'rhea';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { amqp10Protocol } from '../../../protocols/amqp10/index.js';
import { collect, connect, linkError, openReceiver, openSender, sendAndSettle, waitFor, type Client } from './helpers.js';

let server: TestServer;
const clients: Client[] = [];
let offsets: number[] = [];
let midTimestamp = 0;

async function client(): Promise<Client> {
  const c = await connect({ port: server.ports.amqp! });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  server = await startTestServer({ protocols: [amqp10Protocol] });
  const c = await connect({ port: server.ports.amqp! });
  const s = await openSender(c.connection, { target: { address: 'stream://events' } });
  for (let i = 0; i < 3; i++) expect((await sendAndSettle(s, { body: `e${i}`, durable: true })).outcome).toBe('accepted');
  await new Promise((r) => setTimeout(r, 20));
  midTimestamp = Date.now();
  await new Promise((r) => setTimeout(r, 20));
  for (let i = 3; i < 6; i++) await sendAndSettle(s, { body: `e${i}`, durable: true });
  const r = await openReceiver(c.connection, { source: { address: 'stream://events', filter: { 'x-stream-offset': 'first' } }, credit_window: 100 });
  const got = collect(r);
  await waitFor(() => got.length === 6);
  offsets = got.map((g) => g.message.message_annotations!['x-stream-offset'] as number);
  await c.close();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await server?.cleanup();
});

async function read(filter: Record<string, unknown> | undefined, n: number, credit = 100): Promise<string[]> {
  const c = await client();
  const r = await openReceiver(c.connection, { source: { address: 'stream://events', ...(filter ? { filter } : {}) }, credit_window: credit });
  const got = collect(r);
  await waitFor(() => got.length >= n, 5000, `${n} records`);
  return got.map((g) => g.message.body as string);
}

describe('AMQP 1.0 streams', () => {
  it('numbers records with increasing offsets', () => {
    expect(offsets).toHaveLength(6);
    expect([...offsets].sort((a, b) => a - b)).toEqual(offsets);
  });

  it('replays from first, from an offset (both filter spellings) and from a timestamp', async () => {
    expect(await read({ 'x-stream-offset': 'first' }, 6)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5']);
    expect(await read({ 'rabbitmq:stream-offset-spec': rhea.types.wrap_described(offsets[2], 'rabbitmq:stream-offset-spec') }, 4)).toEqual(['e2', 'e3', 'e4', 'e5']);
    expect(await read({ 'x-stream-offset': `offset=${offsets[4]}` }, 2)).toEqual(['e4', 'e5']);
    expect(await read({ 'rabbitmq:stream-offset-spec': new Date(midTimestamp) }, 3)).toEqual(['e3', 'e4', 'e5']);
    expect(await read({ 'x-stream-offset': 'last' }, 1)).toEqual(['e5']);
  });

  it('next follows only new records; credit pauses the reader without losing records', async () => {
    const c = await client();
    const r = await openReceiver(c.connection, { source: { address: 'stream://events', filter: { 'x-stream-offset': 'next' } } });
    const got = collect(r);
    const s = await openSender(c.connection, { target: { address: 'stream://events' } });
    for (let i = 6; i < 10; i++) await sendAndSettle(s, { body: `e${i}`, durable: true });
    r.add_credit(2);
    await waitFor(() => got.length === 2);
    await new Promise((res) => setTimeout(res, 50));
    expect(got.map((g) => g.message.body)).toEqual(['e6', 'e7']);
    r.add_credit(5);
    await waitFor(() => got.length === 4);
    expect(got.map((g) => g.message.body)).toEqual(['e6', 'e7', 'e8', 'e9']);
  });

  it('refuses an unusable offset filter with amqp:invalid-field', async () => {
    const c = await client();
    const err = await openReceiver(c.connection, { source: { address: 'stream://events', filter: { 'x-stream-offset': 'yesterday' } } }).then(() => undefined, (e: unknown) => e);
    expect(linkError(err)?.condition).toBe('amqp:invalid-field');
  });
});
