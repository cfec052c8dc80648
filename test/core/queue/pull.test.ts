import { describe, expect, it } from 'vitest';
import { isBrokerError, type ErrorCode } from '../../../src/core/errors.js';
import { bodies, harness, msg, settle, track } from './helpers.js';

async function rejects(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  const err: unknown = await p.then(() => undefined, (e: unknown) => e);
  expect(isBrokerError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
}

function throws(fn: () => unknown, code: ErrorCode): void {
  let err: unknown;
  try { fn(); } catch (e) { err = e; }
  expect(isBrokerError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
}

describe('Queue pull (SQS receive / delete)', () => {
  it('hides a received message for the visibility timeout, then redelivers it with a new receipt', async () => {
    const h = await harness();
    const q = await h.open('q', { visibilityTimeoutMs: 10_000 });
    const sent = await q.send(msg('a'));
    const [r1] = await q.receive();
    expect(r1).toMatchObject({ id: sent.id, seq: sent.seq, receiveCount: 1, redelivered: false });
    expect(await q.receive()).toEqual([]);
    expect(q.stats()).toMatchObject({ visible: 0, inFlight: 1 });
    h.clock.advance(9_999);
    expect(await q.receive()).toEqual([]);
    h.clock.advance(1);
    expect(q.stats()).toMatchObject({ visible: 1, inFlight: 0 });
    const [r2] = await q.receive({ visibilityTimeoutMs: 1000 });
    expect(r2).toMatchObject({ id: sent.id, receiveCount: 2, redelivered: true });
    expect(r2!.receipt).not.toBe(r1!.receipt);
    // r1 is stale now
    await rejects(q.deleteMessage(r1!.receipt), 'RECEIPT_INVALID');
    await q.deleteMessage(r2!.receipt);
    h.clock.advance(5_000);
    expect(await q.receive()).toEqual([]);
    expect(q.stats()).toMatchObject({ visible: 0, inFlight: 0, enqueued: 1, dequeued: 1 });
    expect(await h.store.loadMessages('q')).toEqual([]);
  });

  it('changeVisibility extends, shortens and with 0 releases at once', async () => {
    const h = await harness();
    const q = await h.open('q', { visibilityTimeoutMs: 1_000 });
    await q.send(msg('a'));
    const [r] = await q.receive();
    q.changeVisibility(r!.receipt, 60_000);
    h.clock.advance(59_000);
    expect(await q.receive()).toEqual([]);
    q.changeVisibility(r!.receipt, 500);
    h.clock.advance(499);
    expect(await q.receive()).toEqual([]);
    h.clock.advance(1);
    // visible again: the latest receipt can still delete it (SQS), but not change its visibility
    throws(() => q.changeVisibility(r!.receipt, 10), 'RECEIPT_INVALID');
    const [again] = await q.receive();
    q.changeVisibility(again!.receipt, 0);
    const [third] = await q.receive();
    expect(third).toMatchObject({ receiveCount: 3 });
    throws(() => q.changeVisibility(third!.receipt, 43_200_001), 'INVALID_ARGUMENT');
    throws(() => q.changeVisibility('garbage', 10), 'RECEIPT_INVALID');
  });

  it('a receipt stays valid for delete after its timeout until the message is received again', async () => {
    const h = await harness();
    const q = await h.open('q', { visibilityTimeoutMs: 1_000 });
    await q.send(msg('a'));
    const [r] = await q.receive();
    h.clock.advance(2_000);
    expect(q.stats().visible).toBe(1);
    await q.deleteMessage(r!.receipt);
    expect(q.stats()).toMatchObject({ visible: 0, inFlight: 0 });
    await rejects(q.deleteMessage(r!.receipt), 'RECEIPT_INVALID');
  });

  it('receives up to max (<= 10) and validates its options', async () => {
    const h = await harness();
    const q = await h.open('q');
    for (let i = 0; i < 15; i++) await q.send(msg(`m${i}`));
    expect(bodies(await q.receive())).toEqual(['m0']);
    expect(bodies(await q.receive({ max: 10 }))).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9', 'm10']);
    expect(await q.receive({ max: 10 })).toHaveLength(4);
    await rejects(q.receive({ max: 11 }), 'INVALID_ARGUMENT');
    await rejects(q.receive({ max: 0 }), 'INVALID_ARGUMENT');
    await rejects(q.receive({ max: 1.5 }), 'INVALID_ARGUMENT');
    await rejects(q.receive({ waitMs: 20_001 }), 'INVALID_ARGUMENT');
    await rejects(q.receive({ waitMs: -1 }), 'INVALID_ARGUMENT');
    await rejects(q.receive({ visibilityTimeoutMs: 43_200_001 }), 'INVALID_ARGUMENT');
  });

  it('long poll wakes on arrival with what is available', async () => {
    const h = await harness();
    const q = await h.open('q');
    const p = track(q.receive({ waitMs: 20_000, max: 5 }));
    await settle();
    expect(p.done()).toBe(false);
    expect(q.stats().waiting).toBe(1);
    h.clock.advance(5_000);
    await settle();
    expect(p.done()).toBe(false);
    await q.send(msg('x'));
    await settle();
    expect(p.done()).toBe(true);
    expect(bodies(p.value()!)).toEqual(['x']);
    expect(q.stats()).toMatchObject({ waiting: 0, inFlight: 1 });
    expect(h.clock.pendingTimers()).toBe(2); // visibility deadline + retention sweep; the poll timer is gone
  });

  it('long poll resolves [] at the wait timeout; queue receiveWaitMs is the default wait', async () => {
    const h = await harness();
    const q = await h.open('q', { receiveWaitMs: 3_000 });
    const p = track(q.receive());
    await settle();
    h.clock.advance(2_999);
    await settle();
    expect(p.done()).toBe(false);
    h.clock.advance(1);
    await settle();
    expect(p.done()).toBe(true);
    expect(p.value()).toEqual([]);
    // waitMs 0 overrides it: immediate
    expect(await q.receive({ waitMs: 0 })).toEqual([]);
  });

  it('long polls are served oldest first and wake when a delayed message becomes visible', async () => {
    const h = await harness();
    const q = await h.open('q');
    const a = track(q.receive({ waitMs: 20_000 }));
    const b = track(q.receive({ waitMs: 20_000 }));
    await q.send(msg('later'), { delayMs: 4_000 });
    await settle();
    expect(a.done() || b.done()).toBe(false);
    h.clock.advance(4_000);
    await settle();
    expect(bodies(a.value() ?? [])).toEqual(['later']);
    expect(b.done()).toBe(false);
    await q.send(msg('next'));
    await settle();
    expect(bodies(b.value() ?? [])).toEqual(['next']);
  });

  it('an aborted long poll resolves [] and takes nothing', async () => {
    const h = await harness();
    const q = await h.open('q');
    const ac = new AbortController();
    const p = track(q.receive({ waitMs: 20_000, signal: ac.signal }));
    await settle();
    ac.abort();
    await settle();
    expect(p.value()).toEqual([]);
    await q.send(msg('x'));
    await settle();
    expect(q.stats()).toMatchObject({ visible: 1, waiting: 0 });
  });

  it('queue delay and per-message delay keep messages invisible until availableAt', async () => {
    const h = await harness();
    const q = await h.open('q', { delayMs: 2_000 });
    await q.send(msg('queue-delay'));
    await q.send(msg('own-delay'), { delayMs: 10_000 });
    await q.send(msg('no-delay'), { delayMs: 0 });
    expect(q.stats()).toMatchObject({ visible: 1, delayed: 2 });
    expect(bodies(await q.receive({ max: 10 }))).toEqual(['no-delay']);
    h.clock.advance(2_000);
    expect(bodies(await q.receive({ max: 10 }))).toEqual(['queue-delay']);
    h.clock.advance(7_999);
    expect(await q.receive()).toEqual([]);
    h.clock.advance(1);
    expect(bodies(await q.receive())).toEqual(['own-delay']);
    await rejects(q.send(msg('x'), { delayMs: 900_001 }), 'INVALID_ARGUMENT');
    const [row] = (await h.store.loadMessages('q')).filter((r) => r.message.body.toString() === 'own-delay');
    expect(row!.availableAt - row!.enqueuedAt).toBe(10_000);
  });

  it('drops messages whose TTL has passed, counting them as expired, never delivering them', async () => {
    const h = await harness();
    const q = await h.open('q');
    const now = h.clock.now();
    await q.send(msg('dead-on-arrival', { properties: { expiresAt: now } }));
    await q.send(msg('short', { properties: { expiresAt: now + 1_000 } }));
    await q.send(msg('long', { properties: { expiresAt: now + 100_000 } }));
    expect(q.stats()).toMatchObject({ expired: 1, visible: 2 });
    h.clock.advance(1_000);
    expect(bodies(await q.receive({ max: 10 }))).toEqual(['long']);
    expect(q.stats()).toMatchObject({ expired: 2, visible: 0, inFlight: 1 });
    expect((await h.store.loadMessages('q')).map((r) => r.message.body.toString())).toEqual(['long']);
  });

  it('TTL expiry is also swept without a receive', async () => {
    const h = await harness();
    const q = await h.open('q', {}, { sweepIntervalMs: 10_000 });
    await q.send(msg('short', { properties: { expiresAt: h.clock.now() + 5_000 } }));
    await q.send(msg('keep'));
    h.clock.advance(10_000);
    expect(q.stats()).toMatchObject({ expired: 1, visible: 1 });
    expect(await h.store.loadMessages('q')).toHaveLength(1);
  });

  it('retention deletes messages older than retentionMs (sweep and lazily)', async () => {
    const h = await harness();
    const q = await h.open('q', { retentionMs: 120_000 });
    await q.send(msg('old'));
    h.clock.advance(30_000);
    await q.send(msg('newer'));
    h.clock.advance(90_000); // old is exactly 120 s old; the 60 s sweep at t=120 s drops it
    expect(q.stats()).toMatchObject({ expired: 1, visible: 1 });
    expect(bodies(await q.receive())).toEqual(['newer']);
    // in flight past retention: dropped when it comes back, not delivered again
    h.clock.advance(40_000);
    expect(q.stats()).toMatchObject({ inFlight: 0, visible: 1 });
    expect(await q.receive()).toEqual([]);
    expect(q.stats()).toMatchObject({ expired: 2, visible: 0 });
    expect(await h.store.loadMessages('q')).toEqual([]);
  });

  it('delivers higher priority first, then by seq, including redeliveries', async () => {
    const h = await harness();
    const q = await h.open('q', { visibilityTimeoutMs: 1_000 });
    await q.send(msg('low', { properties: { priority: 1 } }));
    await q.send(msg('default1'));
    await q.send(msg('high', { properties: { priority: 9 } }));
    await q.send(msg('default2'));
    await q.send(msg('high2', { properties: { priority: 9 } }));
    const [first] = await q.receive();
    expect(bodies([first!])).toEqual(['high']);
    h.clock.advance(1_000); // 'high' comes back ahead of 'high2'
    expect(bodies(await q.receive({ max: 10 }))).toEqual(['high', 'high2', 'default1', 'default2', 'low']);
  });

  it('rejects oversize messages and reports depth stats', async () => {
    const h = await harness();
    const q = await h.open('q', { maxMessageBytes: 10 });
    await rejects(q.send(msg('12345678901')), 'MESSAGE_TOO_LARGE');
    await rejects(q.send(msg('12345', { headers: { abcdef: 'x' } })), 'MESSAGE_TOO_LARGE');
    await q.send(msg('1234567890'));
    await q.send(msg('d'), { delayMs: 1_000 });
    await q.send(msg('v'));
    await q.receive();
    expect(q.stats()).toEqual({
      visible: 1, inFlight: 1, delayed: 1, consumers: 0, waiting: 0,
      enqueued: 3, dequeued: 0, expired: 0, deadLettered: 0, duplicates: 0, purged: 0, rejected: 0,
      overflowed: 0, refused: 0, deliveryLimitDropped: 0,
    });
  });

  it('purge removes everything but unacked push deliveries, in memory and in the store', async () => {
    const h = await harness();
    const q = await h.open('q');
    for (const b of ['a', 'b', 'c', 'd']) await q.send(msg(b));
    const held: number[] = [];
    const c = q.addConsumer({ prefetch: 1, onMessage: (d) => { held.push(d.tag); } });
    await settle();
    await q.receive(); // b in flight (pull)
    await q.send(msg('e'), { delayMs: 5_000 });
    expect(await q.purge()).toBe(4);
    expect(q.stats()).toMatchObject({ visible: 0, inFlight: 1, delayed: 0, purged: 4 });
    expect((await h.store.loadMessages('q')).map((r) => r.message.body.toString())).toEqual(['a']);
    await c.ack(held[0]!);
    expect(await h.store.loadMessages('q')).toEqual([]);
  });

  it('non-persistent messages and non-durable queues never touch the store', async () => {
    const h = await harness();
    const q = await h.open('q');
    await q.send(msg('np', { persistent: false }));
    expect(await h.store.loadMessages('q')).toEqual([]);
    const t = await h.open('temp', { durable: false });
    await t.send(msg('p'));
    const [r] = await t.receive();
    await t.deleteMessage(r!.receipt);
    expect(await h.store.loadMessages('temp')).toEqual([]);
    expect((await q.receive()).length).toBe(1);
  });

  it('close ends long polls with [] and rejects further calls', async () => {
    const h = await harness();
    const q = await h.open('q');
    const p = track(q.receive({ waitMs: 20_000 }));
    await settle();
    q.close();
    await settle();
    expect(p.value()).toEqual([]);
    expect(h.clock.pendingTimers()).toBe(0);
    await rejects(q.send(msg('x')), 'NOT_FOUND');
    await rejects(q.receive(), 'NOT_FOUND');
  });
});
