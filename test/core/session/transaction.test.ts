/** Local transactions: staged sends and acks, commit in order, rollback. */
import { describe, expect, it } from 'vitest';
import { createMessage } from '../../../src/core/message.js';
import { bodies, openBroker, recorder, session, settle } from './helpers.js';

describe('session transactions', () => {
  it('commit sends in order and settles staged acks; nothing happens before', async () => {
    const { broker } = await openBroker();
    const s = session(broker);
    await s.send({ address: { kind: 'queue', name: 'in' }, message: createMessage('work') });
    const rec = recorder();
    const c = await s.createConsumer({ source: { kind: 'queue', name: 'in' }, ack: 'individual' }, rec);
    await settle();
    s.begin('tx1');
    s.stage('tx1', { kind: 'send', request: { address: { kind: 'queue', name: 'out' }, message: createMessage('r1') } }, 2);
    s.stage('tx1', { kind: 'ack', consumer: c, deliveryId: rec.got[0]!.id });
    s.stage('tx1', { kind: 'send', request: () => ({ address: { kind: 'queue', name: 'out' }, message: createMessage('r2') }) }, 2);
    await settle();
    expect(broker.getQueue('out')).toBeUndefined();
    expect(c.unsettled).toBe(1);
    await s.commit('tx1');
    expect(broker.getQueue('out')!.stats().visible).toBe(2);
    expect(broker.getQueue('in')!.stats()).toMatchObject({ visible: 0, inFlight: 0 });
    const out = recorder();
    await s.createConsumer({ source: { kind: 'queue', name: 'out' }, ack: 'auto', autoSettle: 'dispatch' }, out);
    await settle();
    expect(bodies(out.got)).toEqual(['r1', 'r2']);
    expect(s.inTransaction('tx1')).toBe(false);
  });

  it('rollback discards sends; staged acks stay unsettled (and are redelivered on close), or go back at once with redeliver', async () => {
    const { broker } = await openBroker();
    const s = session(broker);
    await s.send({ address: { kind: 'queue', name: 'in' }, message: createMessage('a') });
    await s.send({ address: { kind: 'queue', name: 'in' }, message: createMessage('b') });
    const rec = recorder();
    const c = await s.createConsumer({ source: { kind: 'queue', name: 'in' }, ack: 'individual' }, rec);
    await settle();
    s.begin('t');
    s.stage('t', { kind: 'send', request: { address: { kind: 'queue', name: 'out' }, message: createMessage('never') } });
    s.stage('t', { kind: 'ack', consumer: c, deliveryId: rec.got[0]!.id });
    s.rollback('t');
    expect(c.has(rec.got[0]!.id)).toBe(true);
    expect(broker.getQueue('out')).toBeUndefined();

    s.begin('t2');
    s.stage('t2', { kind: 'ack', consumer: c, deliveryId: rec.got[1]!.id });
    s.rollback('t2', { redeliver: true });
    await settle();
    expect(rec.got[2]).toMatchObject({ redelivered: true });
    expect(bodies(rec.got)).toEqual(['a', 'b', 'b']);

    s.begin('open');
    s.stage('open', { kind: 'ack', consumer: c, deliveryId: rec.got[0]!.id });
    await s.close(); // rolls back, returns a and b to the queue
    expect(broker.getQueue('in')!.stats()).toMatchObject({ visible: 2, inFlight: 0 });
  });

  it('enforces the limits', async () => {
    const { broker } = await openBroker();
    const s = session(broker, { limits: { maxTransactions: 1, maxTransactionOperations: 1, maxTransactionBytes: 3 } });
    s.begin('a');
    expect(() => s.begin('a')).toThrow(/already open/);
    expect(() => s.begin('b')).toThrow(/too many open transactions/);
    expect(() => s.stage('a', { kind: 'send', request: { address: { kind: 'queue', name: 'q' }, message: createMessage('abcd') } }, 4)).toThrow(/exceeds 3 bytes/);
    s.stage('a', { kind: 'send', request: { address: { kind: 'queue', name: 'q' }, message: createMessage('ab') } }, 2);
    expect(() => s.stage('a', { kind: 'send', request: { address: { kind: 'queue', name: 'q' }, message: createMessage('c') } }, 1)).toThrow(/exceeds 1 staged operations/);
    await expect(s.commit('nope')).rejects.toThrow(/no open transaction/);
  });
});
