import { describe, expect, it } from 'vitest';
import { bodies, harness, msg, recorder, settle } from './helpers.js';

describe('Queue dead-letter redrive', () => {
  it('pull: moves the message on the receive attempt after maxReceiveCount', async () => {
    const h = await harness();
    const dlq = await h.open('dlq');
    const q = await h.open('q', { visibilityTimeoutMs: 1_000, deadLetterQueue: 'dlq', maxReceiveCount: 2 });
    const sent = await q.send(msg('poison', { headers: { k: 'v' }, properties: { correlationId: 'c1' } }));
    await q.send(msg('fine'));
    const [r1] = await q.receive();
    expect(r1).toMatchObject({ id: sent.id, receiveCount: 1 });
    h.clock.advance(1_000);
    const [r2] = await q.receive();
    expect(r2).toMatchObject({ id: sent.id, receiveCount: 2 });
    h.clock.advance(1_000);
    // third attempt: poison is dead-lettered, 'fine' is delivered instead
    expect(bodies(await q.receive())).toEqual(['fine']);
    expect(q.stats()).toMatchObject({ deadLettered: 1, visible: 0, inFlight: 1 });
    const [moved] = await dlq.receive();
    expect(moved).toMatchObject({ id: sent.id, receiveCount: 1 });
    expect(moved!.message.headers).toEqual({ k: 'v' });
    expect(moved!.message.properties.correlationId).toBe('c1');
    expect(moved!.message.body.toString()).toBe('poison');
    expect(dlq.stats().enqueued).toBe(1);
    // store: gone from q, present in dlq
    expect((await h.store.loadMessages('q')).map((r) => r.message.body.toString())).toEqual(['fine']);
    expect((await h.store.loadMessages('dlq')).map((r) => r.id)).toEqual([sent.id]);
  });

  it('push: a message nacked maxReceiveCount times goes to the DLQ instead of a 4th delivery', async () => {
    const h = await harness();
    const dlq = await h.open('dlq');
    const q = await h.open('q', { deadLetterQueue: 'dlq', maxReceiveCount: 3 });
    await q.send(msg('poison'));
    const counts: number[] = [];
    const c = q.addConsumer({ onMessage: (d) => { counts.push(d.receiveCount); c.nack(d.tag); } });
    await settle();
    expect(counts).toEqual([1, 2, 3]);
    expect(q.stats()).toMatchObject({ deadLettered: 1, visible: 0, inFlight: 0 });
    expect(dlq.stats().visible).toBe(1);
  });

  it('released deliveries (countDelivery:false) never reach the DLQ threshold', async () => {
    const h = await harness();
    const dlq = await h.open('dlq');
    const q = await h.open('q', { deadLetterQueue: 'dlq', maxReceiveCount: 1 });
    await q.send(msg('m'));
    let n = 0;
    const c = q.addConsumer({ onMessage: (d) => { n += 1; if (n < 5) c.nack(d.tag, { countDelivery: false }); } });
    await settle();
    expect(n).toBe(5);
    expect(dlq.stats().visible).toBe(0);
  });

  it('nack requeue:false and consumer close requeue:false dead-letter when a DLQ is set', async () => {
    const h = await harness();
    const dlq = await h.open('dlq');
    const q = await h.open('q', { deadLetterQueue: 'dlq', maxReceiveCount: 10 });
    await q.send(msg('a'));
    await q.send(msg('b'));
    const r = recorder();
    const c = q.addConsumer({ onMessage: r.onMessage });
    await settle();
    c.nack(r.got[0]!.tag, { requeue: false });
    c.close({ requeue: false });
    expect(q.stats()).toMatchObject({ deadLettered: 2, rejected: 0, visible: 0, inFlight: 0 });
    expect(bodies(await dlq.receive({ max: 10 }))).toEqual(['a', 'b']);
    expect(await h.store.loadMessages('q')).toEqual([]);
  });

  it('without a resolvable DLQ the message is still delivered (and logged), not lost', async () => {
    const h = await harness();
    const q = await h.open('q', { visibilityTimeoutMs: 0, deadLetterQueue: 'missing', maxReceiveCount: 1 });
    await q.send(msg('m'));
    await q.receive();
    h.clock.advance(0);
    const [again] = await q.receive();
    expect(again).toMatchObject({ receiveCount: 2 });
    expect(q.stats().deadLettered).toBe(0);
  });

  it('FIFO: dead-lettering the group head unblocks the next message of the group', async () => {
    const h = await harness();
    const dlq = await h.open('dlq.fifo');
    const q = await h.open('q.fifo', { visibilityTimeoutMs: 1_000, deadLetterQueue: 'dlq.fifo', maxReceiveCount: 1 });
    await q.send(msg('1', { groupId: 'g', dedupId: '1' }));
    await q.send(msg('2', { groupId: 'g', dedupId: '2' }));
    expect(bodies(await q.receive({ max: 10 }))).toEqual(['1']);
    h.clock.advance(1_000);
    expect(bodies(await q.receive({ max: 10 }))).toEqual(['2']);
    const [moved] = await dlq.receive();
    expect(moved!.message.groupId).toBe('g');
    expect(moved!.message.body.toString()).toBe('1');
  });
});
