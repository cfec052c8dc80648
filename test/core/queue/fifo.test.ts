import { describe, expect, it } from 'vitest';
import { isBrokerError } from '../../../src/core/errors.js';
import { bodies, harness, msg, recorder, settle } from './helpers.js';

const m = (body: string, groupId: string, dedupId = `${groupId}:${body}`) => msg(body, { groupId, dedupId });

describe('FIFO queues', () => {
  it('keeps strict order within a group: one in flight, the same message next if it comes back', async () => {
    const h = await harness();
    const q = await h.open('q.fifo', { visibilityTimeoutMs: 1_000 });
    for (const b of ['1', '2', '3']) await q.send(m(b, 'g'));
    expect(bodies(await q.receive({ max: 10 }))).toEqual(['1']);
    expect(await q.receive({ max: 10 })).toEqual([]); // group blocked
    await q.send(m('4', 'g')); // arrival into a blocked group does not unblock it
    expect(await q.receive({ max: 10 })).toEqual([]);
    expect(q.stats()).toMatchObject({ visible: 3, inFlight: 1 });
    h.clock.advance(1_000);
    const [again] = await q.receive({ max: 10 });
    expect(again).toMatchObject({ receiveCount: 2 });
    expect(again!.message.body.toString()).toBe('1');
    await q.deleteMessage(again!.receipt);
    const [two] = await q.receive({ max: 10 });
    expect(two!.message.body.toString()).toBe('2');
    q.changeVisibility(two!.receipt, 0);
    const [twoAgain] = await q.receive();
    expect(twoAgain!.message.body.toString()).toBe('2');
  });

  it('serves different groups in parallel, in arrival order across groups; priority is ignored', async () => {
    const h = await harness();
    const q = await h.open('q.fifo');
    await q.send(m('a1', 'a'));
    await q.send(msg('b1', { groupId: 'b', dedupId: 'b1', properties: { priority: 9 } }));
    await q.send(m('a2', 'a'));
    await q.send(m('c1', 'c'));
    expect(bodies(await q.receive({ max: 10 }))).toEqual(['a1', 'b1', 'c1']);
  });

  it('push consumers: one unacked per group; ack releases the next, nack redelivers the same', async () => {
    const h = await harness();
    const q = await h.open('q.fifo');
    for (const b of ['1', '2', '3']) await q.send(m(b, 'x'));
    await q.send(m('1', 'y'));
    const got: Array<{ label: string; tag: number; count: number }> = [];
    const c = q.addConsumer({ prefetch: 100, onMessage: (d) => { got.push({ label: `${d.message.groupId}${d.message.body.toString()}`, tag: d.tag, count: d.receiveCount }); } });
    await settle();
    expect(got.map((g) => g.label)).toEqual(['x1', 'y1']);
    await c.ack(got[0]!.tag);
    await settle();
    expect(got.map((g) => g.label)).toEqual(['x1', 'y1', 'x2']);
    c.nack(got[2]!.tag);
    await settle();
    expect(got.map((g) => `${g.label}#${g.count}`)).toEqual(['x1#1', 'y1#1', 'x2#1', 'x2#2']);
    c.close();
    await settle();
    // x2 back at the head of x, y1 back at the head of y
    expect(bodies(await q.receive({ max: 10 })).sort()).toEqual(['1', '2']);
  });

  it('deduplicates by dedupId within 5 minutes from the first send', async () => {
    const h = await harness();
    const q = await h.open('q.fifo', {}, { sweepIntervalMs: 3_600_000 }); // the lazy check, not the sweep's prune
    const first = await q.send(msg('a', { groupId: 'g', dedupId: 'd1' }));
    h.clock.advance(4 * 60_000);
    const dup = await q.send(msg('a-retry', { groupId: 'g', dedupId: 'd1' }));
    expect(dup).toEqual({ id: first.id, seq: first.seq, duplicate: true });
    expect(q.stats()).toMatchObject({ visible: 1, duplicates: 1, enqueued: 1 });
    h.clock.advance(60_000); // 5 minutes since the first send: window over
    const fresh = await q.send(msg('a-again', { groupId: 'g', dedupId: 'd1' }));
    expect(fresh.duplicate).toBe(false);
    expect(fresh.id).not.toBe(first.id);
    expect(bodies(await q.receive({ max: 10 }))).toEqual(['a']);
  });

  it('content-based deduplication hashes the body when no dedupId is given', async () => {
    const h = await harness();
    const q = await h.open('q.fifo', { contentBasedDeduplication: true });
    const a = await q.send(msg('same', { groupId: 'g' }));
    const b = await q.send(msg('same', { groupId: 'other' }));
    const c = await q.send(msg('different', { groupId: 'g' }));
    const d = await q.send(msg('same', { groupId: 'g', dedupId: 'explicit' }));
    expect(b).toMatchObject({ id: a.id, duplicate: true });
    expect(c.duplicate).toBe(false);
    expect(d.duplicate).toBe(false);
    h.clock.advance(5 * 60_000);
    expect((await q.send(msg('same', { groupId: 'g' }))).duplicate).toBe(false);
  });

  it('requires groupId and dedupId, and refuses per-message delay', async () => {
    const h = await harness();
    const q = await h.open('q.fifo', { delayMs: 1_000 });
    const code = async (p: Promise<unknown>) => {
      const err: unknown = await p.then(() => undefined, (e: unknown) => e);
      return isBrokerError(err) ? err.code : String(err);
    };
    expect(await code(q.send(msg('x', { dedupId: 'd' })))).toBe('INVALID_ARGUMENT');
    expect(await code(q.send(msg('x', { groupId: 'g' })))).toBe('INVALID_ARGUMENT');
    expect(await code(q.send(msg('x', { groupId: 'g', dedupId: 'd' }), { delayMs: 5 }))).toBe('INVALID_ARGUMENT');
    // the queue delay applies to FIFO queues
    await q.send(msg('x', { groupId: 'g', dedupId: 'd' }));
    expect(q.stats().delayed).toBe(1);
    h.clock.advance(1_000);
    expect(bodies(await q.receive())).toEqual(['x']);
  });

  it('a delayed (nacked with delay) head blocks its group until it is due', async () => {
    const h = await harness();
    const q = await h.open('q.fifo');
    await q.send(m('1', 'g'));
    await q.send(m('2', 'g'));
    const r = recorder();
    const c = q.addConsumer({ onMessage: r.onMessage });
    await settle();
    c.nack(r.got[0]!.tag, { delayMs: 10_000 });
    await q.send(m('3', 'g'));
    await settle();
    expect(r.got).toHaveLength(1);
    h.clock.advance(9_999);
    expect(r.got).toHaveLength(1);
    h.clock.advance(1);
    expect(r.bodies()).toEqual(['1', '1']);
    await c.ack(r.got[1]!.tag);
    await settle();
    expect(r.bodies()).toEqual(['1', '1', '2']);
  });

  it('keeps the dedup window across a restart for durable queues', async () => {
    const h = await harness();
    const q = await h.open('q.fifo');
    const first = await q.send(msg('a', { groupId: 'g', dedupId: 'd1' }));
    q.close();
    const again = await h.open('q.fifo');
    const dup = await again.send(msg('a', { groupId: 'g', dedupId: 'd1' }));
    expect(dup).toMatchObject({ id: first.id, duplicate: true });
    h.clock.advance(5 * 60_000);
    expect((await again.send(msg('a', { groupId: 'g', dedupId: 'd1' }))).duplicate).toBe(false);
    expect(bodies(await again.receive({ max: 10 }))).toEqual(['a']);
  });
});
