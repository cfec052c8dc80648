/** Queue-level message TTL (RabbitMQ x-message-ttl): expiry on time, dead-lettering with reason expired. */
import { describe, expect, it } from 'vitest';
import { isTypedValue, type Value } from '../../../src/core/values.js';
import { bodies, brokerHarness, harness, msg, recorder, settle } from './helpers.js';

function deaths(v: Value | undefined): Array<Record<string, Value>> {
  if (!isTypedValue(v) || v.type !== 'list') throw new Error('x-death is not a list');
  return v.value.map((t) => {
    if (!isTypedValue(t) || t.type !== 'map') throw new Error('x-death entry is not a table');
    return t.value as Record<string, Value>;
  });
}

describe('Queue messageTtlMs', () => {
  it('expires messages messageTtlMs after enqueue, on time without a consumer or sweep, counted as expired', async () => {
    const h = await harness();
    const q = await h.open('q', { messageTtlMs: 5_000 }, { sweepIntervalMs: 3_600_000 });
    await q.send(msg('a'));
    h.clock.advance(2_000);
    await q.send(msg('b'));
    h.clock.advance(2_999);
    expect(q.stats()).toMatchObject({ visible: 2, expired: 0 });
    h.clock.advance(1);
    expect(q.stats()).toMatchObject({ visible: 1, expired: 1 });
    expect((await h.store.loadMessages('q')).map((r) => r.message.body.toString())).toEqual(['b']);
    h.clock.advance(2_000);
    expect(q.stats()).toMatchObject({ visible: 0, expired: 2 });
    expect(await h.store.loadMessages('q')).toEqual([]);
  });

  it('takes the earlier of the queue TTL and a per-message expiresAt', async () => {
    const h = await harness();
    const q = await h.open('q', { messageTtlMs: 10_000 });
    const now = h.clock.now();
    await q.send(msg('own-short', { properties: { expiresAt: now + 1_000 } }));
    await q.send(msg('own-long', { properties: { expiresAt: now + 60_000 } }));
    await q.send(msg('none'));
    h.clock.advance(1_000);
    expect(q.stats()).toMatchObject({ visible: 2, expired: 1 });
    h.clock.advance(9_000);
    expect(q.stats()).toMatchObject({ visible: 0, expired: 3 });
  });

  it('an unacked delivery does not expire while held; it expires when it comes back', async () => {
    const h = await harness();
    const q = await h.open('q', { messageTtlMs: 1_000 });
    await q.send(msg('held'));
    const r = recorder();
    const c = q.addConsumer({ onMessage: r.onMessage });
    await settle();
    h.clock.advance(5_000);
    expect(q.stats()).toMatchObject({ inFlight: 1, expired: 0 });
    c.close(); // requeued, already past its TTL
    h.clock.advance(0);
    expect(q.stats()).toMatchObject({ inFlight: 0, visible: 0, expired: 1 });
  });

  it('messageTtlMs 0 makes every message dead on arrival (dead-lettered when there is a target)', async () => {
    const h = await harness();
    const q = await h.open('q', { messageTtlMs: 0 });
    await q.send(msg('gone'));
    expect(q.stats()).toMatchObject({ enqueued: 0, expired: 1, visible: 0 });
  });

  it('a changed messageTtlMs applies to queued messages', async () => {
    const h = await harness();
    const q = await h.open('q');
    await q.send(msg('m'));
    h.clock.advance(3_000);
    q.setAttributes({ ...q.attributes, messageTtlMs: 2_000 });
    h.clock.advance(0);
    expect(q.stats()).toMatchObject({ visible: 0, expired: 1 });
  });

  it('dead-letters expired messages to the dead-letter queue, without their own expiry', async () => {
    const h = await harness();
    const dlq = await h.open('dlq');
    const q = await h.open('q', { messageTtlMs: 1_000, deadLetterQueue: 'dlq', maxReceiveCount: 5 });
    await q.send(msg('late', { properties: { expiresAt: h.clock.now() + 500 } }));
    h.clock.advance(500);
    expect(q.stats()).toMatchObject({ visible: 0, expired: 0, deadLettered: 1 });
    h.clock.advance(60_000);
    const [moved] = await dlq.receive();
    expect(bodies([moved!])).toEqual(['late']);
    expect(moved!.message.properties.expiresAt).toBeUndefined();
  });

  it('dead-letters to the dead-letter exchange with reason expired (x-death, original-expiration)', async () => {
    const { broker, clock } = await brokerHarness();
    const dead = await broker.createQueue('dead');
    const q = await broker.createQueue('ttl', { messageTtlMs: 2_000, deadLetterExchange: '', deadLetterRoutingKey: 'dead' });
    await q.send(msg('queue-ttl'));
    await q.send(msg('own-ttl', { properties: { expiresAt: clock.now() + 1_500 } }));
    clock.advance(2_000);
    await settle();
    expect(q.stats()).toMatchObject({ visible: 0, deadLettered: 2, expired: 0 });
    const got = await dead.receive({ max: 10 });
    expect(bodies(got)).toEqual(['own-ttl', 'queue-ttl']);
    const [own, queueTtl] = got;
    expect(own!.message.properties.expiresAt).toBeUndefined();
    const [d] = deaths(own!.message.headers['x-death']);
    expect(d).toMatchObject({
      queue: 'ttl', reason: 'expired', count: { type: 'long', value: 1n }, exchange: '',
      time: { type: 'timestamp', value: clock.now() - 500 }, 'original-expiration': '1500',
    });
    expect(d!['routing-keys']).toEqual({ type: 'list', value: ['ttl'] });
    expect(deaths(queueTtl!.message.headers['x-death'])[0]!['original-expiration']).toBeUndefined();
    expect(queueTtl!.message.headers).toMatchObject({
      'x-first-death-queue': 'ttl', 'x-first-death-reason': 'expired', 'x-first-death-exchange': '',
      'x-last-death-queue': 'ttl', 'x-last-death-reason': 'expired', 'x-last-death-exchange': '',
    });
    await broker.close();
  });
});
