/**
 * Bad input over raw sockets (ERROR frame, then close; the broker and other clients carry on),
 * limits, heart-beats in both directions, version negotiation, authentication and ACLs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { header } from '../../../protocols/stomp/frame.js';
import { hashPassword } from '../../../src/security/password-hash.js';
import type { TestServer } from '../../support/test-server.js';
import { collect, disconnect, RawClient, sendWithReceipt, startStompServer, stompitConnect, waitFor } from './session-helpers.js';

let ts: TestServer;
let port: number;

beforeAll(async () => {
  ts = await startStompServer({
    options: { heartbeat: { sendMs: 20, receiveMs: 20 }, connectTimeoutMs: 300 },
    overrides: {
      limits: { maxMessageBytes: 4096, maxFrameBytes: 8192, maxHeaders: 20, maxHeaderBytes: 512 },
      security: {
        users: [
          { name: 'alice', passwordHash: await hashPassword('secret', { N: 1024 }), groups: [] },
          { name: 'bob', passwordHash: await hashPassword('hunter2', { N: 1024 }), groups: [] },
        ],
        acl: [
          { principal: 'alice', kinds: ['queue', 'topic', 'stream'], pattern: '>', allow: ['admin'] },
          { principal: 'bob', kinds: ['queue', 'topic', 'stream'], pattern: 'public.>', allow: ['read', 'write'] },
        ],
        anonymous: 'never',
      },
    },
  });
  port = ts.ports.stomp!;
});

afterAll(async () => {
  await ts.cleanup();
});

const alice = { login: 'alice', passcode: 'secret' };

/** Write `bytes` after CONNECT (unless `connect` is false) and expect ERROR then close. */
async function expectError(bytes: string | Buffer, pattern: RegExp, connect = true): Promise<string> {
  const c = connect ? await RawClient.connect(port, alice) : await RawClient.open(port);
  c.write(bytes);
  const err = await c.nextCommand('ERROR');
  const message = header(err, 'message')!;
  expect(message).toMatch(pattern);
  expect(err.body.length).toBeGreaterThan(0);
  await c.waitClosed();
  return err.body.toString();
}

describe('STOMP bad input', () => {
  it('answers every kind of bad input with ERROR and closes, while another client keeps working', async () => {
    const bystander = await stompitConnect(port, alice);
    const got = collect(bystander, { destination: '/queue/bystander' });

    await expectError('GET / HTTP/1.1\r\nHost: x\r\n\r\n', /invalid command/, false);
    await expectError('\x16\x03\x01\x00\xa5garbage', /invalid command/, false);
    await expectError('SEND\ndestination:/queue/x\n\nbefore connect\0', /expected CONNECT/, false);
    await expectError('FROB\n\n\0', /unknown command FROB/);
    await expectError('SEND\n\nno destination\0', /missing destination/);
    await expectError('SUBSCRIBE\ndestination:/queue/x\n\n\0', /needs an id/);
    await expectError('ACK\n\n\0', /needs an id/);
    await expectError('BEGIN\n\n\0', /transaction header/);
    await expectError('SEND\ndestination:/queue/x\ncontent-length:10\n\nhello\0SEND\ndestination:/queue/x\n\nnext\0', /not terminated by NUL/);
    await expectError(`SEND\ndestination:/queue/x\n\n${'x'.repeat(9000)}\0`, /frame too large/);
    await expectError(`SEND\ndestination:/queue/x\ncontent-length:9000\n\n`, /frame too large/);
    await expectError(`SEND\ndestination:/queue/x\n${Array.from({ length: 25 }, (_, i) => `h${i}:v`).join('\n')}\n\n\0`, /too many headers/);
    await expectError(`SEND\ndestination:/queue/x\nlong:${'y'.repeat(600)}\n\n\0`, /header line too long/);
    await expectError(`SEND\ndestination:/queue/x\n\n${'z'.repeat(5000)}\0`, /message too large/);
    await expectError('SEND\ndestination:/queue/x\nbad:\\t\n\n\0', /escape/);
    await expectError('SEND\ndestination:/nowhere/x\n\n\0', /invalid destination/);
    await expectError('SEND\ndestination:/queue/a..b\n\n\0', /invalid destination name/);
    await expectError('SEND\ndestination:/queue/x\npriority:high\n\n\0', /priority/);
    await expectError('SUBSCRIBE\nid:1\ndestination:/queue/x\nack:sometimes\n\n\0', /ack must be/);
    await expectError('SUBSCRIBE\nid:1\ndestination:/queue/x\nselector:a > 1\n\n\0', /selectors are not supported/);
    await expectError('SUBSCRIBE\nid:1\ndestination:/queue/x\n\n\0SUBSCRIBE\nid:1\ndestination:/queue/y\n\n\0', /already in use/);
    await expectError('ACK\nid:999999\n\n\0', /unknown id/);
    await expectError('CONNECT\naccept-version:1.2\n\n\0', /already connected/);
    const body = await expectError('SEND\ndestination:/queue/x\nreceipt:r-77\n\n\0SEND\n\n\0', /missing destination/);
    expect(body).toMatch(/frame: SEND/);

    await sendWithReceipt(bystander, { destination: '/queue/bystander' }, 'still fine');
    await waitFor(() => got.length === 1, 'bystander message');
    expect(got[0]!.body.toString()).toBe('still fine');
    await disconnect(bystander);
  });

  it('closes a connection that never sends CONNECT', async () => {
    const c = await RawClient.open(port);
    const err = await c.nextCommand('ERROR', 2000);
    expect(header(err, 'message')).toMatch(/no CONNECT frame/);
    await c.waitClosed();
  });

  it('an ERROR for a frame with a receipt header carries receipt-id', async () => {
    const c = await RawClient.connect(port, alice);
    c.frame('SEND', { receipt: 'r-9' }, 'no destination');
    const err = await c.nextCommand('ERROR');
    expect(header(err, 'receipt-id')).toBe('r-9');
    await c.waitClosed();
  });

  it('refuses unsupported versions with a version header', async () => {
    const c = await RawClient.open(port);
    c.frame('CONNECT', { 'accept-version': '2.0', ...alice });
    const err = await c.nextCommand('ERROR');
    expect(header(err, 'version')).toBe('1.0,1.1,1.2');
    await c.waitClosed();
  });

  it('negotiates 1.0, 1.1 and 1.2', async () => {
    for (const [offered, expected] of [[undefined, '1.0'], ['1.0,1.1', '1.1'], ['1.1,1.2', '1.2']] as const) {
      const c = await RawClient.open(port);
      c.frame('CONNECT', { ...(offered ? { 'accept-version': offered } : {}), ...alice });
      const f = await c.nextCommand('CONNECTED');
      expect(header(f, 'version')).toBe(expected);
      expect(header(f, 'server')).toMatch(/^Interchange\//);
      c.close();
    }
  });
});

describe('STOMP heart-beats', () => {
  it('closes a client that stops sending, after an ERROR', async () => {
    const c = await RawClient.open(port);
    c.frame('CONNECT', { 'accept-version': '1.2', 'heart-beat': '20,0', ...alice });
    const connected = await c.nextCommand('CONNECTED');
    expect(header(connected, 'heart-beat')).toBe('0,20');
    const err = await c.nextCommand('ERROR', 2000);
    expect(header(err, 'message')).toMatch(/heart-beat/);
    await c.waitClosed(2000);
  });

  it('keeps a client that sends heart-beats, and sends heart-beats to a client that asks', async () => {
    const c = await RawClient.open(port);
    c.frame('CONNECT', { 'accept-version': '1.2', 'heart-beat': '100,100', ...alice });
    expect(header(await c.nextCommand('CONNECTED'), 'heart-beat')).toBe('100,100');
    const timer = setInterval(() => c.write('\n'), 10);
    await waitFor(() => c.heartbeats >= 3, 'three heart-beats from the server', 2000);
    clearInterval(timer);
    expect(c.closed).toBe(false);
    c.frame('SEND', { destination: '/queue/hb', receipt: 'alive' }, 'x');
    await c.receipt('alive');
    c.close();
  });

  it('works with stompit heart-beating on its own', async () => {
    const s = await stompitConnect(port, { ...alice, 'heart-beat': '100,100' });
    await new Promise((r) => setTimeout(r, 450));
    await sendWithReceipt(s, { destination: '/queue/hb2' }, 'alive');
    await disconnect(s);
  });
});

describe('STOMP security', () => {
  it('rejects bad credentials and anonymous clients', async () => {
    const c = await RawClient.open(port);
    c.frame('CONNECT', { 'accept-version': '1.2', login: 'alice', passcode: 'wrong' });
    expect(header(await c.nextCommand('ERROR'), 'message')).toMatch(/authentication failed/);
    await c.waitClosed();
    const d = await RawClient.open(port);
    d.frame('CONNECT', { 'accept-version': '1.2' });
    expect(header(await d.nextCommand('ERROR'), 'message')).toMatch(/authentication failed/);
    await d.waitClosed();
  });

  it('checks write on SEND and read on SUBSCRIBE', async () => {
    const bob = { login: 'bob', passcode: 'hunter2' };
    const ok = await RawClient.connect(port, bob);
    ok.frame('SUBSCRIBE', { id: 's', destination: '/topic/public.news', receipt: 'r' });
    await ok.receipt('r');
    ok.frame('SEND', { destination: '/topic/public.news' }, 'hi');
    const m = await ok.nextCommand('MESSAGE');
    expect(header(m, 'user-id')).toBe('bob');
    ok.close();
    const w = await RawClient.connect(port, bob);
    w.frame('SEND', { destination: '/queue/private' }, 'x');
    expect(header(await w.nextCommand('ERROR'), 'message')).toMatch(/not authorized.*write queue private/);
    await w.waitClosed();
    const r = await RawClient.connect(port, bob);
    r.frame('SUBSCRIBE', { id: 's', destination: '/topic/>' });
    expect(header(await r.nextCommand('ERROR'), 'message')).toMatch(/not authorized.*read topic >/);
    await r.waitClosed();
  });
});
