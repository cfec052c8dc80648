/** The Broker facade: namespaces, auto-create, attributes, reopen, send by address, keyed state. */
import { describe, expect, it } from 'vitest';
import { Broker } from '../../src/core/broker.js';
import { ManualClock } from '../../src/core/clock.js';
import { isBrokerError } from '../../src/core/errors.js';
import { createMessage } from '../../src/core/message.js';
import { MemoryStore } from '../../src/store/memory-store.js';

async function open(store = new MemoryStore(), opts: Partial<Parameters<typeof Broker.open>[0]> = {}) {
  await store.open();
  return Broker.open({ store, clock: new ManualClock(), ...opts });
}

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return isBrokerError(err) ? err.code : `OTHER: ${String(err)}`;
  }
  return undefined;
}

describe('Broker', () => {
  it('keeps queues and streams in one namespace and topics in another', async () => {
    const b = await open();
    await b.createQueue('shared');
    expect(await code(b.createStream('shared'))).toBe('KIND_MISMATCH');
    await b.createStream('events');
    expect(await code(b.createQueue('events'))).toBe('KIND_MISMATCH');
    await b.createTopic('shared'); // a topic may share a queue's name (/queue/a and /topic/a differ)
    expect(b.lookup('shared')).toBe('queue');
    expect(b.lookup('events')).toBe('stream');
  });

  it('creates on first use, or refuses when auto-create is off', async () => {
    const b = await open();
    await b.send({ kind: 'queue', name: 'auto.q' }, createMessage('x'));
    expect(b.getQueue('auto.q')?.stats().visible).toBe(1);
    const strict = await open(new MemoryStore(), { autoCreate: false });
    expect(await code(strict.send({ kind: 'queue', name: 'nope' }, createMessage('x')))).toBe('AUTO_CREATE_DISABLED');
    expect(await code(strict.send({ kind: 'stream', name: 'nope' }, createMessage('x', { partitionKey: 'k' })))).toBe('AUTO_CREATE_DISABLED');
    expect(await code(strict.publish('nope', createMessage('x')))).toBe('AUTO_CREATE_DISABLED');
  });

  it('is idempotent on createQueue and refuses conflicting attributes', async () => {
    const b = await open();
    const q = await b.createQueue('jobs', { visibilityTimeoutMs: 1000 });
    expect(await b.createQueue('jobs')).toBe(q);
    expect(await b.createQueue('jobs', { visibilityTimeoutMs: 1000 })).toBe(q);
    expect(await code(b.createQueue('jobs', { visibilityTimeoutMs: 2000 }))).toBe('ALREADY_EXISTS');
    const [x, y] = await Promise.all([b.createQueue('race'), b.createQueue('race')]);
    expect(x).toBe(y);
  });

  it('validates names and attributes', async () => {
    const b = await open();
    expect(await code(b.createQueue('a..b'))).toBe('INVALID_NAME');
    expect(await code(b.createQueue('q', { retentionMs: 1 }))).toBe('INVALID_ATTRIBUTE');
    expect(await code(b.createQueue('q', { deadLetterQueue: 'q', maxReceiveCount: 3 }))).toBe('INVALID_ATTRIBUTE');
    expect(await code(b.createQueue('f.fifo', { deadLetterQueue: 'std-dlq', maxReceiveCount: 3 }))).toBe('INVALID_ATTRIBUTE');
    expect(await code(b.createStream('s', { shardCount: 0 }))).toBe('INVALID_ATTRIBUTE');
    expect(await code(Promise.resolve().then(() => b.subscribeLive('a.>.b', { offer: () => true })))).toBe('INVALID_NAME');
  });

  it('uses the broker-wide message size limit as default and ceiling', async () => {
    const b = await open(new MemoryStore(), { maxMessageBytes: 100 });
    const q = await b.createQueue('small');
    expect(q.attributes.maxMessageBytes).toBe(100);
    expect(await code(q.send(createMessage(Buffer.alloc(101))))).toBe('MESSAGE_TOO_LARGE');
    expect(await code(b.createQueue('bigger', { maxMessageBytes: 1000 }))).toBe('INVALID_ATTRIBUTE');
    expect(await code(b.publish('t', createMessage(Buffer.alloc(101))))).toBe('MESSAGE_TOO_LARGE');
  });

  it('creates the dead-letter queue a redrive policy names', async () => {
    const b = await open();
    await b.createQueue('work', { deadLetterQueue: 'work.dlq', maxReceiveCount: 2 });
    expect(b.getQueue('work.dlq')).toBeDefined();
  });

  it('fans a topic publish out to queue subscriptions, and deleting the queue removes them', async () => {
    const b = await open();
    const sub = await b.subscribeQueue({ pattern: 'orders.*', queue: 'audit' });
    const r = await b.publish('orders.eu', createMessage('o1'));
    expect(r.delivered).toBe(1);
    expect(b.getQueue('audit')?.stats().visible).toBe(1);
    const [copy] = await b.getQueue('audit')!.receive();
    expect(copy!.message.properties.topic).toBe('orders.eu'); // the concrete topic behind the pattern
    await b.deleteQueue('audit');
    expect(b.listSubscriptions().some((s) => s.id === sub.id)).toBe(false);
  });

  it('restores destinations, attributes, subscriptions and messages when reopened on the same store', async () => {
    const store = new MemoryStore();
    const b = await open(store);
    await b.createQueue('q', { visibilityTimeoutMs: 1234 });
    await b.createTopic('t.fifo', { contentBasedDeduplication: true });
    await b.createStream('s', { shardCount: 3 });
    await b.subscribeQueue({ pattern: 't.>', queue: 'fan' });
    await b.send({ kind: 'queue', name: 'q' }, createMessage('persisted'));
    await b.send({ kind: 'queue', name: 'q' }, createMessage('transient', { persistent: false }));
    const temp = await b.createTemporaryQueue('reply');
    await b.close();

    const again = await open(store);
    expect(again.getQueue('q')?.attributes.visibilityTimeoutMs).toBe(1234);
    expect(again.getQueue('q')?.stats().visible).toBe(1);
    expect(again.getTopic('t.fifo')?.attributes).toEqual({ fifo: true, contentBasedDeduplication: true });
    expect(again.getStream('s')?.listShards()).toHaveLength(3);
    expect(again.getQueue(temp.name)).toBeUndefined(); // temporary queues are not durable
    await again.publish('t.x', createMessage('after restart'));
    expect(again.getQueue('fan')?.stats().visible).toBe(1);
  });

  it('sends to every kind by address', async () => {
    const b = await open();
    expect((await b.send({ kind: 'queue', name: 'q' }, createMessage('a'))).seq).toBe(1);
    expect((await b.send({ kind: 'topic', name: 't' }, createMessage('b'))).delivered).toBe(0);
    const s = await b.send({ kind: 'stream', name: 's' }, createMessage('c', { partitionKey: 'k' }));
    expect(s.shardId).toMatch(/^shardId-/);
  });

  it('keeps front-end state durable per namespace', async () => {
    const store = new MemoryStore();
    const b = await open(store);
    const st = await b.state('mqtt.sessions');
    await st.set('client-1', Buffer.from('{"clean":false}'));
    await st.set('client-2', Buffer.from('x'));
    await st.delete('client-2');
    expect(await b.state('mqtt.sessions')).toBe(st);
    await b.close();
    const again = await open(store);
    const st2 = await again.state('mqtt.sessions');
    expect([...st2.keys()]).toEqual(['client-1']);
    expect(st2.get('client-1')?.toString()).toBe('{"clean":false}');
  });

  it('refuses work after close', async () => {
    const b = await open();
    await b.close();
    expect(await code(b.createQueue('late'))).toBe('STORE_CLOSED');
  });
});

describe('Broker: topic copies', () => {
  it('passes a FIFO topic content-based dedup id on to FIFO queue subscribers', async () => {
    const b = await open();
    await b.createTopic('orders.fifo', { contentBasedDeduplication: true });
    await b.createQueue('billing.fifo'); // no contentBasedDeduplication of its own
    await b.subscribeQueue({ pattern: 'orders.fifo', queue: 'billing.fifo' });
    await b.publish('orders.fifo', createMessage('order-1', { groupId: 'g' }));
    expect(b.getQueue('billing.fifo')?.stats().visible).toBe(1);
  });

  it('refuses an oversize publish (body plus headers) instead of acknowledging failed copies', async () => {
    const b = await open(new MemoryStore(), { maxMessageBytes: 100 });
    await b.subscribeQueue({ pattern: 't', queue: 'q' });
    const msg = createMessage(Buffer.alloc(60), { headers: { big: 'y'.repeat(60) } });
    expect(await code(b.publish('t', msg))).toBe('MESSAGE_TOO_LARGE');
  });

  it('drops subscriptions into queues that did not survive a restart', async () => {
    const store = new MemoryStore();
    const b = await open(store);
    const temp = await b.createTemporaryQueue('reply');
    await b.subscribeQueue({ pattern: 'news', queue: temp.name });
    await b.close();
    const again = await open(store);
    expect(again.listSubscriptions()).toEqual([]);
    expect((await again.publish('news', createMessage('x'))).delivered).toBe(0);
  });
});
