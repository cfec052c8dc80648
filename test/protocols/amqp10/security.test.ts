/**
 * AMQP 1.0 security: SASL PLAIN through the security core, ANONYMOUS only where allowed, and
 * the ACL checked on every attach (receiver → read, sender → write) and per message on
 * anonymous-relay links. A refused attach does not affect the connection.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { hashPassword } from '../../../src/security/password-hash.js';
import { amqp10Protocol } from '../../../protocols/amqp10/index.js';
import {
  AMQP_HEADER, RawClient, SASL_HEADER, collect, connect, described, frame, linkError, openFrame, openReceiver, openSender, parseFrames,
  sendAndSettle, str8, waitFor, type Client,
} from './helpers.js';

let server: TestServer;
const clients: Client[] = [];

beforeAll(async () => {
  const passwordHash = await hashPassword('secret', { N: 16 });
  server = await startTestServer({
    protocols: [amqp10Protocol],
    overrides: {
      security: {
        anonymous: 'never',
        users: [{ name: 'alice', passwordHash, groups: [] }, { name: 'bob', passwordHash, groups: [] }],
        acl: [
          { principal: 'alice', kinds: ['queue', 'topic', 'stream'], pattern: 'sec.>', allow: ['read', 'write'] },
          { principal: 'bob', kinds: ['queue'], pattern: 'sec.>', allow: ['write'] },
        ],
      },
    },
  });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await server?.cleanup();
});

async function login(username: string, password: string): Promise<Client> {
  const c = await connect({ port: server.ports.amqp!, username, password });
  clients.push(c);
  return c;
}

describe('AMQP 1.0 security', () => {
  it('authenticates with SASL PLAIN; the user is the message user-id', async () => {
    const c = await login('alice', 'secret');
    const s = await openSender(c.connection, { target: { address: 'queue://sec.a' } });
    expect((await sendAndSettle(s, { body: 'hi', user_id: Buffer.from('mallory') as never })).outcome).toBe('accepted');
    const r = await openReceiver(c.connection, { source: { address: 'queue://sec.a' }, credit_window: 10 });
    const got = collect(r);
    await waitFor(() => got.length === 1);
    expect(got[0]!.message.user_id?.toString()).toBe('alice');
  });

  it('refuses a wrong password with amqp:unauthorized-access', async () => {
    const err = await connect({ port: server.ports.amqp!, username: 'alice', password: 'wrong' }).then(() => undefined, (e: unknown) => e);
    expect((err as { condition?: string }).condition).toBe('amqp:unauthorized-access');
  });

  it('does not offer ANONYMOUS when anonymous access is off, and requires SASL', async () => {
    const raw = await RawClient.connect(server.ports.amqp!);
    raw.write(SASL_HEADER);
    await waitFor(() => raw.received.length > 8);
    const mechanisms = raw.received.subarray(8).toString('latin1');
    expect(mechanisms).toContain('PLAIN');
    expect(mechanisms).not.toContain('ANONYMOUS');
    raw.destroy();

    const plain = await RawClient.connect(server.ports.amqp!);
    plain.write(AMQP_HEADER);
    expect((await plain.waitClosed()).toString('latin1')).toBe(SASL_HEADER.toString('latin1'));
  });

  it('serves a client that pipelines its AMQP header and open right after sasl-init', async () => {
    const response = Buffer.from('\0alice\0secret');
    const init = frame(described(0x41, [str8('PLAIN', 0xa3), Buffer.concat([Buffer.from([0xa0, response.length]), response])]));
    init[5] = 1; // SASL frame type
    const raw = await RawClient.connect(server.ports.amqp!);
    raw.write(Buffer.concat([SASL_HEADER, init, AMQP_HEADER, openFrame('pipelined')]));
    await waitFor(() => parseFrames(raw.received).some((f) => f.code === 0x10), 10_000, 'open');
    expect(parseFrames(raw.received).map((f) => f.code)).toEqual([0x40, 0x44, 0x10]); // mechanisms, outcome, open
    expect(raw.received.includes(AMQP_HEADER)).toBe(true);
    raw.destroy();
  });

  it('checks the ACL on every attach; a refused attach leaves the connection working', async () => {
    const bob = await login('bob', 'secret');
    const refused = await openReceiver(bob.connection, { source: { address: 'queue://sec.a' } }).then(() => undefined, (e: unknown) => e);
    expect(linkError(refused)?.condition).toBe('amqp:unauthorized-access');
    const elsewhere = await openSender(bob.connection, { target: { address: 'queue://other' } }).then(() => undefined, (e: unknown) => e);
    expect(linkError(elsewhere)?.condition).toBe('amqp:unauthorized-access');
    const s = await openSender(bob.connection, { target: { address: 'queue://sec.bob' } });
    expect((await sendAndSettle(s, { body: 'allowed' })).outcome).toBe('accepted');

    const alice = await login('alice', 'secret');
    const topic = await openReceiver(alice.connection, { source: { address: 'topic://sec.>' } });
    expect(topic.source.address).toBe('topic://sec.>');
    const wide = await openReceiver(alice.connection, { source: { address: 'topic://>' } }).then(() => undefined, (e: unknown) => e);
    expect(linkError(wide)?.condition).toBe('amqp:unauthorized-access');
  });

  it('describes a refusal by user, permission and destination (the session decides, AMQP words it)', async () => {
    const bob = await login('bob', 'secret');
    const refused = await openReceiver(bob.connection, { source: { address: 'queue://sec.a' } }).then(() => undefined, (e: unknown) => e);
    expect(linkError(refused)).toMatchObject({ condition: 'amqp:unauthorized-access', description: 'user bob may not read queue sec.a' });
    const elsewhere = await openSender(bob.connection, { target: { address: 'queue://other' } }).then(() => undefined, (e: unknown) => e);
    expect(linkError(elsewhere)).toMatchObject({ condition: 'amqp:unauthorized-access', description: 'user bob may not write queue other' });
    const relay = await openSender(bob.connection, { target: {} } as never);
    const denied = await sendAndSettle(relay, { to: 'queue://forbidden', body: 'no' });
    expect(denied.error).toMatchObject({ condition: 'amqp:unauthorized-access', description: 'not authorized to write to queue forbidden' });
  });

  it('authorizes each message on an anonymous-relay link', async () => {
    const bob = await login('bob', 'secret');
    const relay = await openSender(bob.connection, { target: {} } as never);
    expect((await sendAndSettle(relay, { to: 'queue://sec.relay', body: 'ok' })).outcome).toBe('accepted');
    const denied = await sendAndSettle(relay, { to: 'queue://forbidden', body: 'no' });
    expect(denied.outcome).toBe('rejected');
    expect((denied.error as { condition: string }).condition).toBe('amqp:unauthorized-access');
  });
});
