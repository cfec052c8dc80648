/**
 * AMQP 1.0 over TCP: queues, credit, settlement outcomes, pre-settled delivery, message mapping,
 * anonymous relay and request/reply with a dynamic reply queue.
 */
import rhea from 'rhea';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { amqp10Protocol } from '../../../protocols/amqp10/index.js';
import { adminApi, collect, connect, linkError, openReceiver, openSender, sendAndSettle, waitFor, type Client } from './helpers.js';

let server: TestServer;
const clients: Client[] = [];

async function client(containerId?: string): Promise<Client> {
  const c = await connect({ port: server.ports.amqp!, ...(containerId ? { container_id: containerId } : {}) });
  clients.push(c);
  return c;
}

const api = (method: string, path: string, body?: unknown) => adminApi(server.ports.admin!, method, path, body);

beforeAll(async () => {
  server = await startTestServer({ protocols: [amqp10Protocol] });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await server?.cleanup();
});

describe('AMQP 1.0 queues', () => {
  it('sends to a queue (accepted after commit) and receives exactly the granted credit', async () => {
    const c = await client();
    const sender = await openSender(c.connection, { target: { address: 'queue://credit.q' } });
    for (let i = 0; i < 5; i++) {
      const r = await sendAndSettle(sender, { body: `m${i}`, durable: true });
      expect(r.outcome).toBe('accepted');
    }
    const receiver = await openReceiver(c.connection, { source: { address: 'queue://credit.q' } });
    const got = collect(receiver);
    receiver.add_credit(3);
    await waitFor(() => got.length === 3, 10_000, '3 messages');
    // The queue still holds 2 visible messages; with no credit left none may be pushed.
    await waitFor(async () => (await api('GET', '/api/queues/credit.q')).json.stats.inFlight === 3);
    expect((await api('GET', '/api/queues/credit.q')).json.stats.visible).toBe(2);
    expect(got.map((g) => g.message.body)).toEqual(['m0', 'm1', 'm2']);
    for (const g of got) g.delivery.accept();
    receiver.add_credit(10);
    await waitFor(() => got.length === 5, 10_000, 'the other 2');
    expect(got.map((g) => g.message.body)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    for (const g of got.slice(3)) g.delivery.accept();
    await waitFor(async () => (await api('GET', '/api/queues/credit.q')).json.stats.inFlight === 0, 10_000, 'acks');
    expect((await api('GET', '/api/queues/credit.q')).json.stats.visible).toBe(0);
  });

  it('maps released, modified and rejected outcomes onto the queue', async () => {
    expect((await api('PUT', '/api/queues/outcomes.q', { deadLetterQueue: 'outcomes.dlq', maxReceiveCount: 10 })).status).toBe(201);
    const c = await client();
    const sender = await openSender(c.connection, { target: { address: 'outcomes.q' } });
    await sendAndSettle(sender, { body: 'x', durable: true, message_id: 'one' });
    const receiver = await openReceiver(c.connection, { source: { address: 'queue://outcomes.q' } });
    const got = collect(receiver);
    receiver.add_credit(1);
    await waitFor(() => got.length === 1);
    expect(got[0]!.message.delivery_count ?? 0).toBe(0);
    expect(got[0]!.message.first_acquirer).toBe(true);
    got[0]!.delivery.release();
    receiver.add_credit(1);
    await waitFor(() => got.length === 2, 10_000, 'redelivery after release');
    expect(got[1]!.message.delivery_count ?? 0).toBe(0); // released does not count

    got[1]!.delivery.modified({ delivery_failed: true });
    receiver.add_credit(1);
    await waitFor(() => got.length === 3, 10_000, 'redelivery after modified');
    expect(got[2]!.message.delivery_count).toBe(1);
    expect(got[2]!.message.first_acquirer).toBe(false);

    got[2]!.delivery.reject({ condition: 'app:bad', description: 'no' });
    await waitFor(async () => (await api('GET', '/api/queues/outcomes.dlq')).json.stats.visible === 1, 10_000, 'dead-lettered');
    expect((await api('GET', '/api/queues/outcomes.q')).json.stats).toMatchObject({ visible: 0, inFlight: 0 });
    const dl = await api('POST', '/api/queues/outcomes.dlq/receive', {});
    expect(dl.json.messages[0].body).toBe('x');
  });

  it('pre-settled (at-most-once) receivers get settled transfers and the queue forgets them', async () => {
    const c = await client();
    const sender = await openSender(c.connection, { target: { address: 'presettled.q' } });
    for (let i = 0; i < 3; i++) await sendAndSettle(sender, { body: `p${i}` });
    const receiver = await openReceiver(c.connection, { source: { address: 'presettled.q' }, snd_settle_mode: 1 } as never);
    const got = collect(receiver);
    receiver.add_credit(10);
    await waitFor(() => got.length === 3);
    expect(got.every((g) => g.delivery.remote_settled)).toBe(true);
    expect((await api('GET', '/api/queues/presettled.q')).json.stats).toMatchObject({ visible: 0, inFlight: 0 });
  });

  it('returns unsettled deliveries to the queue when the connection drops', async () => {
    const a = await client();
    const sender = await openSender(a.connection, { target: { address: 'drop.q' } });
    await sendAndSettle(sender, { body: 'held', durable: true });
    const r1 = await openReceiver(a.connection, { source: { address: 'drop.q' } });
    const got1 = collect(r1);
    r1.add_credit(1);
    await waitFor(() => got1.length === 1);
    await a.close();
    const b = await client();
    const r2 = await openReceiver(b.connection, { source: { address: 'drop.q' } });
    const got2 = collect(r2);
    r2.add_credit(1);
    await waitFor(() => got2.length === 1, 10_000, 'redelivery');
    expect(got2[0]!.message.body).toBe('held');
    expect(got2[0]!.message.delivery_count).toBe(1);
  });

  it('drains: delivers what is there, then reports the rest of the credit used', async () => {
    const c = await client();
    const sender = await openSender(c.connection, { target: { address: 'drain.q' } });
    await sendAndSettle(sender, { body: 'd1' });
    await sendAndSettle(sender, { body: 'd2' });
    const receiver = await openReceiver(c.connection, { source: { address: 'drain.q' } });
    const got = collect(receiver);
    const drained = new Promise<void>((resolve) => receiver.once('receiver_drained', () => resolve()));
    receiver.add_credit(10);
    receiver.drain_credit();
    await drained;
    expect(got.map((g) => g.message.body)).toEqual(['d1', 'd2']);
  });

  it('keeps properties, application-properties and every body kind across a round trip', async () => {
    const c = await client();
    const sender = await openSender(c.connection, { target: { address: 'roundtrip.q' } });
    const expiry = Date.now() + 600_000;
    const uuid = rhea.string_to_uuid('6b6f7d5e-1c2d-4e3f-8a9b-0c1d2e3f4a5b');
    await sendAndSettle(sender, {
      body: 'hello',
      durable: true,
      priority: 7,
      message_id: 'msg-1',
      correlation_id: 42,
      subject: 'greeting',
      reply_to: 'queue://replies',
      group_id: 'g1',
      absolute_expiry_time: new Date(expiry),
      creation_time: new Date(1_700_000_000_000),
      application_properties: { color: 'red', count: 3, ratio: 0.5, flag: true, nothing: null },
      message_annotations: { 'x-opt-app-tag': 'kept', 'other-annotation': 'dropped' },
    });
    await sendAndSettle(sender, { body: rhea.message.data_section(Buffer.from([0, 1, 2, 255])), content_type: 'application/octet-stream', message_id: uuid });
    await sendAndSettle(sender, { body: { a: 1, b: 'two', c: [1, 2, 3], d: { nested: true } } });
    await sendAndSettle(sender, { body: [1, 'x', false] });
    await sendAndSettle(sender, { body: rhea.message.sequence_section([1, 2, 3]) });
    await sendAndSettle(sender, { body: Buffer.from('bin') });
    await sendAndSettle(sender, { body: null });
    await sendAndSettle(sender, { body: 12.5 });

    const receiver = await openReceiver(c.connection, { source: { address: 'roundtrip.q' } });
    const got = collect(receiver);
    receiver.add_credit(20);
    await waitFor(() => got.length === 8);
    const m = got[0]!.message;
    expect(m.body).toBe('hello');
    expect(m).toMatchObject({
      durable: true, priority: 7, message_id: 'msg-1', correlation_id: 42, subject: 'greeting',
      reply_to: 'queue://replies', group_id: 'g1', content_type: 'text/plain', to: 'queue://roundtrip.q',
    });
    expect(m.application_properties).toEqual({ color: 'red', count: 3, ratio: 0.5, flag: true, nothing: null });
    expect(m.message_annotations).toEqual({ 'x-opt-app-tag': 'kept' });
    expect((m.absolute_expiry_time as Date).getTime()).toBe(expiry);
    expect((m.creation_time as Date).getTime()).toBe(1_700_000_000_000);
    expect(m.ttl).toBeGreaterThan(590_000);
    expect(m.user_id?.toString()).toBe('anonymous');

    const data = got[1]!.message;
    expect(data.body.typecode).toBe(0x75);
    expect(data.body.content).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(data.content_type).toBe('application/octet-stream');
    expect(Buffer.isBuffer(data.message_id) && rhea.uuid_to_string(data.message_id)).toBe('6b6f7d5e-1c2d-4e3f-8a9b-0c1d2e3f4a5b');

    expect(got[2]!.message.body).toEqual({ a: 1, b: 'two', c: [1, 2, 3], d: { nested: true } });
    expect(got[3]!.message.body).toEqual([1, 'x', false]);
    expect(got[4]!.message.body.typecode).toBe(0x76);
    expect(got[4]!.message.body.content).toEqual([1, 2, 3]);
    expect(got[5]!.message.body).toEqual(Buffer.from('bin'));
    expect(got[6]!.message.body).toBeNull();
    expect(got[7]!.message.body).toBe(12.5);
    for (const g of got) g.delivery.accept();
  });

  it('routes an anonymous-relay sender by each message\'s to address', async () => {
    const c = await client();
    expect(c.connection.offered_capabilities).toContain('ANONYMOUS-RELAY');
    const sender = await openSender(c.connection, { target: {} } as never);
    expect((await sendAndSettle(sender, { to: 'queue://relay.a', body: 'to a' })).outcome).toBe('accepted');
    expect((await sendAndSettle(sender, { to: 'relay.b', body: 'to b' })).outcome).toBe('accepted');
    const noTo = await sendAndSettle(sender, { body: 'nowhere' });
    expect(noTo.outcome).toBe('rejected');
    expect((noTo.error as { condition: string }).condition).toBe('amqp:not-found');
    expect((await api('POST', '/api/queues/relay.a/receive', {})).json.messages[0].body).toBe('to a');
    expect((await api('POST', '/api/queues/relay.b/receive', {})).json.messages[0].body).toBe('to b');
  });

  it('refuses a sender without a target with amqp:not-implemented (a coordinator target is a transaction controller: transactions.test.ts)', async () => {
    const c = await client();
    const err = await openSender(c.connection, {}).then(() => undefined, (e: unknown) => e);
    expect(linkError(err)?.condition).toBe('amqp:not-implemented');
    const s = await openSender(c.connection, { target: { address: 'still.works' } });
    expect((await sendAndSettle(s, { body: 'ok' })).outcome).toBe('accepted');
  });

  it('request/reply with a dynamic reply queue that is deleted with its link', async () => {
    const requester = await client();
    const responder = await client();
    // Responder: echoes each request to its reply-to address with the correlation id.
    const replySender = await openSender(responder.connection, { target: {} } as never);
    const requests = await openReceiver(responder.connection, { source: { address: 'queue://rpc.requests' }, credit_window: 10, autoaccept: true });
    requests.on('message', (ctx) => {
      replySender.send({ to: ctx.message!.reply_to, correlation_id: ctx.message!.message_id, body: `re: ${ctx.message!.body}` });
    });
    const replies = await openReceiver(requester.connection, { source: { dynamic: true } as never, credit_window: 10, autoaccept: true });
    const replyAddress = replies.source.address;
    expect(replyAddress).toMatch(/^queue:\/\/temp\./);
    const got = collect(replies);
    const sender = await openSender(requester.connection, { target: { address: 'queue://rpc.requests' } });
    await sendAndSettle(sender, { body: 'ping', message_id: 'req-1', reply_to: replyAddress });
    await waitFor(() => got.length === 1, 10_000, 'reply');
    expect(got[0]!.message).toMatchObject({ body: 're: ping', correlation_id: 'req-1' });
    const tempName = replyAddress.slice('queue://'.length);
    expect((await api('GET', `/api/queues/${tempName}`)).status).toBe(200);
    replies.close();
    await waitFor(async () => (await api('GET', `/api/queues/${tempName}`)).status === 404, 10_000, 'temp queue deleted');
  });

  it('stops pulling from the queue while a client with plenty of credit does not read its socket', async () => {
    const total = 300;
    const producer = await client();
    const s = await openSender(producer.connection, { target: { address: 'slow.reader.q' } });
    const body = 'b'.repeat(200_000);
    let accepted = 0;
    s.on('accepted', () => (accepted += 1));
    let sent = 0;
    const pump = (): void => {
      while (sent < total && s.sendable()) {
        s.send({ body });
        sent += 1;
      }
    };
    s.on('sendable', pump);
    pump();
    await waitFor(() => accepted === total, 20_000, 'all sent');
    const slow = await client();
    const r = await openReceiver(slow.connection, { source: { address: 'slow.reader.q' } });
    const got = collect(r);
    const socket = (slow.connection as unknown as { socket: { pause(): void; resume(): void } }).socket;
    socket.pause();
    r.add_credit(total);
    // What the broker hands out piles up in socket buffers (ours, then the kernel's): with the
    // client not reading, it must stop well before all 300 (60 MB).
    await waitFor(async () => (await api('GET', '/api/queues/slow.reader.q')).json.stats.inFlight > 0);
    await new Promise((res) => setTimeout(res, 300));
    const inFlight = (await api('GET', '/api/queues/slow.reader.q')).json.stats.inFlight as number;
    expect(inFlight).toBeLessThan(total / 2);
    socket.resume();
    await waitFor(() => got.length === total, 20_000, 'all messages after the reader resumed');
    for (const g of got) g.delivery.accept();
  });

  it('delays a message by x-opt-delivery-delay', async () => {
    const c = await client();
    const sender = await openSender(c.connection, { target: { address: 'delayed.q' } });
    await sendAndSettle(sender, { body: 'later', message_annotations: { 'x-opt-delivery-delay': 60_000 } });
    expect((await api('GET', '/api/queues/delayed.q')).json.stats).toMatchObject({ visible: 0, delayed: 1 });
  });
});
