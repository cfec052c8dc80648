/** expiresMs (x-expires) and autoDelete: the broker deletes unused queues. */
import { describe, expect, it } from 'vitest';
import { MAX_TIMER_STEP_MS } from '../../../src/core/queue/earliest-timer.js';
import { brokerHarness, msg, settle } from './helpers.js';

describe('Queue expiresMs', () => {
  it('deletes the queue after expiresMs without consumers, receives or redeclares; publishing does not count', async () => {
    const { broker, clock, store } = await brokerHarness();
    await broker.createQueue('tmp', { expiresMs: 10_000 });
    clock.advance(6_000);
    await broker.send({ kind: 'queue', name: 'tmp' }, msg('m'));
    clock.advance(3_999);
    expect(broker.getQueue('tmp')).toBeDefined();
    clock.advance(1);
    await settle();
    expect(broker.getQueue('tmp')).toBeUndefined();
    expect((await store.loadDestinations()).map((d) => d.name)).not.toContain('tmp');
    expect(await store.loadMessages('tmp')).toEqual([]);
    await broker.close();
  });

  it('a receive, a redeclare and an attached consumer each keep it', async () => {
    const { broker, clock } = await brokerHarness();
    const q = await broker.createQueue('tmp', { expiresMs: 10_000 });
    clock.advance(9_000);
    await q.receive();
    clock.advance(9_000);
    await broker.createQueue('tmp', { expiresMs: 10_000 }); // redeclare
    clock.advance(9_000);
    const c = q.addConsumer({ onMessage: () => undefined });
    clock.advance(60_000);
    await settle();
    expect(broker.getQueue('tmp')).toBe(q);
    c.close(); // the clock starts again now
    clock.advance(9_999);
    await settle();
    expect(broker.getQueue('tmp')).toBe(q);
    clock.advance(1);
    await settle();
    expect(broker.getQueue('tmp')).toBeUndefined();
    expect(q.closed).toBe(true);
    await broker.close();
  });

  it('waits longer than one timer step (2^31-1 ms) correctly', async () => {
    const { broker, clock } = await brokerHarness();
    const day = 86_400_000;
    await broker.createQueue('long', { expiresMs: 30 * day });
    clock.advance(MAX_TIMER_STEP_MS + 1);
    await settle();
    expect(broker.getQueue('long')).toBeDefined();
    clock.advance(30 * day - MAX_TIMER_STEP_MS - 1);
    await settle();
    expect(broker.getQueue('long')).toBeUndefined();
    await broker.close();
  });

  it('restarts counting after a broker restart', async () => {
    const { broker, clock, store } = await brokerHarness();
    await broker.createQueue('tmp', { expiresMs: 10_000 });
    clock.advance(8_000);
    await broker.close();
    const { Broker } = await import('../../../src/core/broker.js');
    const again = await Broker.open({ store, clock });
    clock.advance(8_000);
    await settle();
    expect(again.getQueue('tmp')).toBeDefined();
    clock.advance(2_000);
    await settle();
    expect(again.getQueue('tmp')).toBeUndefined();
    await again.close();
  });
});

describe('Queue autoDelete', () => {
  it('deletes the queue when its last consumer goes, not before it had one', async () => {
    const { broker, clock } = await brokerHarness();
    const q = await broker.createQueue('auto', { autoDelete: true });
    await q.send(msg('kept'));
    clock.advance(3_600_000);
    await settle();
    expect(broker.getQueue('auto')).toBe(q); // never had a consumer
    const c1 = q.addConsumer({ onMessage: () => undefined });
    const c2 = q.addConsumer({ onMessage: () => undefined });
    c1.close();
    await settle();
    expect(broker.getQueue('auto')).toBe(q);
    c2.close();
    await settle();
    expect(broker.getQueue('auto')).toBeUndefined();
    await broker.close();
  });

  it('a consumer attaching right after the last one left (same turn) keeps the queue', async () => {
    const { broker } = await brokerHarness();
    const q = await broker.createQueue('auto', { autoDelete: true });
    const c1 = q.addConsumer({ onMessage: () => undefined });
    c1.close();
    q.addConsumer({ onMessage: () => undefined });
    await settle();
    expect(broker.getQueue('auto')).toBe(q);
    await broker.close();
  });
});
