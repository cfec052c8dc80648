/**
 * Publisher confirms (acked only after the store commit: a kill -9 right after the confirms loses
 * nothing) and transactions (commit, rollback) with amqplib.
 */
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrokerProcess, tempDir } from '../../support/broker-process.js';
import type { TestServer } from '../../support/test-server.js';
import { connect, startBroker, uniqueName, waitFor } from './helpers.js';

let server: TestServer;
let conn: amqp.ChannelModel;

beforeAll(async () => {
  server = await startBroker();
  conn = await connect(server);
});
afterAll(async () => {
  await conn.close();
  await server.cleanup();
});

describe('publisher confirms', () => {
  it('acks every publish (coalesced), in order', async () => {
    const ch = await conn.createConfirmChannel();
    const q = uniqueName('confirm');
    await ch.assertQueue(q, { durable: true });
    const acked: number[] = [];
    for (let i = 0; i < 300; i += 1) ch.sendToQueue(q, Buffer.from(String(i)), { persistent: true }, (err) => { if (!err) acked.push(i); });
    await ch.waitForConfirms();
    expect(acked).toHaveLength(300);
    expect((await ch.checkQueue(q)).messageCount).toBe(300);
    await ch.close();
  });

  it('acks an unroutable publish after its basic.return', async () => {
    const ch = await conn.createConfirmChannel();
    const events: string[] = [];
    ch.on('return', () => events.push('return'));
    await new Promise<void>((resolve, reject) => ch.publish('', uniqueName('nowhere'), Buffer.from('x'), { mandatory: true }, (err) => {
      events.push('ack');
      if (err) reject(err); else resolve();
    }));
    expect(events).toEqual(['return', 'ack']);
    await ch.close();
  });

  it('nacks a publish the core refuses (over the message size limit)', async () => {
    const small = await startBroker({ overrides: { limits: { maxMessageBytes: 1000 } } });
    const c = await connect(small);
    const ch = await c.createConfirmChannel();
    const q = uniqueName('limit');
    await ch.assertQueue(q);
    const headers: Record<string, string> = { pad: 'x'.repeat(990) };
    const result = await new Promise<unknown>((resolve) => ch.sendToQueue(q, Buffer.from('abcdefghijklmnopqrstuvwxyz'), { headers }, (err) => resolve(err)));
    expect(result).toBeTruthy();
    ch.sendToQueue(q, Buffer.from('fits'));
    await ch.waitForConfirms();
    expect((await ch.checkQueue(q)).messageCount).toBe(1);
    await c.close();
    await small.cleanup();
  });

  it('loses no confirmed message when the broker is killed right after the confirms', async () => {
    const dir = tempDir();
    try {
      const proc = await startBrokerProcess(dir.path);
      const c = await amqp.connect(`amqp://127.0.0.1:${proc.ports.amqp}?heartbeat=0`);
      c.on('error', () => undefined);
      const ch = await c.createConfirmChannel();
      ch.on('error', () => undefined);
      await ch.assertQueue('durable-orders', { durable: true });
      for (let i = 0; i < 500; i += 1) ch.sendToQueue('durable-orders', Buffer.from(`m${i}`), { persistent: true });
      await ch.waitForConfirms();
      await proc.stop('SIGKILL');
      const again = await startBrokerProcess(dir.path);
      const c2 = await amqp.connect(`amqp://127.0.0.1:${again.ports.amqp}?heartbeat=0`);
      const ch2 = await c2.createChannel();
      expect((await ch2.checkQueue('durable-orders')).messageCount).toBe(500);
      await c2.close();
      await again.stop();
    } finally {
      dir.cleanup();
    }
  }, 60_000);
});

describe('transactions', () => {
  it('publishes and acks take effect on commit only; rollback discards', async () => {
    const ch = await conn.createChannel();
    const q = uniqueName('tx');
    await ch.assertQueue(q);
    // amqplib has no public tx API: speak tx.select/commit/rollback through its rpc.
    const rpc = (name: string, ok: string) => (ch as unknown as { rpc: (m: number, f: object, e: number) => Promise<unknown> }).rpc(TX[name]!, {}, TX[ok]!);
    await rpc('select', 'selectOk');
    ch.sendToQueue(q, Buffer.from('one'));
    await new Promise((r) => setTimeout(r, 50));
    expect(server.server.broker.getQueue(q)!.stats().visible).toBe(0);
    await rpc('commit', 'commitOk');
    expect(server.server.broker.getQueue(q)!.stats().visible).toBe(1);
    ch.sendToQueue(q, Buffer.from('two'));
    await rpc('rollback', 'rollbackOk');
    await rpc('commit', 'commitOk');
    expect(server.server.broker.getQueue(q)!.stats().visible).toBe(1);
    const m = await ch.get(q);
    expect(m && m.content.toString()).toBe('one');
    ch.ack(m as amqp.GetMessage);
    await rpc('rollback', 'rollbackOk');
    expect(server.server.broker.getQueue(q)!.stats().inFlight).toBe(1);
    ch.ack(m as amqp.GetMessage);
    await rpc('commit', 'commitOk');
    await waitFor(() => server.server.broker.getQueue(q)!.stats().inFlight === 0);
    await ch.close();
  });
});

// Method ids as amqplib's rpc takes them: (class << 16) | method.
const TX: Record<string, number> = {
  select: (90 << 16) | 10, selectOk: (90 << 16) | 11, commit: (90 << 16) | 20, commitOk: (90 << 16) | 21,
  rollback: (90 << 16) | 30, rollbackOk: (90 << 16) | 31,
};
