import { describe, expect, it } from 'vitest';
import { bodies, harness, msg, settle } from './helpers.js';

describe('Queue restart (Queue.open on the same store)', () => {
  it('persistent messages come back visible with receive counts kept; non-persistent ones are gone', async () => {
    const h = await harness();
    const q = await h.open('q', { visibilityTimeoutMs: 60_000 });
    await q.send(msg('p1'));
    await q.send(msg('np1', { persistent: false }));
    await q.send(msg('p2'));
    await q.send(msg('p3-delayed'), { delayMs: 30_000 });
    await q.send(msg('p4'));
    const received = await q.receive({ max: 2 }); // p1, np1
    expect(bodies(received)).toEqual(['p1', 'np1']);
    await q.deleteMessage((await q.receive())[0]!.receipt); // p2 deleted
    let pushed = 0;
    q.addConsumer({ onMessage: () => { pushed += 1; } }); // takes p4, never acks
    await settle();
    expect(pushed).toBe(1);
    q.close();

    const r = await h.open('q', { visibilityTimeoutMs: 60_000 });
    expect(r.stats()).toMatchObject({ visible: 2, delayed: 1, inFlight: 0, enqueued: 0 });
    const got = await r.receive({ max: 10 });
    expect(got.map((m) => [m.message.body.toString(), m.receiveCount, m.redelivered])).toEqual([
      ['p1', 2, true],
      ['p4', 2, true],
    ]);
    h.clock.advance(30_000);
    const [delayed] = await r.receive();
    expect(delayed).toMatchObject({ receiveCount: 1, redelivered: false });
    expect(delayed!.message.body.toString()).toBe('p3-delayed');
    // new sends continue after the highest stored seq
    const next = await r.send(msg('p5'));
    expect(next.seq).toBeGreaterThan(got[1]!.seq);
  });

  it('a non-durable queue starts empty', async () => {
    const h = await harness();
    const t = await h.open('t', { durable: false });
    await t.send(msg('x'));
    t.close();
    const t2 = await h.open('t', { durable: false });
    expect(t2.stats().visible).toBe(0);
  });

  it('receive counts reach the store so a dead-letter threshold survives restarts', async () => {
    const h = await harness();
    await h.open('dlq');
    const q = await h.open('q', { deadLetterQueue: 'dlq', maxReceiveCount: 2 });
    await q.send(msg('poison'));
    await q.receive();
    q.close();
    const q2 = await h.open('q', { deadLetterQueue: 'dlq', maxReceiveCount: 2 });
    await q2.receive();
    q2.close();
    const q3 = await h.open('q', { deadLetterQueue: 'dlq', maxReceiveCount: 2 });
    expect(await q3.receive()).toEqual([]);
    expect(q3.stats().deadLettered).toBe(1);
    expect(h.queues.get('dlq')!.stats().visible).toBe(1);
  });
});
