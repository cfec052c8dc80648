/**
 * STOMP sessions on queues: send/receive with stompit, receipts, ack modes, redelivery after
 * NACK and disconnect, prefetch, persistent receipts, binary bodies, header mapping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { header } from '../../../protocols/stomp/frame.js';
import type { TestServer } from '../../support/test-server.js';
import { collect, disconnect, RawClient, sendWithReceipt, startStompServer, stompitConnect, waitFor } from './session-helpers.js';

let ts: TestServer;
let port: number;

beforeAll(async () => {
  ts = await startStompServer();
  port = ts.ports.stomp!;
});

afterAll(async () => {
  await ts.cleanup();
});

describe('STOMP queues', () => {
  it('delivers a SEND to a queue subscriber with the standard MESSAGE headers', async () => {
    const producer = await stompitConnect(port);
    const consumer = await stompitConnect(port);
    const got = collect(consumer, { destination: '/queue/q.basic', ack: 'auto' });
    await waitFor(() => ts.server.broker.getQueue('q.basic')?.stats().consumers === 1, 'consumer');
    await sendWithReceipt(producer, {
      destination: '/queue/q.basic', 'content-type': 'text/plain', 'correlation-id': 'c-1', priority: '7', 'x-custom': 'v1', 'message-id': 'app-1',
    }, 'hello');
    await waitFor(() => got.length === 1, 'message');
    const m = got[0]!;
    expect(m.body.toString()).toBe('hello');
    expect(m.headers.destination).toBe('/queue/q.basic');
    expect(m.headers['message-id']).toMatch(/^ID:/);
    expect(m.headers.subscription).toBeDefined();
    expect(m.headers['content-type']).toBe('text/plain');
    expect(m.headers['correlation-id']).toBe('c-1');
    expect(m.headers.priority).toBe('7');
    expect(m.headers['x-custom']).toBe('v1');
    expect(m.headers['amqp-message-id']).toBe('app-1');
    expect(String(m.headers['content-length'])).toBe('5');
    expect(m.headers.persistent).toBeUndefined(); // ActiveMQ default: non-persistent
    await disconnect(producer);
    await disconnect(consumer);
  });

  it('round-trips a binary body with NULs byte for byte, in both directions', async () => {
    const body = Buffer.from([0, 1, 2, 0, 255, 0, 10, 13, 0]);
    const c = await RawClient.connect(port);
    c.frame('SUBSCRIBE', { id: 's1', destination: '/queue/q.binary' });
    c.frame('SEND', { destination: '/queue/q.binary', receipt: 'r1' }, body);
    await c.receipt('r1');
    const m = await c.nextCommand('MESSAGE');
    expect(m.body.equals(body)).toBe(true);
    expect(header(m, 'content-length')).toBe(String(body.length));
    // stompit reads it back identically
    const s = await stompitConnect(port);
    const got = collect(s, { destination: '/queue/q.binary2' });
    c.frame('SEND', { destination: '/queue/q.binary2' }, body);
    await waitFor(() => got.length === 1, 'binary message');
    expect(got[0]!.body.equals(body)).toBe(true);
    c.close();
    await disconnect(s);
  });

  it('acknowledges a persistent SEND only after the store committed it; it survives a restart', async () => {
    const c = await RawClient.connect(port);
    c.frame('SEND', { destination: '/queue/q.durable', persistent: 'true', receipt: 'p1' }, 'keep me');
    await c.receipt('p1');
    c.frame('SEND', { destination: '/queue/q.durable', receipt: 'p2' }, 'volatile');
    await c.receipt('p2');
    expect(ts.server.broker.getQueue('q.durable')!.stats().visible).toBe(2);
    c.close();
    ts = await ts.restart();
    port = ts.ports.stomp!;
    const q = await ts.server.broker.queue('q.durable');
    expect(q.stats().visible).toBe(1);
    const r = await RawClient.connect(port);
    r.frame('SUBSCRIBE', { id: 's', destination: '/queue/q.durable' });
    const m = await r.nextCommand('MESSAGE');
    expect(m.body.toString()).toBe('keep me');
    expect(header(m, 'persistent')).toBe('true');
    r.close();
  });

  it('client-individual: NACK redelivers with redelivered:true; unacked messages come back after a disconnect', async () => {
    const c1 = await RawClient.connect(port);
    c1.frame('SUBSCRIBE', { id: 'a', destination: '/queue/q.nack', ack: 'client-individual' });
    c1.frame('SEND', { destination: '/queue/q.nack', receipt: 'r' }, 'm1');
    await c1.receipt('r');
    const first = await c1.nextCommand('MESSAGE');
    expect(header(first, 'redelivered')).toBeUndefined();
    c1.frame('NACK', { id: header(first, 'ack')! });
    const again = await c1.nextCommand('MESSAGE');
    expect(again.body.toString()).toBe('m1');
    expect(header(again, 'redelivered')).toBe('true');
    expect(header(again, 'message-id')).toBe(header(first, 'message-id'));
    // do not ack: disconnect and a new consumer gets it again
    c1.close();
    await c1.waitClosed();
    const c2 = await RawClient.connect(port);
    c2.frame('SUBSCRIBE', { id: 'b', destination: '/queue/q.nack', ack: 'client-individual' });
    const third = await c2.nextCommand('MESSAGE');
    expect(third.body.toString()).toBe('m1');
    expect(header(third, 'redelivered')).toBe('true');
    c2.frame('ACK', { id: header(third, 'ack')!, receipt: 'acked' });
    await c2.receipt('acked');
    expect(ts.server.broker.getQueue('q.nack')!.stats().inFlight).toBe(0);
    expect(ts.server.broker.getQueue('q.nack')!.stats().visible).toBe(0);
    c2.close();
  });

  it('client mode acks cumulatively; stompit 1.1 acks by message-id', async () => {
    const c = await RawClient.connect(port);
    c.frame('SUBSCRIBE', { id: 'cum', destination: '/queue/q.cumulative', ack: 'client' });
    for (let i = 0; i < 5; i++) c.frame('SEND', { destination: '/queue/q.cumulative' }, `m${i}`);
    const msgs = [];
    for (let i = 0; i < 5; i++) msgs.push(await c.nextCommand('MESSAGE'));
    expect(msgs.map((m) => m.body.toString())).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    c.frame('ACK', { id: header(msgs[2]!, 'ack')!, receipt: 'a3' });
    await c.receipt('a3');
    const q = ts.server.broker.getQueue('q.cumulative')!;
    expect(q.stats().inFlight).toBe(2);
    c.frame('ACK', { id: header(msgs[1]!, 'ack')!, receipt: 'stale' }); // already covered: ignored
    await c.receipt('stale');
    c.close();
    await waitFor(() => q.stats().visible === 2, 'requeue of the unacked two');

    const s = await stompitConnect(port, { 'accept-version': '1.1' });
    const got = collect(s, { destination: '/queue/q.cumulative', ack: 'client-individual' });
    await waitFor(() => got.length === 2, 'two redeliveries');
    expect(got.map((g) => g.body.toString())).toEqual(['m3', 'm4']);
    expect(got[0]!.headers.ack).toBeUndefined(); // 1.1: no ack header
    for (const g of got) s.ack(g.message);
    await waitFor(() => q.stats().inFlight === 0 && q.stats().visible === 0, 'acks by message-id');
    await disconnect(s);
  });

  it('prefetch limits the unacknowledged messages in flight (activemq.prefetchSize and prefetch-count)', async () => {
    const p = await RawClient.connect(port);
    for (let i = 0; i < 10; i++) p.frame('SEND', { destination: '/queue/q.prefetch' }, `m${i}`);
    p.frame('DISCONNECT', { receipt: 'bye' });
    await p.receipt('bye');
    const q = ts.server.broker.getQueue('q.prefetch')!;
    const a = await RawClient.connect(port);
    a.frame('SUBSCRIBE', { id: 'a', destination: '/queue/q.prefetch', ack: 'client-individual', 'activemq.prefetchSize': '3' });
    const b = await RawClient.connect(port);
    b.frame('SUBSCRIBE', { id: 'b', destination: '/queue/q.prefetch', ack: 'client', 'prefetch-count': '2' });
    await waitFor(() => q.stats().inFlight === 5, 'five in flight');
    const count = (c: RawClient) => c.frames.filter((f) => f.command === 'MESSAGE').length;
    await new Promise((r) => setTimeout(r, 50));
    expect(count(a)).toBe(3);
    expect(count(b)).toBe(2);
    const firstA = await a.nextCommand('MESSAGE');
    a.frame('ACK', { id: header(firstA, 'ack')! });
    await waitFor(() => count(a) === 4, 'one more after the ack');
    expect(q.stats().inFlight).toBe(5);
    a.close();
    b.close();
  });

  it('ack:auto delivers everything and leaves nothing in flight', async () => {
    const c = await RawClient.connect(port);
    c.frame('SUBSCRIBE', { id: 'auto', destination: '/queue/q.auto' });
    for (let i = 0; i < 300; i++) c.frame('SEND', { destination: '/queue/q.auto' }, `m${i}`);
    await waitFor(() => c.frames.filter((f) => f.command === 'MESSAGE').length === 300, '300 messages');
    const q = ts.server.broker.getQueue('q.auto')!;
    await waitFor(() => q.stats().inFlight === 0 && q.stats().visible === 0, 'all acked');
    expect(c.frames.filter((f) => f.command === 'MESSAGE').map((f) => f.body.toString())).toEqual(Array.from({ length: 300 }, (_, i) => `m${i}`));
    c.close();
  });

  it('answers every frame carrying receipt, and DISCONNECT with a receipt closes the connection', async () => {
    const c = await RawClient.connect(port);
    c.frame('SUBSCRIBE', { id: 'x', destination: '/queue/q.receipts', receipt: 'sub' });
    await c.receipt('sub');
    c.frame('BEGIN', { transaction: 't', receipt: 'begin' });
    await c.receipt('begin');
    c.frame('ABORT', { transaction: 't', receipt: 'abort' });
    await c.receipt('abort');
    c.frame('UNSUBSCRIBE', { id: 'x', receipt: 'unsub' });
    await c.receipt('unsub');
    c.frame('DISCONNECT', { receipt: 'dc' });
    await c.receipt('dc');
    await c.waitClosed();
  });

  it('maps expires, reply-to, type and repeated headers (first wins); numbers from other protocols become strings', async () => {
    const c = await RawClient.connect(port);
    c.frame('SUBSCRIBE', { id: 'm', destination: '/queue/q.map' });
    const expires = Date.now() + 60_000;
    c.write(`SEND\ndestination:/queue/q.map\nexpires:${expires}\nreply-to:/queue/answers\ntype:order\nx-dup:first\nx-dup:second\nx-esc:a\\cb\\nc\n\nbody\0`);
    const m = await c.nextCommand('MESSAGE');
    expect(header(m, 'expires')).toBe(String(expires));
    expect(header(m, 'reply-to')).toBe('/queue/answers');
    expect(header(m, 'type')).toBe('order');
    expect(header(m, 'x-dup')).toBe('first');
    expect(header(m, 'x-esc')).toBe('a:b\nc');
    await ts.server.broker.send({ kind: 'queue', name: 'q.map' }, {
      body: Buffer.from('x'), properties: {}, headers: { n: 42, f: 1.5, b: true, z: null }, persistent: false,
    });
    const m2 = await c.nextCommand('MESSAGE');
    expect([header(m2, 'n'), header(m2, 'f'), header(m2, 'b'), header(m2, 'z')]).toEqual(['42', '1.5', 'true', '']);
    c.close();
  });

  it('speaks 1.0 (STOMP frame names, no escaping, subscription id defaults to the destination) and accepts CRLF line endings', async () => {
    const c = await RawClient.open(port);
    c.setVersion('1.0');
    c.write('STOMP\r\nhost:/\r\n\r\n\0');
    const connected = await c.nextCommand('CONNECTED');
    expect(header(connected, 'version')).toBe('1.0');
    c.write('SUBSCRIBE\r\ndestination:/queue/q.v10\r\n\r\n\0');
    c.write('SEND\r\ndestination:/queue/q.v10\r\nx-raw:back\\slash\r\nreceipt:r\r\n\r\nten\0\r\n');
    await c.receipt('r');
    const m = await c.nextCommand('MESSAGE');
    expect(header(m, 'subscription')).toBe('/queue/q.v10');
    expect(header(m, 'x-raw')).toBe('back\\slash'); // 1.0: backslashes are literal both ways
    expect(header(m, 'ack')).toBeUndefined();
    expect(m.body.toString()).toBe('ten');
    c.close();
  });

  it('scheduled delay, FIFO group and dedup ids, NACK requeue:false', async () => {
    const c = await RawClient.connect(port);
    c.frame('SEND', { destination: '/queue/q.delay', AMQ_SCHEDULED_DELAY: '60000', receipt: 'd' }, 'later');
    await c.receipt('d');
    expect(ts.server.broker.getQueue('q.delay')!.stats()).toMatchObject({ delayed: 1, visible: 0 });
    for (const r of ['f1', 'f2']) c.frame('SEND', { destination: '/queue/q.orders.fifo', JMSXGroupID: 'g1', 'x-deduplication-id': 'same', receipt: r }, 'once');
    await c.receipt('f2');
    expect(ts.server.broker.getQueue('q.orders.fifo')!.stats()).toMatchObject({ visible: 1, duplicates: 1 });
    c.frame('SUBSCRIBE', { id: 'f', destination: '/queue/q.orders.fifo', ack: 'client-individual' });
    const m = await c.nextCommand('MESSAGE');
    expect([header(m, 'JMSXGroupID'), header(m, 'x-deduplication-id')]).toEqual(['g1', 'same']);
    c.frame('NACK', { id: header(m, 'ack')!, requeue: 'false', receipt: 'n' });
    await c.receipt('n');
    expect(ts.server.broker.getQueue('q.orders.fifo')!.stats()).toMatchObject({ visible: 0, inFlight: 0, rejected: 1 });
    c.close();
  });
});
