/** Durable subscription naming, resume across restarts and from records of the previous version. */
import { describe, expect, it } from 'vitest';
import { createMessage } from '../../../src/core/message.js';
import { isBrokerError } from '../../../src/core/errors.js';
import {
  durableQueueName, escapeLevel, identityOf, unescapeLevel,
} from '../../../src/core/session/durable-subscriptions.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { bodies, openBroker, recorder, session, settle } from './helpers.js';

describe('durable subscription naming', () => {
  it.each(['app-1', 'a.b', 'x*y>z', '100%', 'sp ace', 'ünï€😀', 'ID:host-1:23', 'user@host', '', '%41'])('escape of %j is one level and round-trips', (s) => {
    const e = escapeLevel(s);
    expect(e).toMatch(/^(?:[A-Za-z0-9_-]|%[0-9A-F]{2})*$/);
    expect(unescapeLevel(e)).toBe(s);
  });

  it('is the escape STOMP used, so STOMP queue names do not change', () => {
    expect(escapeLevel('a.b*c>d %')).toBe('a%2Eb%2Ac%3Ed%20%25');
    expect(durableQueueName({ protocol: 'stomp', clientId: 'app-1', subscriptionName: 'audit' })).toBe('stomp.durable.app-1.audit');
    expect(durableQueueName({ protocol: 'amqp10', clientId: 'c:1', subscriptionName: 'n' })).toBe('amqp.sub.c%3A1.n');
    expect(durableQueueName({ protocol: 'amqp10', clientId: 'c', subscriptionName: 'n'.repeat(2000) })).toMatch(/^amqp\.sub\.h\.[0-9a-f]{64}$/);
  });

  it('reads the identity from the current schema and from both previous ones', () => {
    expect(identityOf({ protocol: 'stomp', clientId: 'c', subscriptionName: 's' })).toEqual({ protocol: 'stomp', clientId: 'c', subscriptionName: 's' });
    expect(identityOf({ createdBy: 'stomp', clientId: 'c', subscriptionName: 's' })).toEqual({ protocol: 'stomp', clientId: 'c', subscriptionName: 's' });
    expect(identityOf({ protocol: 'amqp10', containerId: 'c', linkName: 'l' })).toEqual({ protocol: 'amqp10', clientId: 'c', subscriptionName: 'l' });
    expect(identityOf({ createdBy: 'mqtt', clientId: 'c', filter: 'a/b' })).toBeUndefined();
  });
});

describe('durable subscriptions through the session', () => {
  it('collect while detached, survive a restart, and resume', async () => {
    const store = new MemoryStore();
    const { broker } = await openBroker(store);
    const s = session(broker, { protocol: 'stomp', clientId: 'app-1' });
    const c = await s.createConsumer({ source: { kind: 'topic', pattern: 'news.>', durable: { name: 'audit' } }, ack: 'individual' }, recorder());
    expect(broker.listSubscriptions({ queue: 'stomp.durable.app-1.audit' })[0]).toMatchObject({ attributes: { protocol: 'stomp', clientId: 'app-1', subscriptionName: 'audit' } });
    c.close();
    await s.send({ address: { kind: 'topic', name: 'news.eu' }, message: createMessage('kept') });
    await s.close();
    await broker.close();

    const { broker: again } = await openBroker(store);
    const s2 = session(again, { protocol: 'stomp', clientId: 'app-1' });
    const rec = recorder();
    await s2.createConsumer({ source: { kind: 'topic', pattern: 'news.>', durable: { name: 'audit' } }, ack: 'individual' }, rec);
    await settle();
    expect(bodies(rec.got)).toEqual(['kept']);
    expect(rec.got[0]!.destination).toEqual({ kind: 'topic', name: 'news.eu' });
  });

  it('keep the claim when a re-attach on the same connection overlaps the old consumer closing', async () => {
    const { broker } = await openBroker();
    const a = session(broker, { protocol: 'amqp10', clientId: 'app' });
    const b = session(broker, { protocol: 'amqp10', clientId: 'app' });
    const spec = { source: { kind: 'topic' as const, pattern: 't', durable: { name: 'd' } }, ack: 'individual' as const };
    const old = await a.createConsumer(spec, recorder());
    await a.createConsumer(spec, recorder()); // re-attach before the old link's close is processed
    old.close();
    await expect(b.createConsumer(spec, recorder())).rejects.toSatisfy((e: unknown) => isBrokerError(e, 'ALREADY_EXISTS'));
    await a.close();
    await b.createConsumer(spec, recorder());
    await b.close();
  });

  it('allow one active consumer; unsubscribe removes the queue', async () => {
    const { broker } = await openBroker();
    const a = session(broker, { protocol: 'stomp', clientId: 'app' });
    const b = session(broker, { protocol: 'stomp', clientId: 'app' });
    await a.createConsumer({ source: { kind: 'topic', pattern: 't', durable: { name: 'd' } }, ack: 'auto' }, recorder());
    let err: unknown;
    try {
      await b.createConsumer({ source: { kind: 'topic', pattern: 't', durable: { name: 'd' } }, ack: 'auto' }, recorder());
    } catch (e) {
      err = e;
    }
    expect(isBrokerError(err, 'ALREADY_EXISTS')).toBe(true);
    await expect(b.unsubscribeDurable('d')).rejects.toThrow(/active on another connection/);
    await a.close();
    expect(await b.unsubscribeDurable('d')).toBe(true);
    expect(broker.getQueue('stomp.durable.app.d')).toBeUndefined();
    expect(await b.unsubscribeDurable('d')).toBe(false);
  });

  it('re-subscribing with another pattern replaces it and purges what it collected', async () => {
    const { broker } = await openBroker();
    const s = session(broker, { protocol: 'stomp', clientId: 'app' });
    const c = await s.createConsumer({ source: { kind: 'topic', pattern: 'a', durable: { name: 'd' } }, ack: 'individual' }, recorder());
    c.close();
    await s.send({ address: { kind: 'topic', name: 'a' }, message: createMessage('old') });
    const rec = recorder();
    await s.createConsumer({ source: { kind: 'topic', pattern: 'b', durable: { name: 'd' } }, ack: 'individual' }, rec);
    await s.send({ address: { kind: 'topic', name: 'a' }, message: createMessage('a2') });
    await s.send({ address: { kind: 'topic', name: 'b' }, message: createMessage('b1') });
    await settle();
    expect(bodies(rec.got)).toEqual(['b1']);
    expect(broker.listSubscriptions({ queue: 'stomp.durable.app.d' }).map((x) => x.pattern)).toEqual(['b']);
  });

  it('resumes subscriptions stored by the previous version (STOMP createdBy, AMQP 1.0 containerId/linkName and its old escape)', async () => {
    const store = new MemoryStore();
    await store.open();
    const createdAt = 1_700_000_000_000;
    // As the previous version wrote them: queues, subscription records, and one collected message each.
    await store.putDestination({ kind: 'queue', name: 'stomp.durable.app-1.audit', attributes: {}, createdAt });
    await store.putSubscription({ id: 'stomp.durable.app-1.audit', pattern: 'news.>', queue: 'stomp.durable.app-1.audit', filterPolicy: null, createdAt, attributes: { createdBy: 'stomp', clientId: 'app-1', subscriptionName: 'audit' } });
    await store.putDestination({ kind: 'queue', name: 'amqp.sub.ID:c-1.sub@x', attributes: {}, createdAt });
    await store.putSubscription({ id: 'f0e1d2c3-0000-4000-8000-000000000000', pattern: 'news.>', queue: 'amqp.sub.ID:c-1.sub@x', filterPolicy: null, createdAt, attributes: { protocol: 'amqp10', containerId: 'ID:c-1', linkName: 'sub@x' } });
    const { broker } = await openBroker(store);
    await broker.publish('news.eu', createMessage('collected'));

    const stomp = session(broker, { protocol: 'stomp', clientId: 'app-1' });
    const r1 = recorder();
    await stomp.createConsumer({ source: { kind: 'topic', pattern: 'news.>', durable: { name: 'audit' } }, ack: 'individual' }, r1);
    const amqp = session(broker, { protocol: 'amqp10', clientId: 'ID:c-1' });
    const r2 = recorder();
    await amqp.createConsumer({ source: { kind: 'topic', pattern: 'news.>', durable: { name: 'sub@x' } }, ack: 'individual' }, r2);
    await settle();
    expect(bodies(r1.got)).toEqual(['collected']);
    expect(bodies(r2.got)).toEqual(['collected']);
    // resumed in place, record rewritten in the current schema, no second record
    const amqpSubs = broker.listSubscriptions({ queue: 'amqp.sub.ID:c-1.sub@x' });
    expect(amqpSubs).toHaveLength(1);
    expect(amqpSubs[0]).toMatchObject({ id: 'f0e1d2c3-0000-4000-8000-000000000000', attributes: { protocol: 'amqp10', clientId: 'ID:c-1', subscriptionName: 'sub@x' } });
    expect(broker.getQueue('amqp.sub.ID%3Ac-1.sub%40x')).toBeUndefined();
    expect(broker.listSubscriptions({ queue: 'stomp.durable.app-1.audit' })[0]).toMatchObject({ attributes: { protocol: 'stomp', clientId: 'app-1', subscriptionName: 'audit' } });
    // and an old record can be unsubscribed
    amqp.close();
    const amqp2 = session(broker, { protocol: 'amqp10', clientId: 'ID:c-1' });
    expect(await amqp2.unsubscribeDurable('sub@x')).toBe(true);
    expect(broker.getQueue('amqp.sub.ID:c-1.sub@x')).toBeUndefined();
  });
});
