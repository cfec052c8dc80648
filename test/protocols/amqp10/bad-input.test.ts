/**
 * AMQP 1.0 bad input: wrong protocol headers, garbage, out-of-order performatives, oversize
 * frames and messages, tiny max-frame-size, idle connections. Each gets a proper AMQP error
 * condition (or the protocol-header answer) and a close; a healthy client on the same broker
 * keeps working throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { createAmqp10Protocol } from '../../../protocols/amqp10/index.js';
import {
  AMQP_HEADER, RawClient, collect, connect, described, frame, openFrame, openReceiver, openSender, parseFrames, sendAndSettle, str8, waitFor, type Client,
} from './helpers.js';

let server: TestServer;
let healthy: Client;

beforeAll(async () => {
  server = await startTestServer({
    protocols: [createAmqp10Protocol({ idleTimeoutMs: 400 })],
    overrides: { limits: { maxMessageBytes: 4096, maxFrameBytes: 8192 } },
  });
  healthy = await connect({ port: server.ports.amqp! });
});
afterAll(async () => {
  await healthy?.close();
  await server?.cleanup();
});

async function stillHealthy(): Promise<void> {
  const address = `queue://healthy.${Math.random().toString(36).slice(2)}`;
  const s = await openSender(healthy.connection, { target: { address } });
  expect((await sendAndSettle(s, { body: 'alive' })).outcome).toBe('accepted');
  const r = await openReceiver(healthy.connection, { source: { address }, credit_window: 1, autoaccept: true });
  const got = collect(r);
  await waitFor(() => got.length === 1);
  s.close();
  r.close();
}

/** Send bytes, wait for the broker to close, and return the close frame's error. */
async function closeErrorFor(...chunks: Buffer[]): Promise<{ condition?: string; description?: string; codes: Array<number | undefined> }> {
  const raw = await RawClient.connect(server.ports.amqp!);
  for (const c of chunks) raw.write(c);
  const data = await raw.waitClosed();
  const frames = parseFrames(data);
  const close = frames.find((f) => f.code === 0x18);
  return { condition: close?.condition, description: close?.description, codes: frames.map((f) => f.code) };
}

describe('AMQP 1.0 bad input', () => {
  it('answers an AMQP 0-9-1 header (and any other protocol) with the AMQP 1.0 header and closes', async () => {
    for (const header of ['AMQP\x00\x00\x09\x01', 'HTTP/1.1']) {
      const raw = await RawClient.connect(server.ports.amqp!);
      raw.write(Buffer.from(header, 'latin1'));
      expect((await raw.waitClosed()).toString('latin1')).toBe('AMQP\x00\x01\x00\x00');
    }
    await stillHealthy();
  });

  it('closes with amqp:connection:framing-error on garbage after a valid header', async () => {
    const r = await closeErrorFor(AMQP_HEADER, Buffer.from('GARBAGE GARBAGE GARBAGE', 'latin1'));
    expect(r.codes).toEqual([0x10, 0x18]); // our open (the client never got one), then close
    expect(r.condition).toBe('amqp:connection:framing-error');
    await stillHealthy();
  });

  it('closes with amqp:decode-error on an undecodable performative', async () => {
    const bad = Buffer.from([0, 0, 0, 12, 2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    const r = await closeErrorFor(AMQP_HEADER, openFrame('bad-client'), bad);
    expect(r.condition).toBe('amqp:decode-error');
    await stillHealthy();
  });

  it('closes with amqp:not-allowed on a performative out of order (attach before begin)', async () => {
    const attach = frame(described(0x12, [str8('link'), Buffer.from([0x43]), Buffer.from([0x42])]));
    const r = await closeErrorFor(AMQP_HEADER, openFrame('bad-client'), attach);
    expect(r.condition).toBe('amqp:not-allowed');
    expect(r.description).toContain('attach');
    await stillHealthy();
  });

  it('closes with amqp:connection:framing-error on a frame over the max frame size, without reading it', async () => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(50_000_000, 0);
    head[4] = 2;
    const r = await closeErrorFor(AMQP_HEADER, openFrame('bad-client'), head);
    expect(r.condition).toBe('amqp:connection:framing-error');
    expect(r.description).toContain('8192');
    await stillHealthy();
  });

  it('closes with amqp:frame-size-too-small when the client announces a max-frame-size below 512', async () => {
    const r = await closeErrorFor(AMQP_HEADER, openFrame('tiny-frames', 100));
    expect(r.condition).toBe('amqp:frame-size-too-small');
  });

  it('closes an idle connection with amqp:resource-limit-exceeded', async () => {
    const started = Date.now();
    const r = await closeErrorFor(AMQP_HEADER, openFrame('idle-client'));
    expect(r.condition).toBe('amqp:resource-limit-exceeded');
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    await stillHealthy();
  });

  it('rejects bodies over the limit (also when sent in several frames) and closes on messages over max-message-size', async () => {
    const c = await connect({ port: server.ports.amqp! });
    const s = await openSender(c.connection, { target: { address: 'queue://sizes' } });
    expect(s.max_message_size).toBe(4096 + 65_536);
    expect((await sendAndSettle(s, { body: 'y'.repeat(3000) })).outcome).toBe('accepted');
    const tooBig = await sendAndSettle(s, { body: 'z'.repeat(30_000) }); // 4 frames of at most 8 KiB
    expect(tooBig.outcome).toBe('rejected');
    expect((tooBig.error as { condition: string }).condition).toBe('amqp:link:message-size-exceeded');
    expect((await sendAndSettle(s, { body: 'after' })).outcome).toBe('accepted');
    const closed = new Promise<{ condition?: string }>((resolve) => {
      c.connection.once('connection_error', () => resolve(c.connection.error as { condition?: string }));
    });
    s.send({ body: 'w'.repeat(200_000) });
    expect((await closed).condition).toBe('amqp:link:message-size-exceeded');
    await stillHealthy();
  });
});
