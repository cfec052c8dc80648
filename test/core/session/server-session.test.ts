/** ServerSession against a real Broker: authorization, consumers of every kind, flow control, close. */
import { describe, expect, it } from 'vitest';
import { createMessage } from '../../../src/core/message.js';
import { isBrokerError } from '../../../src/core/errors.js';
import { bodies, openBroker, recorder, session, settle } from './helpers.js';

async function code(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return isBrokerError(err) ? `${err.code}: ${err.message}` : `OTHER: ${String(err)}`;
  }
  return undefined;
}

const m = (body: string) => createMessage(body);

describe('ServerSession authorization', () => {
  it('refuses sends and consumers without the grant, naming user, permission and destination', async () => {
    const { broker } = await openBroker();
    const acl = [{ principal: '*', pattern: 'open.>', allow: ['read' as const, 'write' as const], kinds: ['queue' as const, 'topic' as const, 'stream' as const] }];
    const s = session(broker, { acl });
    expect(await code(() => s.send({ address: { kind: 'queue', name: 'secret' }, message: m('x') }))).toBe('FORBIDDEN: not authorized: anonymous client may not write queue secret');
    expect(await code(s.createConsumer({ source: { kind: 'queue', name: 'secret' }, ack: 'auto' }, recorder()))).toBe('FORBIDDEN: not authorized: anonymous client may not read queue secret');
    expect(await code(s.createConsumer({ source: { kind: 'topic', pattern: 'secret.>' }, ack: 'auto' }, recorder()))).toMatch(/may not read topic secret\.>/);
    expect(await code(s.createConsumer({ source: { kind: 'stream', name: 'secret' }, ack: 'auto' }, recorder()))).toMatch(/may not read stream secret/);
    // nothing was created by the refusals
    expect(broker.getQueue('secret')).toBeUndefined();
    expect(broker.getStream('secret')).toBeUndefined();
    expect(await code(s.send({ address: { kind: 'queue', name: 'open.q' }, message: m('x') }))).toBeUndefined();
  });

  it('names the user for an authenticated principal', async () => {
    const { broker } = await openBroker();
    const s = session(broker, { acl: [{ principal: 'bob', pattern: '>', allow: ['read'], kinds: ['queue'] }], principal: { name: 'alice', anonymous: false, groups: [] } });
    expect(await code(() => s.send({ address: { kind: 'topic', name: 't' }, message: m('x') }))).toBe('FORBIDDEN: not authorized: user alice may not write topic t');
  });

  it("needs no grant for the session's own temporary queues", async () => {
    const { broker } = await openBroker();
    const s = session(broker, { acl: [{ principal: 'bob', pattern: '>', allow: ['read'], kinds: ['queue'] }] });
    const rec = recorder();
    await s.createConsumer({ source: { kind: 'temp-queue', name: 'replies' }, ack: 'auto' }, rec);
    await s.send({ address: { kind: 'temp-queue', name: 'replies' }, message: m('a') });
    const core = await s.replyToName('replies');
    await s.send({ address: { kind: 'queue', name: core }, message: m('b') });
    await settle();
    expect(bodies(rec.got)).toEqual(['a', 'b']);
    expect(rec.got[0]!.destination).toEqual({ kind: 'queue', name: core });
    // another session may not use it without a grant
    const other = session(broker, { acl: [{ principal: 'bob', pattern: '>', allow: ['read'], kinds: ['queue'] }] });
    expect(await code(() => other.send({ address: { kind: 'queue', name: core }, message: m('c') }))).toMatch(/FORBIDDEN/);
  });
});

describe('owned queues', () => {
  it('may be consumed without a grant on the queue (not sent to), by the owning session only', async () => {
    const { broker } = await openBroker();
    const acl = [{ principal: 'bob', pattern: '>', allow: ['read' as const], kinds: ['queue' as const] }];
    await broker.send({ kind: 'queue', name: 'mqtt.session.c1' }, m('a'));
    const s = session(broker, { acl });
    expect(await code(s.createConsumer({ source: { kind: 'queue', name: 'mqtt.session.c1' }, ack: 'individual' }, recorder()))).toMatch(/may not read queue mqtt\.session\.c1/);
    s.ownQueue('mqtt.session.c1');
    expect(s.may('read', { kind: 'queue', name: 'mqtt.session.c1' })).toBe(true);
    expect(s.may('write', { kind: 'queue', name: 'mqtt.session.c1' })).toBe(false);
    const rec = recorder();
    await s.createConsumer({ source: { kind: 'queue', name: 'mqtt.session.c1' }, ack: 'individual' }, rec);
    await settle();
    expect(bodies(rec.got)).toEqual(['a']);
    const other = session(broker, { acl });
    expect(other.may('read', { kind: 'queue', name: 'mqtt.session.c1' })).toBe(false);
  });
});

describe('queue consumers', () => {
  it('client mode: prefetch bounds unsettled deliveries; ack frees room; ids are session-unique', async () => {
    const { broker } = await openBroker();
    const s = session(broker);
    for (let i = 0; i < 5; i++) await s.send({ address: { kind: 'queue', name: 'q' }, message: m(`m${i}`) });
    const rec = recorder();
    const c = await s.createConsumer({ source: { kind: 'queue', name: 'q' }, ack: 'individual', prefetch: 2 }, rec);
    await settle();
    expect(bodies(rec.got)).toEqual(['m0', 'm1']);
    expect(rec.got.map((d) => d.id)).toEqual([1, 2]);
    expect(c.unsettled).toBe(2);
    await c.ack(rec.got[0]!.id);
    await settle();
    expect(bodies(rec.got)).toEqual(['m0', 'm1', 'm2']);
    expect(s.lastDeliveryId).toBe(3);
    expect(broker.getQueue('q')!.stats().visible).toBe(2);
  });

  it('client mode: a cumulative ack settles every earlier delivery', async () => {
    const { broker } = await openBroker();
    const s = session(broker);
    for (let i = 0; i < 3; i++) await s.send({ address: { kind: 'queue', name: 'q' }, message: m(`m${i}`) });
    const rec = recorder();
    const c = await s.createConsumer({ source: { kind: 'queue', name: 'q' }, ack: 'client' }, rec);
    await settle();
    await c.ack(rec.got[1]!.id, { cumulative: true });
    expect(c.unsettled).toBe(1);
    expect(c.has(rec.got[2]!.id)).toBe(true);
    expect(c.findByMessageId(rec.got[2]!.messageId)).toBe(rec.got[2]!.id);
    expect(broker.getQueue('q')!.stats().inFlight).toBe(1);
  });

  it('nack requeues (redelivered, receive count up); release does not count; requeue:false drops', async () => {
    const { broker } = await openBroker();
    const s = session(broker);
    await s.send({ address: { kind: 'queue', name: 'q' }, message: m('x') });
    const rec = recorder();
    const c = await s.createConsumer({ source: { kind: 'queue', name: 'q' }, ack: 'individual' }, rec);
    await settle();
    c.nack(rec.got[0]!.id);
    await settle();
    expect(rec.got[1]).toMatchObject({ redelivered: true, receiveCount: 2 });
    c.release(rec.got[1]!.id);
    await settle();
    expect(rec.got[2]).toMatchObject({ receiveCount: 2 });
    c.nack(rec.got[2]!.id, { requeue: false });
    await settle();
    expect(rec.got).toHaveLength(3);
    expect(broker.getQueue('q')!.stats().rejected).toBe(1);
  });

  it('auto mode, settled when written: unwritten deliveries go back on close; dispatch mode removes at once', async () => {
    const { broker } = await openBroker();
    const s = session(broker);
    for (let i = 0; i < 3; i++) await s.send({ address: { kind: 'queue', name: 'q' }, message: m(`m${i}`) });
    const rec = recorder();
    const c = await s.createConsumer({ source: { kind: 'queue', name: 'q' }, ack: 'auto', prefetch: 10 }, rec);
    await settle();
    expect(rec.got).toHaveLength(3);
    await c.ack(rec.got[0]!.id); // "written"
    c.close();
    await settle();
    expect(broker.getQueue('q')!.stats().visible).toBe(2);

    const rec2 = recorder();
    await s.createConsumer({ source: { kind: 'queue', name: 'q' }, ack: 'auto', autoSettle: 'dispatch' }, rec2);
    await settle();
    expect(bodies(rec2.got)).toEqual(['m1', 'm2']);
    expect(rec2.got.every((d) => d.redelivered)).toBe(true);
    expect(broker.getQueue('q')!.stats()).toMatchObject({ visible: 0, inFlight: 0 });
  });

  it('credit: never past the credit; drain delivers what is there and drops the rest', async () => {
    const { broker } = await openBroker();
    const s = session(broker);
    for (let i = 0; i < 3; i++) await s.send({ address: { kind: 'queue', name: 'q' }, message: m(`m${i}`) });
    const rec = recorder();
    const c = await s.createConsumer({ source: { kind: 'queue', name: 'q' }, ack: 'individual', credit: 1 }, rec);
    await settle();
    expect(bodies(rec.got)).toEqual(['m0']);
    expect(c.credit).toBe(0);
    c.addCredit(5);
    await settle();
    expect(rec.got).toHaveLength(3);
    expect(c.credit).toBe(3);
    expect(c.drain()).toBe(3);
    expect(c.credit).toBe(0);
    await s.send({ address: { kind: 'queue', name: 'q' }, message: m('late') });
    await settle();
    expect(rec.got).toHaveLength(3);
  });

  it('pause holds deliveries (consumer or whole session) and resume hands them over in order', async () => {
    const { broker } = await openBroker();
    const s = session(broker);
    const rec = recorder();
    const c = await s.createConsumer({ source: { kind: 'queue', name: 'q' }, ack: 'individual' }, rec);
    s.pause();
    await s.send({ address: { kind: 'queue', name: 'q' }, message: m('a') });
    await s.send({ address: { kind: 'queue', name: 'q' }, message: m('b') });
    await settle();
    expect(rec.got).toHaveLength(0);
    s.resume();
    expect(bodies(rec.got)).toEqual(['a', 'b']);
    c.pause();
    await s.send({ address: { kind: 'queue', name: 'q' }, message: m('c') });
    await settle();
    expect(rec.got).toHaveLength(2);
    c.resume();
    expect(bodies(rec.got)).toEqual(['a', 'b', 'c']);
  });

  it('reports the end of a consumer whose queue is deleted', async () => {
    const { broker } = await openBroker();
    const s = session(broker);
    const rec = recorder();
    const c = await s.createConsumer({ source: { kind: 'queue', name: 'q' }, ack: 'auto' }, rec);
    await broker.deleteQueue('q');
    expect(rec.endings).toEqual(['queue closed']);
    expect(c.closed).toBe(true);
  });
});

describe('live topic consumers', () => {
  it('deliver the concrete topic behind a wildcard, with the filter policy applied', async () => {
    const { broker } = await openBroker();
    const s = session(broker);
    const rec = recorder();
    await s.createConsumer({ source: { kind: 'topic', pattern: 'sensors.>', filterPolicy: '{"kind":["t"]}' }, ack: 'auto' }, rec);
    await s.send({ address: { kind: 'topic', name: 'sensors.a' }, message: createMessage('1', { headers: { kind: 't' } }) });
    await s.send({ address: { kind: 'topic', name: 'sensors.b' }, message: createMessage('2', { headers: { kind: 'h' } }) });
    expect(bodies(rec.got)).toEqual(['1']);
    expect(rec.got[0]!.destination).toEqual({ kind: 'topic', name: 'sensors.a' });
  });

  it('buffer while the window is full, drop and count beyond liveBufferMessages', async () => {
    const { broker } = await openBroker();
    const s = session(broker, { limits: { liveBufferMessages: 2 } });
    const rec = recorder();
    const c = await s.createConsumer({ source: { kind: 'topic', pattern: 't' }, ack: 'client', prefetch: 1 }, rec);
    for (let i = 0; i < 5; i++) await s.send({ address: { kind: 'topic', name: 't' }, message: m(`m${i}`) });
    expect(bodies(rec.got)).toEqual(['m0']);
    expect(c.dropped).toBe(2);
    expect(broker.topicStats('t').dropped).toBe(2);
    await c.ack(rec.got[0]!.id);
    expect(bodies(rec.got)).toEqual(['m0', 'm1']);
    c.nack(rec.got[1]!.id); // a live message is not redelivered; the window frees
    expect(bodies(rec.got)).toEqual(['m0', 'm1', 'm2']);
  });

  it('session pause buffers auto-mode messages; credit and drain apply too', async () => {
    const { broker } = await openBroker();
    const s = session(broker);
    const rec = recorder();
    const c = await s.createConsumer({ source: { kind: 'topic', pattern: 't' }, ack: 'auto', credit: 0 }, rec);
    await s.send({ address: { kind: 'topic', name: 't' }, message: m('a') });
    await s.send({ address: { kind: 'topic', name: 't' }, message: m('b') });
    expect(rec.got).toHaveLength(0);
    c.addCredit(1);
    expect(bodies(rec.got)).toEqual(['a']);
    c.setCredit(5);
    expect(c.drain()).toBe(4);
    expect(bodies(rec.got)).toEqual(['a', 'b']);
    c.setCredit(10);
    s.pause();
    await s.send({ address: { kind: 'topic', name: 't' }, message: m('c') });
    expect(rec.got).toHaveLength(2);
    s.resume();
    expect(bodies(rec.got)).toEqual(['a', 'b', 'c']);
  });
});

describe('stream consumers', () => {
  it('start at the offset given, carry the offset, and pause the reader while the window is full', async () => {
    const { broker } = await openBroker();
    const s = session(broker);
    await broker.createStream('ev');
    for (let i = 0; i < 4; i++) await s.send({ address: { kind: 'stream', name: 'ev' }, message: createMessage(`r${i}`, { partitionKey: 'k' }) });
    const rec = recorder();
    const c = await s.createConsumer({ source: { kind: 'stream', name: 'ev', offset: 'first' }, ack: 'client', prefetch: 2 }, rec);
    await settle(20);
    expect(bodies(rec.got)).toEqual(['r0', 'r1']);
    expect(rec.got[0]!.streamOffset).toBe(rec.got[0]!.messageId);
    expect(rec.got[0]!.destination).toEqual({ kind: 'stream', name: 'ev' });
    await c.ack(rec.got[1]!.id, { cumulative: true });
    await settle(20);
    expect(bodies(rec.got)).toEqual(['r0', 'r1', 'r2', 'r3']);
    const from = Number(rec.got[2]!.streamOffset);
    const rec2 = recorder();
    await s.createConsumer({ source: { kind: 'stream', name: 'ev', offset: { seq: from } }, ack: 'auto' }, rec2);
    await settle(20);
    expect(bodies(rec2.got)).toEqual(['r2', 'r3']);
  });

  it('resume after a session pause continues without loss', async () => {
    const { broker } = await openBroker();
    const s = session(broker);
    await broker.createStream('ev');
    const rec = recorder();
    await s.createConsumer({ source: { kind: 'stream', name: 'ev' }, ack: 'auto' }, rec);
    s.pause();
    for (let i = 0; i < 3; i++) await s.send({ address: { kind: 'stream', name: 'ev' }, message: createMessage(`r${i}`, { partitionKey: 'k' }) });
    await settle(20);
    expect(rec.got.length).toBeLessThanOrEqual(1);
    s.resume();
    await settle(20);
    expect(bodies(rec.got)).toEqual(['r0', 'r1', 'r2']);
  });
});

describe('close', () => {
  it('returns unsettled messages redelivered, drops live subscriptions, deletes temp queues, keeps durable subscriptions', async () => {
    const { broker } = await openBroker();
    const s = session(broker, { clientId: 'app' });
    await s.send({ address: { kind: 'queue', name: 'q' }, message: m('x') });
    const rec = recorder();
    await s.createConsumer({ source: { kind: 'queue', name: 'q' }, ack: 'individual' }, rec);
    await s.createConsumer({ source: { kind: 'topic', pattern: 'live' }, ack: 'auto' }, recorder());
    await s.createConsumer({ source: { kind: 'topic', pattern: 'news', durable: { name: 'd' } }, ack: 'individual' }, recorder());
    await s.createConsumer({ source: { kind: 'temp-queue', name: 't' }, ack: 'auto' }, recorder());
    const temp = await s.replyToName('t');
    await settle();
    expect(rec.got).toHaveLength(1);
    await s.close();
    expect(broker.getQueue(temp)).toBeUndefined();
    expect(broker.listSubscriptions({ topic: 'live' })).toHaveLength(0);
    expect(broker.getQueue('test.durable.app.d')).toBeDefined();
    await s.close(); // idempotent

    const s2 = session(broker, { clientId: 'app' });
    const rec2 = recorder();
    await s2.createConsumer({ source: { kind: 'queue', name: 'q' }, ack: 'individual' }, rec2);
    await settle();
    expect(rec2.got[0]).toMatchObject({ redelivered: true, receiveCount: 2 });
    // the durable subscription is free again for another connection
    await s2.createConsumer({ source: { kind: 'topic', pattern: 'news', durable: { name: 'd' } }, ack: 'individual' }, recorder());
    expect(await code(() => s.send({ address: { kind: 'queue', name: 'q' }, message: m('y') }))).toMatch(/NOT_ACTIVE/);
  });
});
