import { describe, expect, it } from 'vitest';
import { isBrokerError } from '../../../src/core/errors.js';
import type { QueueDelivery } from '../../../src/core/queue/types.js';
import { harness, msg, recorder, settle } from './helpers.js';

async function filled(n: number, name = 'q', attrs: Record<string, unknown> = {}) {
  const h = await harness();
  const q = await h.open(name, attrs);
  for (let i = 0; i < n; i++) await q.send(msg(`m${i}`));
  return { h, q };
}

describe('Queue push consumers', () => {
  it('dispatches round-robin across consumers with capacity, in order', async () => {
    const { q } = await filled(6);
    const a = recorder();
    const b = recorder();
    q.addConsumer({ onMessage: a.onMessage });
    q.addConsumer({ onMessage: b.onMessage });
    await settle();
    expect(a.bodies()).toEqual(['m0', 'm2', 'm4']);
    expect(b.bodies()).toEqual(['m1', 'm3', 'm5']);
    expect(new Set([...a.got, ...b.got].map((d) => d.tag)).size).toBe(6);
    expect(q.stats()).toMatchObject({ visible: 0, inFlight: 6, consumers: 2 });
  });

  it('never delivers synchronously inside addConsumer or send', async () => {
    const { q } = await filled(1);
    const r = recorder();
    q.addConsumer({ onMessage: r.onMessage });
    expect(r.got).toHaveLength(0);
    await settle();
    expect(r.got).toHaveLength(1);
    void q.send(msg('n'));
    expect(r.got).toHaveLength(1);
    await settle();
    expect(r.got).toHaveLength(2);
  });

  it('prefetch bounds unacked deliveries; ack frees capacity and deletes from the store', async () => {
    const { h, q } = await filled(5);
    const r = recorder();
    const c = q.addConsumer({ prefetch: 2, onMessage: r.onMessage });
    await settle();
    expect(r.bodies()).toEqual(['m0', 'm1']);
    expect(c.unacked).toBe(2);
    await c.ack(r.got[0]!.tag);
    await settle();
    expect(r.bodies()).toEqual(['m0', 'm1', 'm2']);
    expect((await h.store.loadMessages('q')).map((x) => x.message.body.toString())).toEqual(['m1', 'm2', 'm3', 'm4']);
    c.setPrefetch(4);
    await settle();
    expect(r.got).toHaveLength(5);
    expect(c.unacked).toBe(4);
    const err: unknown = await c.ack(r.got[0]!.tag).then(() => undefined, (e: unknown) => e);
    expect(isBrokerError(err, 'RECEIPT_INVALID')).toBe(true);
    expect(() => c.setPrefetch(0)).toThrow(/prefetch/);
    expect(() => q.addConsumer({ prefetch: -1, onMessage: () => {} })).toThrow(/prefetch/);
    expect(q.stats().consumers).toBe(1);
  });

  it('credit mode: each delivery consumes a credit; addCredit/setCredit/drain', async () => {
    const { q } = await filled(10);
    const r = recorder();
    const c = q.addConsumer({ credit: 0, prefetch: Infinity, onMessage: r.onMessage });
    await settle();
    expect(r.got).toHaveLength(0);
    c.addCredit(3);
    await settle();
    expect(r.bodies()).toEqual(['m0', 'm1', 'm2']);
    expect(c.credit).toBe(0);
    c.setCredit(2);
    await settle();
    expect(r.got).toHaveLength(5);
    c.addCredit(100);
    await settle();
    expect(r.got).toHaveLength(10);
    expect(c.credit).toBe(95);
    expect(c.drain()).toBe(95);
    expect(c.credit).toBe(0);
    await q.send(msg('late'));
    await settle();
    expect(r.got).toHaveLength(10);
    c.setCredit(1);
    expect(c.drain()).toBe(0); // drain delivers what is available first
    expect(r.got).toHaveLength(11);
  });

  it('autoAck removes the message at dispatch (store included); unacked stays 0', async () => {
    const { h, q } = await filled(3);
    const r = recorder();
    const c = q.addConsumer({ autoAck: true, prefetch: 1, onMessage: r.onMessage });
    await settle();
    expect(r.bodies()).toEqual(['m0', 'm1', 'm2']);
    expect(c.unacked).toBe(0);
    expect(q.stats()).toMatchObject({ visible: 0, inFlight: 0, dequeued: 3 });
    expect(await h.store.loadMessages('q')).toEqual([]);
    const err: unknown = await c.ack(r.got[0]!.tag).then(() => undefined, (e: unknown) => e);
    expect(isBrokerError(err, 'RECEIPT_INVALID')).toBe(true);
  });

  it('close requeues unacked messages, redelivered, in their original order', async () => {
    const { q } = await filled(3);
    const a = recorder();
    const ca = q.addConsumer({ onMessage: a.onMessage });
    await settle();
    expect(a.got).toHaveLength(3);
    await ca.ack(a.got[1]!.tag);
    const b = recorder();
    q.addConsumer({ onMessage: b.onMessage });
    ca.close();
    expect(q.stats()).toMatchObject({ visible: 2, inFlight: 0, consumers: 1 });
    await settle();
    expect(b.bodies()).toEqual(['m0', 'm2']);
    expect(b.got.map((d) => [d.receiveCount, d.redelivered])).toEqual([[2, true], [2, true]]);
    expect(ca.closed).toBe(true);
  });

  it('nack requeue (default) redelivers; countDelivery:false (released) does not bump the receive count', async () => {
    const { h, q } = await filled(1);
    const r = recorder();
    const c = q.addConsumer({ onMessage: r.onMessage });
    await settle();
    expect(r.got[0]).toMatchObject({ receiveCount: 1, redelivered: false });
    c.nack(r.got[0]!.tag, { countDelivery: false });
    await settle();
    expect(r.got[1]).toMatchObject({ receiveCount: 1, redelivered: false });
    c.nack(r.got[1]!.tag);
    await settle();
    expect(r.got[2]).toMatchObject({ receiveCount: 2, redelivered: true });
    expect((await h.store.loadMessages('q'))[0]!.receiveCount).toBe(2);
    expect(() => c.nack(r.got[0]!.tag)).toThrow(/receipt|tag/);
  });

  it('nack with delayMs keeps the message invisible for that long', async () => {
    const { h, q } = await filled(1);
    const r = recorder();
    const c = q.addConsumer({ onMessage: r.onMessage });
    await settle();
    c.nack(r.got[0]!.tag, { delayMs: 5_000 });
    await settle();
    expect(r.got).toHaveLength(1);
    expect(q.stats()).toMatchObject({ delayed: 1, inFlight: 0 });
    h.clock.advance(5_000);
    expect(r.got).toHaveLength(2);
  });

  it('nack requeue:false without a dead-letter queue drops the message', async () => {
    const { h, q } = await filled(2);
    const r = recorder();
    const c = q.addConsumer({ onMessage: r.onMessage });
    await settle();
    c.nack(r.got[0]!.tag, { requeue: false });
    c.close({ requeue: false });
    await settle();
    expect(q.stats()).toMatchObject({ visible: 0, inFlight: 0, rejected: 2 });
    expect(await h.store.loadMessages('q')).toEqual([]);
  });

  it('onMessage may ack synchronously; a throwing onMessage leaves the delivery unacked', async () => {
    const { q } = await filled(5);
    const seen: string[] = [];
    // eslint-disable-next-line prefer-const
    let c: ReturnType<typeof q.addConsumer>;
    c = q.addConsumer({
      prefetch: 1,
      onMessage: (d: QueueDelivery) => {
        seen.push(d.message.body.toString());
        void c.ack(d.tag);
      },
    });
    await settle();
    expect(seen).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(q.stats()).toMatchObject({ visible: 0, inFlight: 0, dequeued: 5 });

    c.close();
    await q.send(msg('boom'));
    const bad = q.addConsumer({ prefetch: 5, onMessage: () => { throw new Error('front-end bug'); } });
    await settle();
    expect(bad.unacked).toBe(1);
    bad.close();
    expect(q.stats()).toMatchObject({ visible: 1 });
  });

  it('serves pending long polls before push consumers', async () => {
    const h = await harness();
    const q = await h.open('q');
    const r = recorder();
    q.addConsumer({ credit: 0, onMessage: r.onMessage });
    const p = q.receive({ waitMs: 20_000, max: 2 });
    await settle();
    const c = q.listConsumers()[0]!;
    expect(c).toMatchObject({ credit: 0, unacked: 0, autoAck: false });
    for (const b of ['a', 'b', 'c']) void q.send(msg(b));
    await settle();
    expect((await p).map((m) => m.message.body.toString())).toEqual(['a', 'b']);
    expect(q.stats().visible).toBe(1);
    void h;
  });

  it('queue close detaches consumers without store side effects and tells them', async () => {
    const { h, q } = await filled(2);
    const r = recorder();
    const reasons: string[] = [];
    const c = q.addConsumer({ onMessage: r.onMessage, onClosed: (why) => reasons.push(why) });
    await settle();
    q.close();
    expect(reasons).toEqual(['queue closed']);
    expect(c.closed).toBe(true);
    expect(c.unacked).toBe(0);
    expect(await h.store.loadMessages('q')).toHaveLength(2);
    expect(h.clock.pendingTimers()).toBe(0);
  });
});
