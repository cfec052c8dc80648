/** maxPriority (x-max-priority) and singleActiveConsumer (x-single-active-consumer). */
import { describe, expect, it } from 'vitest';
import { bodies, harness, msg, recorder, settle } from './helpers.js';

const p = (body: string, priority?: number) => msg(body, priority === undefined ? {} : { properties: { priority } });

describe('Queue maxPriority', () => {
  it('null (default): the core priority as is, absent = 4', async () => {
    const h = await harness();
    const q = await h.open('q');
    for (const m of [p('p1', 1), p('none'), p('p9', 9), p('p200', 200)]) await q.send(m);
    expect(bodies(await q.receive({ max: 10 }))).toEqual(['p200', 'p9', 'none', 'p1']);
  });

  it('1..255: priorities above are capped (then enqueue order), absent counts as 0', async () => {
    const h = await harness();
    const q = await h.open('q', { maxPriority: 5 });
    for (const m of [p('none'), p('p9', 9), p('p1', 1), p('p5', 5), p('p0', 0)]) await q.send(m);
    expect(bodies(await q.receive({ max: 10 }))).toEqual(['p9', 'p5', 'p1', 'none', 'p0']);
  });

  it('0: priority ignored, strict enqueue order (a RabbitMQ classic queue without x-max-priority)', async () => {
    const h = await harness();
    const q = await h.open('q', { maxPriority: 0 });
    for (const m of [p('a', 1), p('b', 9), p('c')]) await q.send(m);
    expect(bodies(await q.receive({ max: 10 }))).toEqual(['a', 'b', 'c']);
  });
});

describe('Queue singleActiveConsumer', () => {
  it('only the first attached consumer receives; the next takes over (with the requeued unacked) when it goes', async () => {
    const h = await harness();
    const q = await h.open('q', { singleActiveConsumer: true });
    const a = recorder();
    const b = recorder();
    const c = recorder();
    const ca = q.addConsumer({ onMessage: a.onMessage, prefetch: 2, tag: 'a' });
    const cb = q.addConsumer({ onMessage: b.onMessage, tag: 'b' });
    q.addConsumer({ onMessage: c.onMessage, tag: 'c' });
    for (const m of ['m1', 'm2', 'm3']) await q.send(msg(m));
    await settle();
    // a is at its prefetch: the others still wait
    expect([a.bodies(), b.bodies(), c.bodies()]).toEqual([['m1', 'm2'], [], []]);
    expect(q.listConsumers().map((i) => [i.tag, i.active])).toEqual([['a', true], ['b', false], ['c', false]]);
    expect(q.activeConsumer()?.tag).toBe('a');
    await ca.ack(a.got[0]!.tag);
    await settle();
    expect(a.bodies()).toEqual(['m1', 'm2', 'm3']);
    ca.close(); // m2 and m3 unacked: requeued to b
    await settle();
    expect(b.bodies()).toEqual(['m2', 'm3']);
    expect(b.got.every((d) => d.redelivered)).toBe(true);
    expect(q.activeConsumer()?.tag).toBe('b');
    cb.close();
    await settle();
    expect(c.bodies()).toEqual(['m2', 'm3']);
    expect(q.listConsumers().map((i) => [i.tag, i.active])).toEqual([['c', true]]);
  });

  it('pull receives are served as usual', async () => {
    const h = await harness();
    const q = await h.open('q', { singleActiveConsumer: true });
    await q.send(msg('m1'));
    expect(bodies(await q.receive())).toEqual(['m1']);
  });

  it('without it, consumers share round-robin (unchanged)', async () => {
    const h = await harness();
    const q = await h.open('q');
    const a = recorder();
    const b = recorder();
    q.addConsumer({ onMessage: a.onMessage });
    q.addConsumer({ onMessage: b.onMessage });
    for (const m of ['m1', 'm2']) await q.send(msg(m));
    await settle();
    expect([a.bodies(), b.bodies()]).toEqual([['m1'], ['m2']]);
    expect(q.listConsumers().every((i) => i.active)).toBe(true);
  });
});
