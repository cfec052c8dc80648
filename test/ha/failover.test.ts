/**
 * Active/standby with real broker processes on one data directory: exactly one active (also
 * when both start together), kill -9 of the active under load on every front-end with no
 * acknowledged message lost, and the state a standby must find after taking over.
 *
 * In production both brokers use the same ports; here each process gets OS-chosen ports and the
 * test reconnects its clients to the ports the new active logs. The point is the store lock.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { api, startBrokerProcess, tempDir, type BrokerProcess } from '../support/broker-process.js';
import { FailoverWorkload } from './failover-workload.js';

const POLL_MS = 100;
const HA_ENV = { INTERCHANGE_HA_LOCK_POLL_MS: String(POLL_MS) };

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function broker(dir: string, opts: { allowStandby?: boolean; entry?: string } = {}): Promise<BrokerProcess> {
  const p = await startBrokerProcess(dir, [], HA_ENV, { allowStandby: true, ...opts });
  cleanups.push(() => p.stop('SIGKILL'));
  return p;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function tcpConnect(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => { s.destroy(); resolve(); });
    s.once('error', reject);
  });
}

async function role(p: BrokerProcess): Promise<{ status: number; role: string }> {
  const r = await api(p.ports.admin!, 'GET', '/healthz');
  return { status: r.status, role: r.json.role };
}

/**
 * A bound that catches a broken takeover (a standby that never or only slowly acquires), not a
 * speed target: the takeover time itself is measured in bench/failover-bench.ts
 * (docs/benchmarks.md, ~0.1 s on a quiet machine). At load average ~9 (several test suites on
 * 2 cores) takeovers of 2.2–3.4 s were seen, so the bound is 5 s ("a couple of seconds").
 */
const TAKEOVER_BOUND_MS = 5000;

describe('active/standby on one embedded store', () => {
  it('two brokers started together: exactly one active, the other standby with only its admin port; kill -9 → takeover', async () => {
    for (let round = 0; round < 3; round++) {
      const dir = tempDir();
      cleanups.push(dir.cleanup);
      const [a, b] = await Promise.all([broker(dir.path), broker(dir.path)]);
      const roles = await Promise.all([role(a), role(b)]);
      expect(roles.map((r) => r.role).sort(), `round ${round}`).toEqual(['active', 'standby']);
      const [active, standby] = roles[0]!.role === 'active' ? [a, b] : [b, a];
      expect(roles.find((r) => r.role === 'active')!.status).toBe(200);
      expect(roles.find((r) => r.role === 'standby')!.status).toBe(503);
      expect(Object.keys(standby.ports)).toEqual(['admin']);
      expect((await api(standby.ports.admin!, 'GET', '/api/queues')).status).toBe(503);
      // the standby keeps polling and stays standby while the active lives
      await sleep(POLL_MS * 3);
      expect((await role(standby)).role).toBe('standby');
      expect(standby.activeAt).toBeUndefined();
      if (round > 0) continue;
      const killedAt = Date.now();
      active.child.kill('SIGKILL');
      const ports = await standby.active;
      await tcpConnect(ports.stomp!);
      const connectedAt = Date.now();
      console.log(`takeover: 'started' logged ${standby.activeAt! - killedAt} ms, TCP connect ok ${connectedAt - killedAt} ms after kill -9`);
      expect(connectedAt - killedAt).toBeLessThan(TAKEOVER_BOUND_MS);
      expect(await role({ ...standby, ports } as BrokerProcess)).toEqual({ status: 200, role: 'active' });
    }
  }, 90_000); // six broker processes (tsx) start in this test: ~10 s on a quiet machine, ~30 s under load

  it('kill -9 of the active under load on MQTT, STOMP and AMQP 1.0: every acknowledged message arrives after takeover', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const a = await broker(dir.path);
    expect(a.role).toBe('active');
    const b = await broker(dir.path);
    expect(b.role).toBe('standby');

    const w = new FailoverWorkload({ tag: 'kill', producersPerProtocol: 2, ackDelayMs: 20 });
    cleanups.push(() => w.dropClients());
    await w.connect(a.ports);
    w.startProducing();
    await waitFor(() => w.minAcked() >= 150, 'traffic on every protocol');
    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    await w.stopProducing();
    const ackedBefore = w.totalAcked();
    w.dropClients();

    const ports = await b.active;
    await tcpConnect(ports.mqtt!);
    const takeoverMs = Date.now() - killedAt;
    await w.connect(ports);
    w.startProducing();
    const target = w.minAcked() + 50;
    await waitFor(() => w.minAcked() >= target, 'traffic on the new active');
    await w.stopProducing();
    await waitFor(() => w.missing().length === 0, 'every acknowledged message delivered', 20_000).catch(() => undefined);
    const missing = w.missing();
    console.log(`kill under load: ${ackedBefore} acked before the kill, ${w.totalAcked()} in all, lost ${missing.length}, duplicates ${w.duplicates()} (redelivery-flagged receipts ${w.flagged}, unflagged duplicates ${w.dupUnflagged}), takeover ${takeoverMs} ms (standby logged 'started' after ${b.activeAt! - killedAt} ms)\n  ${w.summary()}`);
    expect(missing).toEqual([]);
    expect(w.flagged).toBeGreaterThan(0); // in-flight messages came back marked as redelivered
    expect(takeoverMs).toBeLessThan(TAKEOVER_BOUND_MS);
    w.dropClients();
  });
});
