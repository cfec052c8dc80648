/**
 * STOMP topics (live, wildcards, slow-subscriber buffer), durable subscriptions (reconnect,
 * restart, removal), temporary queues with reply-to, and transactions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { header } from '../../../protocols/stomp/frame.js';
import type { TestServer } from '../../support/test-server.js';
import { RawClient, startStompServer, waitFor } from './session-helpers.js';

let ts: TestServer;
let port: number;

beforeAll(async () => {
  ts = await startStompServer({ options: { liveBufferMessages: 5 } });
  port = ts.ports.stomp!;
});

afterAll(async () => {
  await ts.cleanup();
});

const messages = (c: RawClient) => c.frames.filter((f) => f.command === 'MESSAGE');

describe('STOMP topics', () => {
  it('fans a SEND out to every live subscriber; * and > wildcards match as core patterns', async () => {
    const exact = await RawClient.connect(port);
    const star = await RawClient.connect(port);
    const gt = await RawClient.connect(port);
    exact.frame('SUBSCRIBE', { id: '1', destination: '/topic/sensors.t1', receipt: 'r' });
    star.frame('SUBSCRIBE', { id: '1', destination: '/topic/sensors.*', receipt: 'r' });
    gt.frame('SUBSCRIBE', { id: '1', destination: '/topic/sensors.>', receipt: 'r' });
    await Promise.all([exact.receipt('r'), star.receipt('r'), gt.receipt('r')]);
    const p = await RawClient.connect(port);
    p.frame('SEND', { destination: '/topic/sensors.t1' }, 'a');
    p.frame('SEND', { destination: '/topic/sensors.t1.deep' }, 'b');
    p.frame('SEND', { destination: '/topic/other' }, 'c');
    p.frame('DISCONNECT', { receipt: 'done' });
    await p.receipt('done');
    await waitFor(() => messages(gt).length === 2, 'two for >');
    expect(messages(exact).map((m) => m.body.toString())).toEqual(['a']);
    expect(messages(star).map((m) => m.body.toString())).toEqual(['a']);
    expect(messages(gt).map((m) => header(m, 'destination'))).toEqual(['/topic/sensors.t1', '/topic/sensors.t1.deep']);
    for (const c of [exact, star, gt]) c.close();
  });

  it('x-filter-policy filters a topic subscription on message headers (SNS syntax)', async () => {
    const c = await RawClient.connect(port);
    c.frame('SUBSCRIBE', { id: 'f', destination: '/topic/trades', 'x-filter-policy': '{"region":["eu"]}', receipt: 'r' });
    await c.receipt('r');
    c.frame('SEND', { destination: '/topic/trades', region: 'us' }, 'us-trade');
    c.frame('SEND', { destination: '/topic/trades', region: 'eu' }, 'eu-trade');
    const m = await c.nextCommand('MESSAGE');
    expect(m.body.toString()).toBe('eu-trade');
    c.frame('SEND', { destination: '/queue/q.sync', receipt: 's' }, 'x');
    await c.receipt('s');
    expect(messages(c)).toHaveLength(1);
    c.close();
  });

  it('a live subscriber with a full prefetch window buffers a bounded number and drops the rest (counted)', async () => {
    const slow = await RawClient.connect(port);
    slow.frame('SUBSCRIBE', { id: 's', destination: '/topic/firehose', ack: 'client-individual', 'prefetch-count': '2', receipt: 'r' });
    await slow.receipt('r');
    const p = await RawClient.connect(port);
    for (let i = 0; i < 20; i++) p.frame('SEND', { destination: '/topic/firehose' }, `m${i}`);
    p.frame('DISCONNECT', { receipt: 'done' });
    await p.receipt('done');
    await waitFor(() => messages(slow).length === 2, 'window of two');
    const stats = ts.server.broker.topicStats('firehose');
    expect(stats.dropped).toBe(20 - 2 - 5); // 2 in the window, 5 buffered
    // acking drains the buffer in order
    for (let i = 0; i < 7; i++) {
      const m = await slow.nextCommand('MESSAGE');
      expect(m.body.toString()).toBe(`m${i}`);
      slow.frame('ACK', { id: header(m, 'ack')! });
    }
    await new Promise((r) => setTimeout(r, 30));
    expect(messages(slow)).toHaveLength(7);
    slow.close();
  });

  it('durable subscription keeps collecting while away and catches up after reconnect; UNSUBSCRIBE with the name removes it', async () => {
    const sub = await RawClient.connect(port, { 'client-id': 'app-1' });
    sub.frame('SUBSCRIBE', { id: 'd', destination: '/topic/orders.>', 'activemq.subscriptionName': 'audit', ack: 'client-individual', receipt: 'r' });
    await sub.receipt('r');
    const p = await RawClient.connect(port);
    p.frame('SEND', { destination: '/topic/orders.eu', receipt: 's1' }, 'while-here');
    await p.receipt('s1');
    const m1 = await sub.nextCommand('MESSAGE');
    expect(header(m1, 'destination')).toBe('/topic/orders.eu'); // the concrete topic, not the subscribed pattern
    sub.frame('ACK', { id: header(m1, 'ack')!, receipt: 'a' });
    await sub.receipt('a');
    sub.frame('UNSUBSCRIBE', { id: 'd', receipt: 'u' }); // detaches only
    await sub.receipt('u');
    sub.close();
    p.frame('SEND', { destination: '/topic/orders.us', receipt: 's2' }, 'while-away-1');
    p.frame('SEND', { destination: '/topic/orders.eu', receipt: 's3' }, 'while-away-2');
    await p.receipt('s3');
    const back = await RawClient.connect(port, { 'client-id': 'app-1' });
    back.frame('SUBSCRIBE', { id: 'd2', destination: '/topic/orders.>', 'durable-subscription-name': 'audit' });
    await waitFor(() => messages(back).length === 2, 'caught up');
    expect(messages(back).map((m) => m.body.toString())).toEqual(['while-away-1', 'while-away-2']);
    expect(messages(back).map((m) => header(m, 'destination'))).toEqual(['/topic/orders.us', '/topic/orders.eu']);
    back.frame('UNSUBSCRIBE', { id: 'd2', 'activemq.subscriptionName': 'audit', receipt: 'gone' });
    await back.receipt('gone');
    expect(ts.server.broker.getQueue('stomp.durable.app-1.audit')).toBeUndefined();
    expect(ts.server.broker.listSubscriptions({ queue: 'stomp.durable.app-1.audit' })).toHaveLength(0);
    p.frame('SEND', { destination: '/topic/orders.eu', receipt: 's4' }, 'after-removal');
    await p.receipt('s4');
    expect(ts.server.broker.getQueue('stomp.durable.app-1.audit')).toBeUndefined();
    back.close();
    p.close();
  });

  it('a durable subscription is consumed by one connection at a time; a durable name needs client-id', async () => {
    const a = await RawClient.connect(port, { 'client-id': 'solo' });
    a.frame('SUBSCRIBE', { id: 'x', destination: '/topic/t.solo', 'activemq.subscriptionName': 'n', receipt: 'r' });
    await a.receipt('r');
    const b = await RawClient.connect(port, { 'client-id': 'solo' });
    b.frame('SUBSCRIBE', { id: 'x', destination: '/topic/t.solo', 'activemq.subscriptionName': 'n' });
    const err = await b.nextCommand('ERROR');
    expect(header(err, 'message')).toMatch(/active on another connection/);
    await b.waitClosed();
    const c = await RawClient.connect(port);
    c.frame('SUBSCRIBE', { id: 'x', destination: '/topic/t.solo', 'activemq.subscriptionName': 'n' });
    expect(header(await c.nextCommand('ERROR'), 'message')).toMatch(/client-id/);
    a.close();
  });

  it('durable subscription collects persistent messages across a broker restart', async () => {
    const sub = await RawClient.connect(port, { 'client-id': 'restarter' });
    sub.frame('SUBSCRIBE', { id: 'd', destination: '/topic/billing', 'activemq.subscriptionName': 'inv', receipt: 'r' });
    await sub.receipt('r');
    sub.frame('DISCONNECT', { receipt: 'bye' });
    await sub.receipt('bye');
    const p = await RawClient.connect(port);
    p.frame('SEND', { destination: '/topic/billing', persistent: 'true', receipt: 's' }, 'invoice-1');
    await p.receipt('s');
    p.frame('DISCONNECT', { receipt: 'bye' });
    await p.receipt('bye');
    await p.waitClosed();
    ts = await ts.restart();
    port = ts.ports.stomp!;
    const back = await RawClient.connect(port, { 'client-id': 'restarter' });
    back.frame('SUBSCRIBE', { id: 'd', destination: '/topic/billing', 'activemq.subscriptionName': 'inv' });
    const m = await back.nextCommand('MESSAGE');
    expect(m.body.toString()).toBe('invoice-1');
    expect(header(m, 'destination')).toBe('/topic/billing');
    // still subscribed after the restart: new publishes arrive live
    const p2 = await RawClient.connect(port);
    p2.frame('SEND', { destination: '/topic/billing' }, 'invoice-2');
    const m2 = await back.nextCommand('MESSAGE');
    expect(m2.body.toString()).toBe('invoice-2');
    back.close();
    p2.close();
  });
});

describe('STOMP temporary queues', () => {
  it('reply-to /temp-queue/x is rewritten so another client can answer; the queue is deleted at disconnect', async () => {
    const requester = await RawClient.connect(port);
    requester.frame('SUBSCRIBE', { id: 'replies', destination: '/temp-queue/replies', receipt: 'r' });
    await requester.receipt('r');
    const responder = await RawClient.connect(port);
    responder.frame('SUBSCRIBE', { id: 'req', destination: '/queue/rpc' });
    requester.frame('SEND', { destination: '/queue/rpc', 'reply-to': '/temp-queue/replies', 'correlation-id': 'c1' }, 'ping');
    const req = await responder.nextCommand('MESSAGE');
    const replyTo = header(req, 'reply-to')!;
    expect(replyTo).toMatch(/^\/queue\/temp\./);
    responder.frame('SEND', { destination: replyTo, 'correlation-id': header(req, 'correlation-id') }, 'pong');
    const reply = await requester.nextCommand('MESSAGE');
    expect(reply.body.toString()).toBe('pong');
    expect(header(reply, 'destination')).toBe('/temp-queue/replies');
    expect(header(reply, 'correlation-id')).toBe('c1');
    const core = replyTo.slice('/queue/'.length);
    expect(ts.server.broker.getQueue(core)).toBeDefined();
    requester.frame('DISCONNECT', { receipt: 'bye' });
    await requester.receipt('bye');
    await waitFor(() => ts.server.broker.getQueue(core) === undefined, 'temp queue deleted');
    responder.close();
  });
});

describe('STOMP transactions', () => {
  it('sends and acks inside a transaction take effect at COMMIT only; ABORT discards them', async () => {
    const c = await RawClient.connect(port);
    const q = () => ts.server.broker.getQueue('q.tx');
    c.frame('BEGIN', { transaction: 't1' });
    c.frame('SEND', { destination: '/queue/q.tx', transaction: 't1' }, 'one');
    c.frame('SEND', { destination: '/queue/q.tx', transaction: 't1' }, 'two');
    c.frame('SEND', { destination: '/queue/q.tx', receipt: 'plain' }, 'outside');
    await c.receipt('plain');
    expect(q()!.stats().visible).toBe(1);
    c.frame('COMMIT', { transaction: 't1', receipt: 'commit' });
    await c.receipt('commit');
    expect(q()!.stats().visible).toBe(3);
    c.frame('BEGIN', { transaction: 't2' });
    c.frame('SEND', { destination: '/queue/q.tx', transaction: 't2' }, 'never');
    c.frame('ABORT', { transaction: 't2', receipt: 'abort' });
    await c.receipt('abort');
    expect(q()!.stats().visible).toBe(3);

    c.frame('SUBSCRIBE', { id: 's', destination: '/queue/q.tx', ack: 'client-individual' });
    const got = [await c.nextCommand('MESSAGE'), await c.nextCommand('MESSAGE'), await c.nextCommand('MESSAGE')];
    expect(got.map((m) => m.body.toString())).toEqual(['outside', 'one', 'two']);
    c.frame('BEGIN', { transaction: 't3' });
    for (const m of got) c.frame('ACK', { id: header(m, 'ack')!, transaction: 't3' });
    c.frame('SEND', { destination: '/queue/q.none', receipt: 'sync' }, 'x');
    await c.receipt('sync');
    expect(q()!.stats().inFlight).toBe(3);
    c.frame('ABORT', { transaction: 't3', receipt: 'a3' });
    await c.receipt('a3');
    expect(q()!.stats().inFlight).toBe(3);
    c.frame('BEGIN', { transaction: 't4' });
    for (const m of got) c.frame('ACK', { id: header(m, 'ack')!, transaction: 't4' });
    c.frame('COMMIT', { transaction: 't4', receipt: 'c4' });
    await c.receipt('c4');
    expect(q()!.stats().inFlight).toBe(0);
    expect(q()!.stats().visible).toBe(0);
    c.frame('COMMIT', { transaction: 'nope' });
    expect(header(await c.nextCommand('ERROR'), 'message')).toMatch(/no open transaction/);
    await c.waitClosed();
  });
});

describe('STOMP slow consumers', () => {
  it('a live subscriber that stops reading costs a bounded buffer: the rest is dropped and counted', async () => {
    const slowServer = await startStompServer({ options: { liveBufferMessages: 10, writeHighWaterBytes: 64 * 1024 } });
    const c = await RawClient.connect(slowServer.ports.stomp!);
    try {
      c.frame('SUBSCRIBE', { id: 's', destination: '/topic/slow.t', receipt: 'r' });
      await c.receipt('r');
      c.socket.pause();
      const body = Buffer.alloc(16 * 1024, 0x61);
      const total = 1000;
      for (let i = 0; i < total; i++) {
        await slowServer.server.broker.publish('slow.t', { body, properties: {}, headers: { n: i }, persistent: false });
      }
      const stats = slowServer.server.broker.topicStats('slow.t');
      expect(stats.dropped).toBeGreaterThan(0);
      expect(stats.delivered + stats.dropped).toBe(total);
      c.socket.resume();
      await waitFor(() => messages(c).length === stats.delivered, 'every accepted message', 10_000);
      const seen = messages(c).map((m) => Number(header(m, 'n')));
      expect(seen).toEqual([...seen].sort((a, b) => a - b)); // order kept, gaps where dropped
    } finally {
      c.close();
      await slowServer.cleanup();
    }
  });

  it('stops reading from a client that sends with receipts but never reads them', async () => {
    const server = await startStompServer({ options: { writeHighWaterBytes: 64 * 1024 } });
    const c = await RawClient.connect(server.ports.stomp!);
    try {
      c.socket.pause();
      const total = 20_000;
      const pad = 'r'.repeat(1000);
      for (let i = 0; i < total; i++) c.frame('SEND', { destination: '/queue/flood', receipt: `${pad}-${i}` }, 'x');
      const depth = () => server.server.broker.getQueue('flood')?.stats().visible ?? 0;
      let last = -1;
      let stableSince = Date.now();
      await waitFor(() => {
        const d = depth();
        if (d !== last) {
          last = d;
          stableSince = Date.now();
        }
        return d > 0 && Date.now() - stableSince > 300;
      }, 'the server to stop reading', 10_000);
      expect(depth()).toBeLessThan(total);
      c.socket.resume();
      await waitFor(() => depth() === total, 'every SEND once the client reads', 20_000);
      await waitFor(() => c.frames.filter((f) => f.command === 'RECEIPT').length === total, 'every receipt', 20_000);
    } finally {
      c.close(); // BrokerServer.stop waits for open connections
      await server.cleanup();
    }
  });
});
