import { describe, expect, it } from 'vitest';
import { BrokerError } from '../../../src/core/errors.js';
import { harness, msg, Sink } from './helpers.js';

describe('retained messages', () => {
  it('keeps the last retained message per topic and finds it by name or pattern', async () => {
    const { router } = await harness();
    await router.publish('home.kitchen.temp', msg('20'), { retain: true });
    await router.publish('home.kitchen.temp', msg('21'), { retain: true });
    await router.publish('home.hall.temp', msg('18'), { retain: true });
    await router.publish('home.hall.temp', msg('not retained'));
    await router.publish('$SYS.uptime', msg('5'), { retain: true });

    const body = (ms: Array<{ message: { body: Buffer } }>): string[] => ms.map((m) => m.message.body.toString()).sort();
    expect(body(router.retained('home.kitchen.temp'))).toEqual(['21']);
    expect(body(router.retained('home.*.temp'))).toEqual(['18', '21']);
    expect(body(router.retained('home.>'))).toEqual(['18', '21']);
    expect(body(router.retained('>'))).toEqual(['18', '21']); // $SYS is not matched by a wildcard first level
    expect(body(router.retained('$SYS.>'))).toEqual(['5']);
    expect(router.retained('home.cellar.temp')).toEqual([]);
    expect(router.retained('home')).toEqual([]);
    const [kitchen] = router.retained('home.kitchen.temp');
    expect(kitchen).toMatchObject({ topic: 'home.kitchen.temp' });
    expect(() => router.retained('a.>.b')).toThrow(BrokerError);
  });

  it('persists retained messages (also non-persistent ones) and restores them on load()', async () => {
    const h = await harness();
    const r = await h.router.publish('dev.1.state', msg('on', { persistent: false, headers: { v: 1 } }), { retain: true });
    expect((await h.store.loadRetained()).map((x) => x.topic)).toEqual(['dev.1.state']);
    const fresh = h.restart();
    await fresh.load();
    expect(fresh.retained('dev.*.state')).toEqual([
      { id: r.id, topic: 'dev.1.state', message: expect.objectContaining({ headers: { v: 1 } }) as unknown, publishedAt: h.clock.now() },
    ]);
    expect(fresh.retained('dev.1.state')[0]!.message.body.toString()).toBe('on');
  });

  it('an empty retained publish clears the retained message and is still delivered', async () => {
    const h = await harness();
    const sink = new Sink();
    h.router.subscribeLive('dev.>', sink);
    await h.router.publish('dev.1.state', msg('on'), { retain: true });
    const r = await h.router.publish('dev.1.state', msg(''), { retain: true });
    expect(r.delivered).toBe(1);
    expect(sink.bodies()).toEqual(['on', '']);
    expect(h.router.retained('dev.1.state')).toEqual([]);
    expect(await h.store.loadRetained()).toEqual([]);
    const fresh = h.restart();
    await fresh.load();
    expect(fresh.retained('>')).toEqual([]);
  });

  it('a non-retained publish leaves the retained message alone', async () => {
    const { router } = await harness();
    await router.publish('t', msg('keep'), { retain: true });
    await router.publish('t', msg(''));
    await router.publish('t', msg('live only'));
    expect(router.retained('t').map((m) => m.message.body.toString())).toEqual(['keep']);
  });

  it('resolves a retained publish only once the retained record is written', async () => {
    const h = await harness();
    await h.store.close();
    await expect(h.router.publish('t', msg('x'), { retain: true })).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });

  it('drops a retained message once its expiry passes', async () => {
    const h = await harness();
    await h.router.publish('t.a', msg('short', { properties: { expiresAt: h.clock.now() + 1000 } }), { retain: true });
    await h.router.publish('t.b', msg('forever'), { retain: true });
    h.clock.advance(999);
    expect(h.router.retained('t.*')).toHaveLength(2);
    h.clock.advance(1);
    expect(h.router.retained('t.*').map((m) => m.topic)).toEqual(['t.b']);
    expect(h.router.retained('t.a')).toEqual([]);
    await Promise.resolve();
    expect((await h.store.loadRetained()).map((r) => r.topic)).toEqual(['t.b']);
    // an expired record in the store is not restored
    await h.store.putRetained({ topic: 't.c', id: 'x', message: msg('old', { properties: { expiresAt: h.clock.now() } }), publishedAt: 0 });
    const fresh = h.restart();
    await fresh.load();
    expect(fresh.retained('t.*').map((m) => m.topic)).toEqual(['t.b']);
  });

  it('removeTopic drops its retained message from memory and store', async () => {
    const h = await harness();
    await h.router.publish('gone', msg('x'), { retain: true });
    await h.router.publish('kept', msg('y'), { retain: true });
    await h.router.removeTopic('gone');
    expect(h.router.retained('>').map((m) => m.topic)).toEqual(['kept']);
    expect((await h.store.loadRetained()).map((r) => r.topic)).toEqual(['kept']);
  });

  it('a duplicate FIFO publish does not replace the retained message', async () => {
    const { router } = await harness();
    await router.publish('r.fifo', msg('first', { groupId: 'g', dedupId: 'd' }), { retain: true });
    await router.publish('r.fifo', msg('second', { groupId: 'g', dedupId: 'd' }), { retain: true });
    expect(router.retained('r.fifo').map((m) => m.message.body.toString())).toEqual(['first']);
  });
});
