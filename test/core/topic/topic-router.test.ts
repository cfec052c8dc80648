import { describe, expect, it } from 'vitest';
import { BrokerError } from '../../../src/core/errors.js';
import { compileFilterPolicy } from '../../../src/core/topic/filter-policy.js';
import { TopicRouter, type LiveSubscriptionInfo } from '../../../src/core/topic/topic-router.js';
import { deferred, drain, harness, msg, Sink, track } from './helpers.js';

describe('TopicRouter fan-out', () => {
  it('delivers to every matching live subscription, synchronously, sharing one TopicMessage', async () => {
    const { router } = await harness();
    const exact = new Sink();
    const star = new Sink();
    const rest = new Sink();
    const other = new Sink();
    router.subscribeLive('sensors.kitchen.temp', exact);
    router.subscribeLive('sensors.*.temp', star);
    router.subscribeLive('sensors.>', rest);
    router.subscribeLive('sensors.*', other);

    const pending = router.publish('sensors.kitchen.temp', msg('21.5'));
    // live delivery happened before publish returned
    expect(exact.bodies()).toEqual(['21.5']);
    const result = await pending;
    expect(result.duplicate).toBe(false);
    expect(result.delivered).toBe(3);
    expect(star.got[0]).toBe(exact.got[0]);
    expect(rest.got[0]).toBe(exact.got[0]);
    expect(other.got).toEqual([]);
    expect(exact.got[0]).toMatchObject({ id: result.id, topic: 'sensors.kitchen.temp' });
  });

  it('delivers to live and queue subscriptions alike and counts both', async () => {
    const { router, enqueued } = await harness();
    const live = new Sink();
    router.subscribeLive('orders.>', live);
    await router.addQueueSubscription({ pattern: 'orders.created', queue: 'billing' });
    await router.addQueueSubscription({ pattern: 'orders.*', queue: 'audit' });
    await router.addQueueSubscription({ pattern: 'payments.>', queue: 'ledger' });

    const result = await router.publish('orders.created', msg('o-1'));
    expect(result.delivered).toBe(3);
    expect(enqueued.map((e) => e.queue).sort()).toEqual(['audit', 'billing']);
    expect(enqueued[0]!.m).toBe(live.got[0]);
  });

  it('enqueues at most one copy per queue even when several of its subscriptions match', async () => {
    const { router, enqueued } = await harness();
    await router.addQueueSubscription({ pattern: 'a.*', queue: 'q' });
    await router.addQueueSubscription({ pattern: '*.b', queue: 'q' });
    await router.addQueueSubscription({ pattern: 'a.b', queue: 'q', filterPolicy: { x: ['1'] } });
    await router.addQueueSubscription({ pattern: 'a.b', queue: 'r' });
    const result = await router.publish('a.b', msg('m', { headers: { x: '1' } }));
    expect(enqueued.map((e) => e.queue).sort()).toEqual(['q', 'r']);
    expect(result.delivered).toBe(2);
  });

  it('applies each subscription\'s own filter policy', async () => {
    const { router, enqueued } = await harness();
    const red = new Sink();
    const cheap = new Sink();
    const all = new Sink();
    router.subscribeLive('shop.>', red, { filterPolicy: { color: ['red'] } });
    router.subscribeLive('shop.>', cheap, { filterPolicy: compileFilterPolicy({ price: [{ numeric: ['<', 10] }] }) });
    router.subscribeLive('shop.>', all, { filterPolicy: '{}' });
    await router.addQueueSubscription({ pattern: 'shop.>', queue: 'blue-q', filterPolicy: '{"color":["blue"]}' });

    await router.publish('shop.item', msg('a', { headers: { color: 'red', price: 5 } }));
    await router.publish('shop.item', msg('b', { headers: { color: 'blue', price: 50 } }));
    await router.publish('shop.item', msg('c', { headers: { color: 'red', price: '5' } }));
    expect(red.bodies()).toEqual(['a', 'c']);
    expect(cheap.bodies()).toEqual(['a']); // '5' is a string: numeric conditions do not match it
    expect(all.bodies()).toEqual(['a', 'b', 'c']);
    expect(enqueued.map((e) => e.m.message.body.toString())).toEqual(['b']);
  });

  it('counts a refusing (slow) live sink as dropped without affecting others', async () => {
    const { router } = await harness();
    const slow = new Sink();
    slow.accept = false;
    const fast = new Sink();
    const thrower = { offer: () => { throw new Error('sink bug'); } };
    const slowSub = router.subscribeLive('t', slow);
    const throwSub = router.subscribeLive('t', thrower);
    const fastSub = router.subscribeLive('t', fast);

    const r1 = await router.publish('t', msg('1'));
    expect(r1.delivered).toBe(1);
    slow.accept = true;
    await router.publish('t', msg('2'));
    expect(slow.bodies()).toEqual(['2']);
    expect(fast.bodies()).toEqual(['1', '2']);
    expect({ d: slowSub.dropped, ok: slowSub.delivered }).toEqual({ d: 1, ok: 1 });
    expect({ d: throwSub.dropped, ok: throwSub.delivered }).toEqual({ d: 2, ok: 0 });
    expect(fastSub.dropped).toBe(0);
    expect(router.stats('t')).toMatchObject({ published: 2, delivered: 3, dropped: 3, subscriptions: 3 });
    expect(router.subscriptionStats(slowSub.id)).toEqual({ delivered: 1, dropped: 1, failed: 0 });
  });

  it('stops delivering to a closed live subscription', async () => {
    const { router } = await harness();
    const a = new Sink();
    const b = new Sink();
    const subA = router.subscribeLive('t', a);
    const subB = router.subscribeLive('t', b);
    await router.publish('t', msg('1'));
    subA.close();
    subA.close(); // idempotent
    expect(await router.removeSubscription(subB.id)).toBe(true);
    expect(await router.removeSubscription(subB.id)).toBe(false);
    const r = await router.publish('t', msg('2'));
    expect(r.delivered).toBe(0);
    expect(a.bodies()).toEqual(['1']);
    expect(b.bodies()).toEqual(['1']);
    expect(router.listSubscriptions()).toEqual([]);
  });

  it('a sink closing another subscription mid-publish prevents that delivery', async () => {
    const { router } = await harness();
    const victim = new Sink();
    let victimSub = { close: () => undefined } as { close(): void };
    router.subscribeLive('t', { offer: () => { victimSub.close(); return true; } });
    victimSub = router.subscribeLive('t', victim);
    await router.publish('t', msg('1'));
    expect(victim.got).toEqual([]);
  });

  it('honours noLocal for the publishing connection only', async () => {
    const { router } = await harness();
    const mine = new Sink();
    const plain = new Sink();
    router.subscribeLive('chat', mine, { noLocal: true, owner: 'conn-1' });
    router.subscribeLive('chat', plain, { owner: 'conn-1' });
    await router.publish('chat', msg('self'), { origin: 'conn-1' });
    await router.publish('chat', msg('other'), { origin: 'conn-2' });
    await router.publish('chat', msg('anon'));
    expect(mine.bodies()).toEqual(['other', 'anon']);
    expect(plain.bodies()).toEqual(['self', 'other', 'anon']);
  });

  it('uses the caller\'s message id when given one', async () => {
    const { router } = await harness();
    const sink = new Sink();
    router.subscribeLive('t', sink);
    const r = await router.publish('t', msg('x'), { id: 'ID:custom-1' });
    expect(r.id).toBe('ID:custom-1');
    expect(sink.got[0]!.id).toBe('ID:custom-1');
  });

  it('rejects bad names, bad patterns and bad filter policies', async () => {
    const { router } = await harness();
    await expect(router.publish('a.*', msg('x'))).rejects.toMatchObject({ code: 'INVALID_NAME' });
    await expect(router.publish('', msg('x'))).rejects.toMatchObject({ code: 'INVALID_NAME' });
    expect(() => router.subscribeLive('a.>.b', new Sink())).toThrow(BrokerError);
    expect(() => router.subscribeLive('a', new Sink(), { filterPolicy: { a: [] } })).toThrow(/condition array must not be empty/);
    await expect(router.addQueueSubscription({ pattern: 'a', queue: 'q.*' })).rejects.toMatchObject({ code: 'INVALID_NAME' });
    await expect(router.addQueueSubscription({ pattern: 'a', queue: 'q', filterPolicy: '{"a":' })).rejects.toMatchObject({ code: 'INVALID_FILTER_POLICY' });
    expect(router.listSubscriptions()).toEqual([]);
  });

  it('rejects everything after close()', async () => {
    const { router } = await harness();
    const sink = new Sink();
    router.subscribeLive('t', sink);
    router.close();
    await expect(router.publish('t', msg('x'))).rejects.toMatchObject({ code: 'NOT_ACTIVE' });
    expect(() => router.subscribeLive('t', sink)).toThrow(/closed/);
    await expect(router.addQueueSubscription({ pattern: 't', queue: 'q' })).rejects.toMatchObject({ code: 'NOT_ACTIVE' });
    expect(sink.got).toEqual([]);
  });
});

describe('TopicRouter durability of publish', () => {
  it('resolves only after every queue enqueue has resolved', async () => {
    const h = await harness();
    const gates = new Map([['q1', deferred()], ['q2', deferred()]]);
    h.setEnqueue((queue) => gates.get(queue)!.promise);
    await h.router.addQueueSubscription({ pattern: 't', queue: 'q1' });
    await h.router.addQueueSubscription({ pattern: 't', queue: 'q2' });

    const p = track(h.router.publish('t', msg('x')));
    expect(h.enqueued.map((e) => e.queue).sort()).toEqual(['q1', 'q2']); // both started at once
    await drain();
    expect(p.settled()).toBe(false);
    gates.get('q1')!.resolve();
    await drain();
    expect(p.settled()).toBe(false);
    gates.get('q2')!.resolve();
    await expect(p.promise).resolves.toMatchObject({ delivered: 2, duplicate: false });
  });

  it('keeps going when a target queue is missing: resolves, counts the failure', async () => {
    const h = await harness();
    h.setEnqueue(async (queue) => {
      if (queue === 'gone') throw new BrokerError('NOT_FOUND', `queue "${queue}"`);
    });
    await h.router.addQueueSubscription({ pattern: 't', queue: 'gone' });
    const okSub = await h.router.addQueueSubscription({ pattern: 't', queue: 'ok' });
    const r = await h.router.publish('t', msg('x'));
    expect(r.delivered).toBe(1);
    expect(h.router.stats('t')).toMatchObject({ published: 1, delivered: 1, failed: 1 });
    expect(h.router.subscriptionStats(okSub.id)).toEqual({ delivered: 1, dropped: 0, failed: 0 });
  });

  it('rejects when a copy may not be durable (store failure), after attempting every target', async () => {
    const h = await harness();
    const live = new Sink();
    h.router.subscribeLive('t', live);
    h.setEnqueue(async (queue) => {
      if (queue === 'broken') throw new BrokerError('STORE_FAILED', 'disk full');
    });
    await h.router.addQueueSubscription({ pattern: 't', queue: 'broken' });
    await h.router.addQueueSubscription({ pattern: 't', queue: 'ok' });
    await expect(h.router.publish('t', msg('x'))).rejects.toMatchObject({ code: 'STORE_FAILED' });
    expect(h.enqueued.map((e) => e.queue).sort()).toEqual(['broken', 'ok']);
    expect(live.bodies()).toEqual(['x']);
    expect(h.router.stats('t')).toMatchObject({ delivered: 2, failed: 1 });
  });

  it('treats an unexpected error or a synchronous throw from the target as fatal too', async () => {
    const h = await harness();
    h.setEnqueue(() => { throw new TypeError('bug in queue layer'); });
    await h.router.addQueueSubscription({ pattern: 't', queue: 'q' });
    await expect(h.router.publish('t', msg('x'))).rejects.toThrow(TypeError);
  });
});

describe('TopicRouter queue subscriptions', () => {
  it('persists queue subscriptions and restores them on load() in a fresh router', async () => {
    const h = await harness();
    const rec = await h.router.addQueueSubscription({ pattern: 'orders.>', queue: 'billing', filterPolicy: { region: ['eu'] }, attributes: { clientId: 'c1' } });
    expect(rec).toMatchObject({ pattern: 'orders.>', queue: 'billing', filterPolicy: '{"region":["eu"]}', attributes: { clientId: 'c1' } });
    expect(await h.store.loadSubscriptions()).toEqual([rec]);

    const fresh = h.restart();
    await fresh.load();
    expect(fresh.listSubscriptions()).toEqual([rec]);
    await fresh.publish('orders.x', msg('us', { headers: { region: 'us' } }));
    await fresh.publish('orders.x', msg('eu', { headers: { region: 'eu' } }));
    expect(h.enqueued.map((e) => `${e.queue}:${e.m.message.body.toString()}`)).toEqual(['billing:eu']);

    // removal is durable too
    expect(await fresh.removeSubscription(rec.id)).toBe(true);
    const third = h.restart();
    await third.load();
    expect(third.listSubscriptions()).toEqual([]);
  });

  it('load() skips (and keeps in the store) a stored subscription that no longer validates', async () => {
    const h = await harness();
    await h.store.putSubscription({ id: 'bad', pattern: 'a', queue: 'q', filterPolicy: '{"a":"not-an-array"}', createdAt: 0, attributes: {} });
    await h.store.putSubscription({ id: 'good', pattern: 'a', queue: 'r', filterPolicy: null, createdAt: 0, attributes: {} });
    await h.router.load();
    expect(h.router.listSubscriptions().map((s) => s.id)).toEqual(['good']);
    await h.router.publish('a', msg('x'));
    expect(h.enqueued.map((e) => e.queue)).toEqual(['r']);
    expect((await h.store.loadSubscriptions()).map((s) => s.id).sort()).toEqual(['bad', 'good']);
  });

  it('load() replaces durable subscriptions but keeps live ones', async () => {
    const h = await harness();
    const sink = new Sink();
    h.router.subscribeLive('t', sink);
    await h.router.addQueueSubscription({ pattern: 't', queue: 'q', id: 's1' });
    await h.store.deleteSubscription('s1');
    await h.router.load();
    expect(h.router.listSubscriptions().map((s) => ('live' in s ? 'live' : s.id))).toEqual(['live']);
  });

  it('is idempotent without an id, updates with a known id, refuses to repoint an id', async () => {
    const { router, store } = await harness();
    const a = await router.addQueueSubscription({ pattern: 't', queue: 'q', filterPolicy: { b: ['1'], a: ['2'] } });
    const again = await router.addQueueSubscription({ pattern: 't', queue: 'q', filterPolicy: '{"a":["2"],"b":["1"]}' });
    expect(again.id).toBe(a.id);
    const other = await router.addQueueSubscription({ pattern: 't', queue: 'q' });
    expect(other.id).not.toBe(a.id);

    const updated = await router.addQueueSubscription({ id: a.id, pattern: 't', queue: 'q', filterPolicy: null, attributes: { v: 2 } });
    expect(updated).toMatchObject({ id: a.id, filterPolicy: null, attributes: { v: 2 }, createdAt: a.createdAt });
    expect((await store.loadSubscriptions()).find((s) => s.id === a.id)).toEqual(updated);
    expect(router.listSubscriptions()).toHaveLength(2);

    await expect(router.addQueueSubscription({ id: a.id, pattern: 'u', queue: 'q' })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    const live = router.subscribeLive('t', new Sink());
    await expect(router.addQueueSubscription({ id: live.id, pattern: 't', queue: 'q' })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
  });

  it('routes from the moment of the call, and undoes the subscription if the store write fails', async () => {
    const h = await harness();
    const sub = h.router.addQueueSubscription({ pattern: 't', queue: 'q' });
    await h.router.publish('t', msg('early'));
    await sub;
    expect(h.enqueued.map((e) => e.queue)).toEqual(['q']);

    await h.store.close();
    await expect(h.router.addQueueSubscription({ pattern: 't', queue: 'r' })).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    expect(h.router.listSubscriptions({ queue: 'r' })).toEqual([]);
  });

  it('lists by topic (matching patterns), by exact pattern and by queue; queue entries have no live key', async () => {
    const { router } = await harness();
    const q1 = await router.addQueueSubscription({ pattern: 'a.*', queue: 'q1' });
    const q2 = await router.addQueueSubscription({ pattern: 'a.b', queue: 'q2' });
    await router.addQueueSubscription({ pattern: 'x.>', queue: 'q1' });
    const live = router.subscribeLive('a.>', new Sink(), { filterPolicy: { k: ['v'] } });

    const forAB = router.listSubscriptions({ topic: 'a.b' });
    expect(forAB.map((s) => s.id).sort()).toEqual([q1.id, q2.id, live.id].sort());
    expect(router.listSubscriptions({ topic: 'a.*' }).map((s) => s.id)).toEqual([q1.id]);
    expect(router.listSubscriptions({ queue: 'q1' }).map((s) => s.pattern).sort()).toEqual(['a.*', 'x.>']);
    expect(router.listSubscriptions({ topic: 'a.b', queue: 'q1' }).map((s) => s.id)).toEqual([q1.id]);
    const liveInfo = forAB.find((s) => 'live' in s) as LiveSubscriptionInfo;
    expect(liveInfo).toMatchObject({ id: live.id, pattern: 'a.>', live: true, filterPolicy: '{"k":["v"]}', delivered: 0, dropped: 0 });
    for (const s of forAB) if (s.id !== live.id) expect('live' in s).toBe(false);
  });

  it('removes every subscription into a queue', async () => {
    const { router, store } = await harness();
    await router.addQueueSubscription({ pattern: 'a', queue: 'q' });
    await router.addQueueSubscription({ pattern: 'b', queue: 'q' });
    await router.addQueueSubscription({ pattern: 'b', queue: 'r' });
    expect(await router.removeQueueSubscriptions('q')).toBe(2);
    expect((await store.loadSubscriptions()).map((s) => s.queue)).toEqual(['r']);
  });
});

describe('TopicRouter stats', () => {
  it('counts per topic and overall', async () => {
    const h = await harness();
    h.router.subscribeLive('a.>', new Sink());
    await h.router.addQueueSubscription({ pattern: 'a.b', queue: 'q' });
    await h.router.publish('a.b', msg('1'));
    await h.router.publish('a.b', msg('2'));
    await h.router.publish('a.c', msg('3'));
    await h.router.publish('z', msg('4'));
    expect(h.router.stats('a.b')).toEqual({ published: 2, delivered: 4, dropped: 0, failed: 0, duplicates: 0, subscriptions: 2 });
    expect(h.router.stats('a.c')).toMatchObject({ published: 1, delivered: 1, subscriptions: 1 });
    expect(h.router.stats('never')).toEqual({ published: 0, delivered: 0, dropped: 0, failed: 0, duplicates: 0, subscriptions: 0 });
    expect(h.router.stats('a.>')).toMatchObject({ subscriptions: 1 });
    expect(h.router.stats()).toEqual({ published: 4, delivered: 5, dropped: 0, failed: 0, duplicates: 0, subscriptions: 2 });
    await h.router.removeTopic('a.b');
    expect(h.router.stats('a.b').published).toBe(0);
    expect(h.router.stats().published).toBe(4); // overall counters are monotonic
  });

  it('bounds counters of undeclared topics, never of declared ones', async () => {
    const h = await harness();
    const router = new TopicRouter({ store: h.store, clock: h.clock, enqueue: async () => undefined, maxUndeclaredTopics: 2 });
    router.declareTopic('declared', { fifo: false, contentBasedDeduplication: false });
    await router.publish('declared', msg('d'));
    await router.publish('a', msg('1'));
    await router.publish('b', msg('2'));
    router.declareTopic('b', { fifo: false, contentBasedDeduplication: false }); // keeps its counters
    await router.publish('c', msg('3'));
    await router.publish('d', msg('4'));
    expect(router.stats('a').published).toBe(0); // evicted: oldest undeclared
    expect(router.stats('b').published).toBe(1);
    expect(router.stats('c').published).toBe(1);
    expect(router.stats('d').published).toBe(1);
    expect(router.stats('declared').published).toBe(1);
    expect(router.stats().published).toBe(5);
  });
});
