/** maxLength / maxLengthBytes with overflow drop-head, reject-publish and reject-publish-dlx. */
import { describe, expect, it } from 'vitest';
import { isBrokerError } from '../../../src/core/errors.js';
import { bodies, brokerHarness, harness, msg, recorder, settle } from './helpers.js';

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return isBrokerError(err) ? err.code : `OTHER: ${String(err)}`;
  }
  return undefined;
}

describe('Queue max length', () => {
  it('drop-head (default): the oldest undelivered messages go, counted as overflowed', async () => {
    const h = await harness();
    const q = await h.open('q', { maxLength: 2 });
    for (const b of ['m1', 'm2', 'm3', 'm4']) await q.send(msg(b));
    expect(q.stats()).toMatchObject({ visible: 2, enqueued: 4, overflowed: 2 });
    expect((await h.store.loadMessages('q')).map((r) => r.message.body.toString())).toEqual(['m3', 'm4']);
    expect(bodies(await q.receive({ max: 10 }))).toEqual(['m3', 'm4']);
  });

  it('counts ready messages only: unacked deliveries do not use up the length', async () => {
    const h = await harness();
    const q = await h.open('q', { maxLength: 1 });
    const r = recorder();
    q.addConsumer({ onMessage: r.onMessage, prefetch: 2 });
    await q.send(msg('a'));
    await q.send(msg('b'));
    await settle();
    expect(r.bodies()).toEqual(['a', 'b']);
    await q.send(msg('c'));
    await q.send(msg('d')); // c is the oldest ready one (a and b are unacked): c goes
    expect(q.stats()).toMatchObject({ visible: 1, inFlight: 2, overflowed: 1 });
  });

  it('maxLengthBytes counts body bytes of ready messages', async () => {
    const h = await harness();
    const q = await h.open('q', { maxLengthBytes: 10 });
    await q.send(msg('12345'));
    await q.send(msg('678'));
    await q.send(msg('abcd')); // 12 bytes: the head (5) goes
    expect(q.stats()).toMatchObject({ visible: 2, overflowed: 1 });
    expect(bodies(await q.receive({ max: 10 }))).toEqual(['678', 'abcd']);
  });

  it('drop-head dead-letters with reason maxlen when there is a target', async () => {
    const h = await harness();
    const dlq = await h.open('dlq');
    const q = await h.open('q', { maxLength: 1, deadLetterQueue: 'dlq', maxReceiveCount: 5 });
    await q.send(msg('old'));
    await q.send(msg('new'));
    expect(q.stats()).toMatchObject({ visible: 1, overflowed: 0, deadLettered: 1 });
    expect(bodies(await dlq.receive())).toEqual(['old']);
  });

  it('reject-publish: the send fails with QUEUE_FULL, counted as refused; room again after a delivery', async () => {
    const h = await harness();
    const q = await h.open('q', { maxLength: 2, overflow: 'reject-publish' });
    await q.send(msg('a'));
    await q.send(msg('b'));
    expect(await code(q.send(msg('c')))).toBe('QUEUE_FULL');
    expect(q.stats()).toMatchObject({ visible: 2, enqueued: 2, refused: 1, overflowed: 0 });
    expect((await h.store.loadMessages('q')).map((r) => r.message.body.toString())).toEqual(['a', 'b']);
    const [got] = await q.receive(); // in flight: no longer counted
    expect(bodies([got!])).toEqual(['a']);
    await q.send(msg('c'));
    expect(q.stats()).toMatchObject({ visible: 2, inFlight: 1, refused: 1 });
  });

  it('reject-publish on bytes: a message that does not fit is refused, a smaller one is taken', async () => {
    const h = await harness();
    const q = await h.open('q', { maxLengthBytes: 8, overflow: 'reject-publish' });
    await q.send(msg('12345'));
    expect(await code(q.send(msg('6789')))).toBe('QUEUE_FULL');
    await q.send(msg('678'));
    expect(q.stats()).toMatchObject({ visible: 2, refused: 1 });
  });

  it('reject-publish-dlx: refused and dead-lettered (reason maxlen) through the dead-letter exchange', async () => {
    const { broker } = await brokerHarness();
    const dead = await broker.createQueue('dead');
    const q = await broker.createQueue('q', { maxLength: 1, overflow: 'reject-publish-dlx', deadLetterExchange: '', deadLetterRoutingKey: 'dead' });
    await q.send(msg('kept'));
    expect(await code(broker.send({ kind: 'queue', name: 'q' }, msg('refused')))).toBe('QUEUE_FULL');
    await settle();
    expect(q.stats()).toMatchObject({ visible: 1, refused: 1, deadLettered: 1 });
    const [m] = await dead.receive();
    expect(bodies([m!])).toEqual(['refused']);
    expect(m!.message.headers['x-first-death-reason']).toBe('maxlen');
    await broker.close();
  });

  it('lowering the limit drops heads at once (drop-head); a restart applies it to loaded messages', async () => {
    const h = await harness();
    const q = await h.open('q');
    for (const b of ['m1', 'm2', 'm3']) await q.send(msg(b));
    q.setAttributes({ ...q.attributes, maxLength: 1 });
    expect(q.stats()).toMatchObject({ visible: 1, overflowed: 2 });
    q.close();
    await h.store.putMessage({ queue: 'q', seq: 10, id: 'x', message: msg('m4'), enqueuedAt: h.clock.now(), availableAt: h.clock.now(), receiveCount: 0 });
    const r = await h.open('q', { maxLength: 1 });
    expect(r.stats()).toMatchObject({ visible: 1, overflowed: 1 });
    expect(bodies(await r.receive())).toEqual(['m4']);
  });

  it('a full reject-publish queue makes a topic copy fail for that subscription only', async () => {
    const { broker } = await brokerHarness();
    await broker.createQueue('full', { maxLength: 0, overflow: 'reject-publish' });
    await broker.createQueue('open');
    await broker.subscribeQueue({ pattern: 'news', queue: 'full' });
    await broker.subscribeQueue({ pattern: 'news', queue: 'open' });
    const r = await broker.publish('news', msg('n'));
    expect(r.delivered).toBe(1);
    expect(broker.requireQueue('open').stats().visible).toBe(1);
    expect(broker.requireQueue('full').stats().refused).toBe(1);
    await broker.close();
  });
});
