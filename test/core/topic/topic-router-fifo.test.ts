import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BrokerError } from '../../../src/core/errors.js';
import { TOPIC_DEDUP_WINDOW_MS, topicDedupScope } from '../../../src/core/topic/topic-dedup.js';
import { deferred, drain, harness, msg, Sink, track } from './helpers.js';

const FIFO = { fifo: true, contentBasedDeduplication: false };

describe('FIFO topics: publish requirements', () => {
  it('requires a group id and a dedup id', async () => {
    const { router } = await harness();
    router.declareTopic('orders.fifo', FIFO);
    await expect(router.publish('orders.fifo', msg('x', { dedupId: 'd' }))).rejects.toThrow(/requires a message group id/);
    await expect(router.publish('orders.fifo', msg('x', { groupId: 'g' }))).rejects.toThrow(/requires a deduplication id/);
    await expect(router.publish('orders.fifo', msg('x', { groupId: 'g', dedupId: 'd'.repeat(129) }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(router.publish('orders.fifo', msg('x', { groupId: 'g'.repeat(129), dedupId: 'd' }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(router.publish('orders.fifo', msg('x', { groupId: 'g', dedupId: 'd' }))).resolves.toMatchObject({ duplicate: false });
  });

  it('treats an undeclared .fifo topic as FIFO (attributes derived from the name)', async () => {
    const { router } = await harness();
    await expect(router.publish('auto.fifo', msg('x'))).rejects.toThrow(/group id/);
    // a standard topic ignores group and dedup ids
    const r1 = await router.publish('std', msg('x', { groupId: 'g', dedupId: 'd' }));
    const r2 = await router.publish('std', msg('x', { groupId: 'g', dedupId: 'd' }));
    expect([r1.duplicate, r2.duplicate]).toEqual([false, false]);
  });
});

describe('FIFO topics: deduplication window', () => {
  it('suppresses a duplicate within 5 minutes and accepts it again after', async () => {
    const { router, clock, enqueued } = await harness();
    router.declareTopic('orders.fifo', FIFO);
    const live = new Sink();
    router.subscribeLive('orders.fifo', live);
    await router.addQueueSubscription({ pattern: 'orders.fifo', queue: 'billing.fifo' });

    const first = await router.publish('orders.fifo', msg('a', { groupId: 'g', dedupId: 'd1' }));
    expect(first).toMatchObject({ delivered: 2, duplicate: false });

    clock.advance(TOPIC_DEDUP_WINDOW_MS - 1);
    const dup = await router.publish('orders.fifo', msg('a-again', { groupId: 'g', dedupId: 'd1' }));
    expect(dup).toEqual({ id: first.id, delivered: 0, duplicate: true });
    expect(live.bodies()).toEqual(['a']);
    expect(enqueued).toHaveLength(1);

    clock.advance(1);
    const later = await router.publish('orders.fifo', msg('a-later', { groupId: 'g', dedupId: 'd1' }));
    expect(later.duplicate).toBe(false);
    expect(later.id).not.toBe(first.id);
    expect(live.bodies()).toEqual(['a', 'a-later']);
    expect(router.stats('orders.fifo')).toMatchObject({ published: 2, duplicates: 1 });
  });

  it('deduplicates by body SHA-256 with contentBasedDeduplication; an explicit id wins', async () => {
    const { router, store } = await harness();
    router.declareTopic('c.fifo', { fifo: true, contentBasedDeduplication: true });
    const r1 = await router.publish('c.fifo', msg('same', { groupId: 'g' }));
    const r2 = await router.publish('c.fifo', msg('same', { groupId: 'other-group' }));
    const r3 = await router.publish('c.fifo', msg('different', { groupId: 'g' }));
    const r4 = await router.publish('c.fifo', msg('same', { groupId: 'g', dedupId: 'explicit' }));
    expect([r1.duplicate, r2.duplicate, r3.duplicate, r4.duplicate]).toEqual([false, true, false, false]);
    const hash = createHash('sha256').update('same').digest('hex');
    expect((await store.loadDedup(topicDedupScope('c.fifo'))).map((d) => d.dedupId)).toContain(hash);
  });

  it('sweeps expired ids from memory as time passes', async () => {
    const { router, clock } = await harness();
    router.declareTopic('s.fifo', FIFO);
    for (let i = 0; i < 5; i++) await router.publish('s.fifo', msg('x', { groupId: 'g', dedupId: `d${i}` }));
    expect(router.dedupWindowSize('s.fifo')).toBe(5);
    clock.advance(TOPIC_DEDUP_WINDOW_MS);
    await router.publish('s.fifo', msg('x', { groupId: 'g', dedupId: 'new' }));
    expect(router.dedupWindowSize('s.fifo')).toBe(1);
  });

  it('persists the window under its own scope, so a same-named FIFO queue keeps a separate one', async () => {
    const { router, store, clock } = await harness();
    router.declareTopic('orders.fifo', FIFO);
    const r = await router.publish('orders.fifo', msg('x', { groupId: 'g', dedupId: 'd1' }));
    expect(await store.loadDedup(topicDedupScope('orders.fifo'))).toEqual([
      { scope: 'topic:orders.fifo', dedupId: 'd1', messageId: r.id, expiresAt: clock.now() + TOPIC_DEDUP_WINDOW_MS },
    ]);
    expect(await store.loadDedup('orders.fifo')).toEqual([]);
  });

  it('survives a restart: a fresh router loads the window lazily on first publish', async () => {
    const h = await harness();
    h.router.declareTopic('orders.fifo', FIFO);
    const first = await h.router.publish('orders.fifo', msg('x', { groupId: 'g', dedupId: 'd1' }));

    const fresh = h.restart();
    await fresh.load(); // topic not declared yet: nothing preloaded
    fresh.declareTopic('orders.fifo', FIFO);
    const dup = await fresh.publish('orders.fifo', msg('x', { groupId: 'g', dedupId: 'd1' }));
    expect(dup).toEqual({ id: first.id, delivered: 0, duplicate: true });

    // and it expires on schedule after the restart as well
    h.clock.advance(TOPIC_DEDUP_WINDOW_MS);
    const third = h.restart();
    expect((await third.publish('orders.fifo', msg('x', { groupId: 'g', dedupId: 'd1' }))).duplicate).toBe(false);
  });

  it('load() preloads declared FIFO topics', async () => {
    const h = await harness();
    h.router.declareTopic('p.fifo', FIFO);
    await h.router.publish('p.fifo', msg('x', { groupId: 'g', dedupId: 'd1' }));
    const fresh = h.restart();
    fresh.declareTopic('p.fifo', FIFO);
    await fresh.load();
    expect(fresh.dedupWindowSize('p.fifo')).toBe(1);
  });

  it('keeps call order for publishes queued behind the window load', async () => {
    const h = await harness();
    h.router.declareTopic('o.fifo', FIFO);
    await h.router.publish('o.fifo', msg('old', { groupId: 'g', dedupId: 'd0' }));
    const fresh = h.restart();
    const sink = new Sink();
    fresh.subscribeLive('o.fifo', sink);
    const results = await Promise.all([
      fresh.publish('o.fifo', msg('dup-of-old', { groupId: 'g', dedupId: 'd0' })),
      fresh.publish('o.fifo', msg('1', { groupId: 'g', dedupId: 'd1' })),
      fresh.publish('o.fifo', msg('2', { groupId: 'g', dedupId: 'd2' })),
      fresh.publish('o.fifo', msg('1-again', { groupId: 'g', dedupId: 'd1' })),
      fresh.publish('o.fifo', msg('3', { groupId: 'g', dedupId: 'd3' })),
    ]);
    expect(results.map((r) => r.duplicate)).toEqual([true, false, false, true, false]);
    expect(sink.bodies()).toEqual(['1', '2', '3']);
    // once loaded, publishes are delivered synchronously again
    fresh.publish('o.fifo', msg('4', { groupId: 'g', dedupId: 'd4' })).catch(() => undefined);
    expect(sink.bodies()).toEqual(['1', '2', '3', '4']);
  });

  it('purges the window when the topic is removed', async () => {
    const h = await harness();
    h.router.declareTopic('r.fifo', FIFO);
    await h.router.publish('r.fifo', msg('x', { groupId: 'g', dedupId: 'd1' }));
    await h.router.removeTopic('r.fifo');
    h.router.declareTopic('r.fifo', FIFO);
    expect((await h.router.publish('r.fifo', msg('x', { groupId: 'g', dedupId: 'd1' }))).duplicate).toBe(false);
    // ...and in the store: a restart does not resurrect the old id
    await h.router.removeTopic('r.fifo');
    const fresh = h.restart();
    expect((await fresh.publish('r.fifo', msg('x', { groupId: 'g', dedupId: 'd1' }))).duplicate).toBe(false);
  });
});

describe('FIFO topics: dedup and durability', () => {
  it('writes the durable dedup record only after every copy committed', async () => {
    const h = await harness();
    h.router.declareTopic('d.fifo', FIFO);
    await h.router.addQueueSubscription({ pattern: 'd.fifo', queue: 'q.fifo' });
    const gate = deferred();
    h.setEnqueue(() => gate.promise);
    const p = track(h.router.publish('d.fifo', msg('x', { groupId: 'g', dedupId: 'd1' })));
    await drain();
    expect(await h.store.loadDedup(topicDedupScope('d.fifo'))).toEqual([]);
    gate.resolve();
    await p.promise;
    expect((await h.store.loadDedup(topicDedupScope('d.fifo'))).map((d) => d.dedupId)).toEqual(['d1']);
  });

  it('a duplicate sent while the first is still committing answers only after it commits', async () => {
    const h = await harness();
    h.router.declareTopic('d.fifo', FIFO);
    await h.router.addQueueSubscription({ pattern: 'd.fifo', queue: 'q.fifo' });
    const gate = deferred();
    h.setEnqueue(() => gate.promise);
    const first = track(h.router.publish('d.fifo', msg('x', { groupId: 'g', dedupId: 'd1' })));
    const dup = track(h.router.publish('d.fifo', msg('x', { groupId: 'g', dedupId: 'd1' })));
    await drain();
    expect(dup.settled()).toBe(false);
    gate.resolve();
    const [r1, r2] = await Promise.all([first.promise, dup.promise]);
    expect(r2).toEqual({ id: r1.id, delivered: 0, duplicate: true });
    expect(h.enqueued).toHaveLength(1);
  });

  it('a failed publish forgets its dedup id so the retry (or a waiting duplicate) goes through', async () => {
    const h = await harness();
    h.router.declareTopic('d.fifo', FIFO);
    await h.router.load(); // window loaded: both publishes reach the gated enqueue synchronously
    await h.router.addQueueSubscription({ pattern: 'd.fifo', queue: 'q.fifo' });
    const gate = deferred();
    h.setEnqueue(() => gate.promise);
    const first = h.router.publish('d.fifo', msg('x', { groupId: 'g', dedupId: 'd1' }));
    const waiting = h.router.publish('d.fifo', msg('x', { groupId: 'g', dedupId: 'd1' }));
    h.setEnqueue(async () => undefined);
    gate.reject(new BrokerError('STORE_FAILED', 'disk gone'));
    await expect(first).rejects.toMatchObject({ code: 'STORE_FAILED' });
    // the send that was waiting on it became the real publish
    await expect(waiting).resolves.toMatchObject({ duplicate: false, delivered: 1 });
    expect(h.enqueued).toHaveLength(2);
    // the store holds the successful one
    const stored = await h.store.loadDedup(topicDedupScope('d.fifo'));
    expect(stored.filter((d) => d.expiresAt > h.clock.now()).map((d) => d.dedupId)).toEqual(['d1']);
  });

  it('a failed publish with no one waiting lets the producer retry', async () => {
    const h = await harness();
    h.router.declareTopic('d.fifo', FIFO);
    await h.router.addQueueSubscription({ pattern: 'd.fifo', queue: 'q.fifo' });
    h.setEnqueue(async () => { throw new BrokerError('STORE_FAILED', 'disk gone'); });
    await expect(h.router.publish('d.fifo', msg('x', { groupId: 'g', dedupId: 'd1' }))).rejects.toMatchObject({ code: 'STORE_FAILED' });
    h.setEnqueue(async () => undefined);
    await expect(h.router.publish('d.fifo', msg('x', { groupId: 'g', dedupId: 'd1' }))).resolves.toMatchObject({ duplicate: false });
  });

  it('a missing target queue does not fail a FIFO publish nor forget its dedup id', async () => {
    const h = await harness();
    h.router.declareTopic('d.fifo', FIFO);
    await h.router.addQueueSubscription({ pattern: 'd.fifo', queue: 'gone.fifo' });
    h.setEnqueue(async () => { throw new BrokerError('NOT_FOUND', 'queue gone.fifo'); });
    await expect(h.router.publish('d.fifo', msg('x', { groupId: 'g', dedupId: 'd1' }))).resolves.toMatchObject({ delivered: 0 });
    await expect(h.router.publish('d.fifo', msg('x', { groupId: 'g', dedupId: 'd1' }))).resolves.toMatchObject({ duplicate: true });
  });
});

describe('FIFO topics: subscriptions', () => {
  it('accept only FIFO queues for a concrete FIFO topic', async () => {
    const { router } = await harness();
    router.declareTopic('orders.fifo', FIFO);
    await expect(router.addQueueSubscription({ pattern: 'orders.fifo', queue: 'billing' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('can only deliver to FIFO queues') as unknown as string,
    });
    await expect(router.addQueueSubscription({ pattern: 'orders.fifo', queue: 'billing.fifo' })).resolves.toMatchObject({ queue: 'billing.fifo' });
    // undeclared .fifo names are FIFO too
    await expect(router.addQueueSubscription({ pattern: 'other.fifo', queue: 'plain' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // wildcard patterns are not a single FIFO topic: allowed
    await expect(router.addQueueSubscription({ pattern: 'orders.*', queue: 'plain' })).resolves.toMatchObject({ pattern: 'orders.*' });
    expect(router.listSubscriptions().map((s) => s.pattern).sort()).toEqual(['orders.*', 'orders.fifo']);
  });

  it('asks the isFifoQueue dependency, not just the name', async () => {
    const { router } = await harness({ isFifoQueue: (q) => q === 'special' });
    await expect(router.addQueueSubscription({ pattern: 'orders.fifo', queue: 'special' })).resolves.toMatchObject({ queue: 'special' });
    await expect(router.addQueueSubscription({ pattern: 'orders.fifo', queue: 'billing.fifo' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
