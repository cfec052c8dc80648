/** Dead-lettering through an exchange (RabbitMQ DLX): x-death, routing keys, cycles, delivery limit. */
import { describe, expect, it } from 'vitest';
import { isTypedValue, type Value } from '../../../src/core/values.js';
import type { QueueDelivery } from '../../../src/core/queue/types.js';
import { bodies, brokerHarness, harness, msg, recorder, settle } from './helpers.js';

function deaths(v: Value | undefined): Array<Record<string, Value>> {
  if (!isTypedValue(v) || v.type !== 'list') throw new Error('x-death is not a list');
  return v.value.map((t) => {
    if (!isTypedValue(t) || t.type !== 'map') throw new Error('x-death entry is not a table');
    return t.value as Record<string, Value>;
  });
}

describe('Queue deadLetterExchange', () => {
  it('x-death after two rejections: count 2 for {work, rejected}, moved first; first/last death headers', async () => {
    const { broker, clock } = await brokerHarness();
    await broker.createQueue('retry', { messageTtlMs: 1_000, deadLetterExchange: '', deadLetterRoutingKey: 'work' });
    const work = await broker.createQueue('work', { deadLetterExchange: '', deadLetterRoutingKey: 'retry' });
    const parked = await broker.createQueue('parked');
    const t0 = clock.now();
    const seen: QueueDelivery[] = [];
    const c = work.addConsumer({ onMessage: (d) => { seen.push(d); c.nack(d.tag, { requeue: false }); } });
    await work.send(msg('job', { properties: { messageId: 'app-1' } }));
    await settle(); // rejected once → retry
    expect(seen).toHaveLength(1);
    clock.advance(1_000); // expires in retry → work → rejected again → retry
    await settle();
    expect(seen).toHaveLength(2);
    c.close();
    // what the second rejection published to retry:
    const retry = broker.requireQueue('retry');
    retry.setAttributes({ ...retry.attributes, deadLetterRoutingKey: 'parked' });
    clock.advance(1_000);
    await settle();
    const [m] = await parked.receive();
    expect(m!.message.properties.messageId).toBe('app-1');
    const list = deaths(m!.message.headers['x-death']);
    expect(list.map((d) => [d['queue'], d['reason'], d['count']])).toEqual([
      ['retry', 'expired', { type: 'long', value: 2n }],
      ['work', 'rejected', { type: 'long', value: 2n }],
    ]);
    // time is that of the first death for the pair; exchange/routing-keys those it was published with
    expect(list[1]).toMatchObject({ time: { type: 'timestamp', value: t0 }, exchange: '', 'routing-keys': { type: 'list', value: ['work'] } });
    expect(list[0]).toMatchObject({ time: { type: 'timestamp', value: t0 + 1_000 }, exchange: '', 'routing-keys': { type: 'list', value: ['retry'] } });
    expect(m!.message.headers).toMatchObject({
      'x-first-death-queue': 'work', 'x-first-death-reason': 'rejected', 'x-first-death-exchange': '',
      'x-last-death-queue': 'retry', 'x-last-death-reason': 'expired', 'x-last-death-exchange': '',
    });
    expect(work.stats()).toMatchObject({ deadLettered: 2, rejected: 0 });
    await broker.close();
  });

  it('without a dead-letter routing key, the message keeps the key it was published with', async () => {
    const { broker } = await brokerHarness();
    const q = await broker.createQueue('src', { deadLetterExchange: '' });
    const r = recorder();
    const c = q.addConsumer({ onMessage: (d) => { r.onMessage(d); if (r.got.length === 1) c.nack(d.tag, { requeue: false }); } });
    await q.send(msg('m'));
    await settle();
    // the default exchange routes by the original key: 'src' again (a rejection is no cycle)
    expect(r.got).toHaveLength(2);
    expect(r.got[1]!.redelivered).toBe(false);
    expect(deaths(r.got[1]!.message.headers['x-death'])[0]).toMatchObject({ queue: 'src', reason: 'rejected', 'routing-keys': { type: 'list', value: ['src'] } });
    expect(q.stats()).toMatchObject({ deadLettered: 1, inFlight: 1 });
    await broker.close();
  });

  it('drops a message that would cycle back without a rejection (two queues expiring into each other)', async () => {
    const { broker, clock } = await brokerHarness();
    const a = await broker.createQueue('a', { messageTtlMs: 100, deadLetterExchange: '', deadLetterRoutingKey: 'b' });
    const b = await broker.createQueue('b', { messageTtlMs: 100, deadLetterExchange: '', deadLetterRoutingKey: 'a' });
    await a.send(msg('loop'));
    for (let i = 0; i < 5; i++) {
      clock.advance(100);
      await settle();
    }
    expect(a.stats()).toMatchObject({ visible: 0, deadLettered: 1, expired: 1 });
    expect(b.stats()).toMatchObject({ visible: 0, deadLettered: 1 });
    await broker.close();
  });

  it('an unknown dead-letter exchange drops the message (logged); the source is still cleared', async () => {
    const { broker, store } = await brokerHarness();
    const q = await broker.createQueue('src', { deadLetterExchange: 'no.such.exchange' });
    const c = q.addConsumer({ onMessage: (d) => c.nack(d.tag, { requeue: false }) });
    await q.send(msg('m'));
    await settle();
    expect(q.stats()).toMatchObject({ visible: 0, inFlight: 0, deadLettered: 1 });
    expect(await store.loadMessages('src')).toEqual([]);
    await broker.close();
  });

  it('a dead-letter exchange target that refuses the copy (full, reject-publish) drops it', async () => {
    const { broker, store } = await brokerHarness();
    const full = await broker.createQueue('full', { maxLength: 0, overflow: 'reject-publish' });
    const q = await broker.createQueue('src', { deadLetterExchange: '', deadLetterRoutingKey: 'full' });
    const c = q.addConsumer({ onMessage: (d) => c.nack(d.tag, { requeue: false }) });
    await q.send(msg('m'));
    await settle();
    expect(full.stats()).toMatchObject({ visible: 0, refused: 1 });
    expect(await store.loadMessages('src')).toEqual([]);
    await broker.close();
  });
});

describe('delivery limit (maxReceiveCount without a dead-letter queue: quorum x-delivery-limit + 1)', () => {
  it('dead-letters with reason delivery_limit to the dead-letter exchange', async () => {
    const { broker } = await brokerHarness();
    const dead = await broker.createQueue('dead');
    const q = await broker.createQueue('q', { maxReceiveCount: 3, deadLetterExchange: '', deadLetterRoutingKey: 'dead' });
    const counts: number[] = [];
    const c = q.addConsumer({ onMessage: (d) => { counts.push(d.receiveCount); c.nack(d.tag); } });
    await q.send(msg('poison'));
    await settle();
    await settle();
    expect(counts).toEqual([1, 2, 3]);
    const [m] = await dead.receive();
    expect(deaths(m!.message.headers['x-death'])[0]).toMatchObject({ queue: 'q', reason: 'delivery_limit', count: { type: 'long', value: 1n } });
    expect(q.stats()).toMatchObject({ deadLettered: 1, deliveryLimitDropped: 0 });
    await broker.close();
  });

  it('drops and counts past the limit when there is no dead-letter target', async () => {
    const h = await harness();
    const q = await h.open('q', { maxReceiveCount: 2 });
    const r = recorder();
    const c = q.addConsumer({ onMessage: (d) => { r.onMessage(d); c.nack(d.tag); } });
    await q.send(msg('poison'));
    await q.send(msg('ok'));
    await settle();
    expect(r.bodies()).toEqual(['poison', 'poison', 'ok', 'ok']);
    expect(q.stats()).toMatchObject({ visible: 0, inFlight: 0, deliveryLimitDropped: 2, deadLettered: 0 });
    expect(await h.store.loadMessages('q')).toEqual([]);
    expect(bodies(await q.receive())).toEqual([]);
  });
});

describe('dead-lettering while the broker loads', () => {
  it('waits for the target queue to be loaded (drop-head at load into a queue loaded later)', async () => {
    const { broker, store, clock } = await brokerHarness();
    await broker.createQueue('a', { maxLength: 1, deadLetterExchange: '', deadLetterRoutingKey: 'b' });
    await broker.createQueue('b');
    await broker.send({ kind: 'queue', name: 'a' }, msg('first'));
    await broker.close();
    // a second row, as if written before maxLength was lowered: over the limit at load
    await store.putMessage({ queue: 'a', seq: 100, id: 'second', message: msg('second'), enqueuedAt: clock.now(), availableAt: clock.now(), receiveCount: 0 });
    const { Broker } = await import('../../../src/core/broker.js');
    const again = await Broker.open({ store, clock });
    await settle();
    expect(bodies(await again.requireQueue('a').receive())).toEqual(['second']);
    const [moved] = await again.requireQueue('b').receive();
    expect(bodies([moved!])).toEqual(['first']);
    await again.close();
  });
});
