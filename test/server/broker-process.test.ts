/**
 * Black-box tests of the broker process: the real CLI with a temp data dir and port 0,
 * driven through the admin API, stopped with SIGTERM or SIGKILL and started again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { api, runCli, startBrokerProcess, tempDir, type BrokerProcess } from '../support/broker-process.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function start(dir: string, args: string[] = []): Promise<BrokerProcess> {
  const p = await startBrokerProcess(dir, args);
  cleanups.push(() => p.stop('SIGKILL'));
  return p;
}

describe('broker process', () => {
  it('logs its bound ports, serves /healthz, exits 0 on SIGTERM and keeps state across a restart', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    let p = await start(dir.path);
    const admin = p.ports.admin!;
    expect(admin).toBeGreaterThan(0);

    const health = await api(admin, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ status: 'ok', role: 'active' });
    expect(typeof health.json.version).toBe('string');

    expect((await api(admin, 'PUT', '/api/queues/orders', { visibilityTimeoutMs: 5000 })).status).toBe(201);
    expect((await api(admin, 'PUT', '/api/queues/orders.dlq')).status).toBe(201);
    for (let i = 0; i < 5; i++) {
      const r = await api(admin, 'POST', '/api/queues/orders/messages', { body: `order-${i}`, headers: { n: i } });
      expect(r.status).toBe(201);
    }
    // one message received and not acknowledged: in flight when the broker stops
    const got = await api(admin, 'POST', '/api/queues/orders/receive', { max: 1 });
    expect(got.json.messages).toHaveLength(1);
    expect(got.json.messages[0].body).toBe('order-0');

    expect((await api(admin, 'POST', '/api/subscriptions', { pattern: 'sensors.*', queue: 'sensor-log', filterPolicy: { kind: ['temp'] } })).status).toBe(201);
    expect((await api(admin, 'PUT', '/api/streams/clicks', { shardCount: 2 })).status).toBe(201);
    const put = await api(admin, 'POST', '/api/streams/clicks/records', { body: 'click-1', partitionKey: 'user-1' });
    expect(put.status).toBe(201);

    expect(await p.stop('SIGTERM')).toBe(0);
    expect(p.logs.some((l) => l.includes('store flushed and closed'))).toBe(true);

    p = await start(dir.path);
    const admin2 = p.ports.admin!;
    const q = await api(admin2, 'GET', '/api/queues/orders');
    expect(q.status).toBe(200);
    expect(q.json.attributes.visibilityTimeoutMs).toBe(5000);
    expect(q.json.stats.visible).toBe(5); // the in-flight one is visible again
    const again = await api(admin2, 'POST', '/api/queues/orders/receive', { max: 10 });
    const first = again.json.messages.find((m: any) => m.body === 'order-0');
    expect(first.receiveCount).toBe(2);
    expect(first.redelivered).toBe(true);
    expect(first.headers).toEqual({ n: 0 });

    // the durable subscription survived: a filtered publish lands in its queue
    await api(admin2, 'POST', '/api/topics/sensors.t1/messages', { body: 'hot', headers: { kind: 'temp' } });
    await api(admin2, 'POST', '/api/topics/sensors.t1/messages', { body: 'wet', headers: { kind: 'humidity' } });
    const log = await api(admin2, 'POST', '/api/queues/sensor-log/receive', { max: 10 });
    expect(log.json.messages.map((m: any) => m.body)).toEqual(['hot']);

    const stream = await api(admin2, 'GET', '/api/streams/clicks');
    expect(stream.json.shards).toHaveLength(2);
    const it = await api(admin2, 'POST', '/api/streams/clicks/iterator', { shardId: put.json.shardId, type: 'TRIM_HORIZON' });
    const records = await api(admin2, 'POST', '/api/streams/clicks/records/get', { iterator: it.json.iterator });
    expect(records.json.records.map((r: any) => r.body)).toEqual(['click-1']);
  });

  it('loses no acknowledged message when killed with SIGKILL mid-burst', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    let p = await start(dir.path);
    const admin = p.ports.admin!;
    await api(admin, 'PUT', '/api/queues/burst');
    const acked: string[] = [];
    let stop = false;
    const producers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        const body = `w${w}-${i}`;
        try {
          const r = await api(admin, 'POST', '/api/queues/burst/messages', { body });
          if (r.status === 201) acked.push(body);
        } catch {
          return; // the broker died under us: this request was never acknowledged
        }
      }
    });
    while (acked.length < 300) await new Promise((r) => setTimeout(r, 10));
    p.child.kill('SIGKILL');
    stop = true;
    await Promise.all(producers);
    await p.exited;

    p = await start(dir.path);
    const admin2 = p.ports.admin!;
    const stats = await api(admin2, 'GET', '/api/queues/burst');
    expect(stats.json.stats.visible).toBeGreaterThanOrEqual(acked.length);
    const seen = new Set<string>();
    for (;;) {
      const r = await api(admin2, 'POST', '/api/queues/burst/receive', { max: 10, visibilityTimeout: 300 });
      if (r.json.messages.length === 0) break;
      for (const m of r.json.messages) seen.add(m.body);
    }
    const lost = acked.filter((b) => !seen.has(b));
    expect(lost).toEqual([]);
  });

  it('refuses an invalid configuration with a message naming the key and value', async () => {
    const child = runCli(['start', '--mqtt-port', 'abc']);
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(2);
    expect(stderr).toMatch(/mqtt-port/);
    expect(stderr).toMatch(/abc/);
  });
});

describe('graceful stop', () => {
  it('does not wait for idle clients: SIGTERM with a connected socket still exits 0', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const p = await start(dir.path);
    const { connect } = await import('node:net');
    const sockets = ['mqtt', 'stomp', 'amqp'].filter((k) => p.ports[k]).map((k) => connect(p.ports[k]!, '127.0.0.1'));
    expect(sockets.length).toBeGreaterThan(0);
    await Promise.all(sockets.map((s) => new Promise((r) => s.once('connect', r))));
    for (const s of sockets) s.on('error', () => undefined); // the broker closes them; errors are expected here
    const exited = await Promise.race([p.stop('SIGTERM'), new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
    expect(exited).toBe(0);
    for (const s of sockets) s.destroy();
  });
});

describe('standby shutdown', () => {
  it('a standby waiting for the store lock exits 0 on SIGTERM', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    await start(dir.path);
    const standby = await startBrokerProcess(dir.path, [], {}, { allowStandby: true });
    cleanups.push(() => standby.stop('SIGKILL'));
    expect(standby.role).toBe('standby');
    const exited = await Promise.race([standby.stop('SIGTERM'), new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
    expect(exited).toBe(0);
  });
});
