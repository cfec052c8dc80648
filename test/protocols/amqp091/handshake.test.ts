/**
 * Connection handshake with the real amqplib client: server properties and capabilities, PLAIN
 * and AMQPLAIN through the security core, refused credentials, vhosts, tune negotiation and
 * heartbeats both ways.
 */
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../src/security/password-hash.js';
import { methodFrame } from '../../../protocols/amqp091/codec/frame-writer.js';
import { FrameParser } from '../../../protocols/amqp091/codec/frame-parser.js';
import { decodeMethod } from '../../../protocols/amqp091/codec/method-codec.js';
import { PROTOCOL_HEADER } from '../../../protocols/amqp091/spec/constants.js';
import { methodByName } from '../../../protocols/amqp091/spec/method-table.js';
import type { TestServer } from '../../support/test-server.js';
import { rawConnect, startBroker, url, waitFor } from './helpers.js';

let server: TestServer;

beforeAll(async () => {
  server = await startBroker({
    amqp091: { heartbeatSeconds: 1 },
    overrides: {
      security: {
        users: [{ name: 'alice', passwordHash: await hashPassword('secret', { N: 1024 }), groups: [] }],
        acl: [],
        anonymous: 'never',
      },
    },
  });
});
afterAll(async () => { await server.cleanup(); });

function plainResponse(user: string, pass: string): Buffer {
  return Buffer.from(`\0${user}\0${pass}`);
}

function methods(buf: Buffer) {
  return new FrameParser(0).push(buf.subarray(buf.indexOf(1))).filter((f) => f.type === 1).map((f) => decodeMethod(f.payload));
}

describe('AMQP 0-9-1 handshake', () => {
  it('offers server properties, capabilities and PLAIN/AMQPLAIN in connection.start', async () => {
    const c = await amqp.connect(`${url(server, 'alice:secret@')}?heartbeat=0`);
    const props = (c.connection as unknown as { serverProperties: Record<string, unknown> }).serverProperties;
    expect(props.product).toBe('Interchange');
    expect(typeof props.version).toBe('string');
    expect(String(props.platform)).toMatch(/^Node\.js/);
    const caps = props.capabilities as Record<string, unknown>;
    for (const cap of ['publisher_confirms', 'exchange_exchange_bindings', 'basic.nack', 'consumer_cancel_notify', 'connection.blocked',
      'authentication_failure_close', 'per_consumer_qos', 'direct_reply_to']) {
      expect(caps[cap], cap).toBe(true);
    }
    await c.close();
  });

  it('authenticates with PLAIN and with AMQPLAIN', async () => {
    const plain = await amqp.connect(`${url(server, 'alice:secret@')}?heartbeat=0`);
    await (await plain.createChannel()).close();
    await plain.close();
    const amqplain = await amqp.connect(`${url(server)}?heartbeat=0`, { credentials: amqp.credentials.amqplain('alice', 'secret') });
    await (await amqplain.createChannel()).close();
    await amqplain.close();
  });

  it('refuses bad credentials with 403 ACCESS_REFUSED (authentication_failure_close)', async () => {
    await expect(amqp.connect(`${url(server, 'alice:wrong@')}?heartbeat=0`)).rejects.toThrow(/ACCESS_REFUSED|403/);
    await expect(amqp.connect(`${url(server, 'mallory:x@')}?heartbeat=0`)).rejects.toThrow(/ACCESS_REFUSED|403/);
  });

  it('closes the socket without connection.close for a client without authentication_failure_close', async () => {
    const raw = await rawConnect(server.ports.amqp!);
    raw.write(PROTOCOL_HEADER);
    await waitFor(() => raw.received().length > 0);
    raw.write(methodFrame(0, methodByName('connection.start-ok'), { clientProperties: {}, mechanism: 'PLAIN', response: plainResponse('alice', 'nope'), locale: 'en_US' }));
    await raw.closed;
    expect(methods(raw.received()).map((m) => m.def.name)).toEqual(['connection.start']);
  });

  it('refuses a virtual host other than / with 530 NOT_ALLOWED', async () => {
    await expect(amqp.connect(`${url(server, 'alice:secret@')}/other?heartbeat=0`)).rejects.toThrow(/ConnectionClose/);
    const raw = await rawConnect(server.ports.amqp!);
    raw.write(PROTOCOL_HEADER);
    await waitFor(() => raw.received().length > 0);
    raw.write(methodFrame(0, methodByName('connection.start-ok'), { clientProperties: {}, mechanism: 'PLAIN', response: plainResponse('alice', 'secret'), locale: 'en_US' }));
    await waitFor(() => methods(raw.received()).some((m) => m.def.name === 'connection.tune'));
    raw.write(methodFrame(0, methodByName('connection.tune-ok'), { channelMax: 0, frameMax: 0, heartbeat: 0 }));
    raw.write(methodFrame(0, methodByName('connection.open'), { virtualHost: 'other' }));
    await waitFor(() => methods(raw.received()).some((m) => m.def.name === 'connection.close'));
    const close = methods(raw.received()).find((m) => m.def.name === 'connection.close')!;
    expect(close.args).toMatchObject({ replyCode: 530, classId: 10, methodId: 40 });
    expect(String(close.args.replyText)).toMatch(/^NOT_ALLOWED - vhost 'other' not found/);
    raw.write(methodFrame(0, methodByName('connection.close-ok')));
    await raw.closed;
  });

  it('negotiates frame-max and channel-max; refuses a frame-max below 4096', async () => {
    const c = await amqp.connect(`${url(server, 'alice:secret@')}?heartbeat=0&frameMax=8192&channelMax=7`);
    const conn = c.connection as unknown as { frameMax: number; channelMax: number };
    expect(conn.frameMax).toBe(8192);
    expect(conn.channelMax).toBe(7);
    await c.close();
    const raw = await rawConnect(server.ports.amqp!);
    raw.write(PROTOCOL_HEADER);
    await waitFor(() => raw.received().length > 0);
    raw.write(methodFrame(0, methodByName('connection.start-ok'), { clientProperties: {}, mechanism: 'PLAIN', response: plainResponse('alice', 'secret'), locale: 'en_US' }));
    await waitFor(() => methods(raw.received()).some((m) => m.def.name === 'connection.tune'));
    raw.write(methodFrame(0, methodByName('connection.tune-ok'), { channelMax: 0, frameMax: 1024, heartbeat: 0 }));
    await raw.closed;
    const close = methods(raw.received()).find((m) => m.def.name === 'connection.close');
    expect(close?.args.replyCode).toBe(530);
  });

  it('sends heartbeats and closes a silent client', async () => {
    const raw = await rawConnect(server.ports.amqp!);
    raw.write(PROTOCOL_HEADER);
    await waitFor(() => raw.received().length > 0);
    raw.write(methodFrame(0, methodByName('connection.start-ok'), { clientProperties: {}, mechanism: 'PLAIN', response: plainResponse('alice', 'secret'), locale: 'en_US' }));
    await waitFor(() => methods(raw.received()).some((m) => m.def.name === 'connection.tune'));
    raw.write(methodFrame(0, methodByName('connection.tune-ok'), { channelMax: 0, frameMax: 0, heartbeat: 1 }));
    raw.write(methodFrame(0, methodByName('connection.open'), { virtualHost: '/' }));
    const started = Date.now();
    await raw.closed;
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThan(1500);
    expect(elapsed).toBeLessThan(6000);
    const frames = new FrameParser(0).push(raw.received().subarray(raw.received().indexOf(1)));
    expect(frames.filter((f) => f.type === 8).length).toBeGreaterThanOrEqual(1);
  });

  it('keeps a heartbeating amqplib client connected', async () => {
    const c = await amqp.connect(`${url(server, 'alice:secret@')}?heartbeat=1`);
    let closed = false;
    c.on('close', () => { closed = true; });
    c.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 3500));
    expect(closed).toBe(false);
    await c.close();
  });

  it('answers a wrong protocol header with the 0-9-1 header', async () => {
    const raw = await rawConnect(server.ports.amqp!);
    raw.write(Buffer.from('AMQP\x01\x01\x00\x09', 'latin1'));
    await raw.closed;
    expect(raw.received().subarray(0, 8)).toEqual(PROTOCOL_HEADER);
  });

  it('answers connection.update-secret with update-secret-ok and keeps the connection', async () => {
    const c = await amqp.connect(`${url(server, 'alice:secret@')}?heartbeat=0`);
    await (c as unknown as { updateSecret(s: Buffer, reason: string): Promise<void> }).updateSecret(Buffer.from('new secret'), 'rotation');
    const ch = await c.createChannel();
    await ch.close();
    await c.close();
  });

  it('closes the connection on client connection.close with close-ok', async () => {
    const c = await amqp.connect(`${url(server, 'alice:secret@')}?heartbeat=0`);
    await c.close();
  });
});
