/**
 * PgAdvisoryLeadership on a throwaway PostgreSQL cluster: exactly one holder among several
 * contenders, handover on close, takeover within a few poll intervals after kill -9 of the
 * holding process, fencing (onLost at once) when the holder's backend is terminated or stops
 * answering, and the factory wiring for store.type "postgres".
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isBrokerError } from '../../src/core/errors.js';
import { createLeadership } from '../../src/ha/create-leadership.js';
import { DEFAULT_LOCK_KEY, PgAdvisoryLeadership } from '../../src/ha/pg-advisory-leadership.js';
import { loadConfig } from '../../src/config/load-config.js';
import { silentLogger } from '../../src/log.js';
import { postgresSkipReason, startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';

const POLL = 100;
const skip = postgresSkipReason();
let cluster: PostgresCluster;
const cleanups: Array<() => unknown> = [];

async function sql<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: cluster.url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

function leader(opts: Partial<ConstructorParameters<typeof PgAdvisoryLeadership>[0]> = {}): PgAdvisoryLeadership {
  const l = new PgAdvisoryLeadership({ url: cluster.url, pollMs: POLL, logger: silentLogger, ...opts });
  cleanups.push(() => l.close());
  return l;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the time (ms) `p` took, or rejects if it takes longer than `limitMs`. */
async function within(p: Promise<unknown>, limitMs: number, what: string): Promise<number> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((_r, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${limitMs} ms`)), limitMs); })]);
  clearTimeout(timer);
  return performance.now() - t0;
}

function spawnHolder(): { proc: ChildProcess; held: Promise<number>; output: () => string } {
  const fixture = fileURLToPath(new URL('./postgres-holder.ts', import.meta.url));
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const proc = spawn(process.execPath, ['--import', 'tsx', fixture, cluster.url, String(POLL)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL'); });
  let out = '';
  const held = new Promise<number>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /held (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    proc.on('exit', () => reject(new Error(`holder exited before holding: ${out}`)));
  });
  return { proc, held, output: () => out };
}

describe.skipIf(skip !== null)('PgAdvisoryLeadership', () => {
  beforeAll(async () => { cluster = await startPostgresCluster(); });
  afterAll(async () => { await cluster?.stop(); });
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  it('derives a fixed 64-bit default key from "interchange"', () => {
    expect(BigInt.asIntN(64, DEFAULT_LOCK_KEY)).toBe(DEFAULT_LOCK_KEY);
    expect(leader().lockKey).toBe(DEFAULT_LOCK_KEY);
    expect(leader({ lockKey: 42 }).lockKey).toBe(42n);
    expect(() => leader({ lockKey: 2n ** 63n })).toThrow(/signed 64-bit/);
  });

  it('exactly one of three contenders holds; close hands over to another within a few polls', async () => {
    const ls = [leader(), leader(), leader()];
    const acquired = ls.map((l) => l.acquire().then(() => l));
    const first = await Promise.race(acquired);
    await sleep(POLL * 4);
    expect(ls.filter((l) => l.held)).toEqual([first]);
    const rows = await sql<{ n: string }>("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted");
    expect(rows[0]!.n).toBe('1');
    await first.close();
    const rest = ls.filter((l) => l !== first);
    await within(Promise.race(rest.map((l) => l.acquire())), POLL * 5, 'handover');
    expect(rest.filter((l) => l.held).length).toBe(1);
  });

  it('takes over within a few poll intervals after the holding process is killed (kill -9)', async () => {
    const holder = spawnHolder();
    await holder.held;
    const standby = leader();
    const acquired = standby.acquire();
    await sleep(POLL * 3);
    expect(standby.held).toBe(false);
    holder.proc.kill('SIGKILL');
    const ms = await within(acquired, POLL * 10, 'takeover');
    expect(standby.held).toBe(true);
    expect(ms).toBeLessThan(POLL * 10);
  });

  it('fencing: terminating the holder backend fires onLost at once and frees the lock', async () => {
    const a = leader();
    const lost: Error[] = [];
    a.onLost((e) => lost.push(e));
    await a.acquire();
    const b = leader();
    const bAcquired = b.acquire();
    const pid = a.backendPid;
    expect(pid).toBeGreaterThan(0);
    const t0 = performance.now();
    await sql('SELECT pg_terminate_backend($1)', [pid]);
    while (lost.length === 0 && performance.now() - t0 < 2000) await sleep(5);
    expect(lost.length).toBe(1);
    expect(performance.now() - t0).toBeLessThan(POLL * 2);
    expect(lost[0]!.message).toMatch(/advisory lock (session lost|heartbeat failed)/);
    expect(a.held).toBe(false);
    await within(bAcquired, POLL * 5, 'takeover after termination');
  });

  it('fencing: a holder whose backend stops answering (as in a partition) loses the lock after the heartbeat timeout', async () => {
    const a = leader({ heartbeatTimeoutMs: 300 });
    const lost: Error[] = [];
    a.onLost((e) => lost.push(e));
    await a.acquire();
    const pid = a.backendPid!;
    execFileSync('kill', ['-STOP', String(pid)]);
    try {
      const t0 = performance.now();
      while (lost.length === 0 && performance.now() - t0 < 3000) await sleep(10);
      expect(lost.length).toBe(1);
      expect(lost[0]!.message).toMatch(/heartbeat failed/);
      expect(a.held).toBe(false);
    } finally {
      execFileSync('kill', ['-CONT', String(pid)]);
    }
  });

  it('a standby that is closed rejects acquire with NOT_ACTIVE; close releases a held lock', async () => {
    const a = leader();
    await a.acquire();
    const b = leader();
    const pending = b.acquire();
    await b.close();
    const err = await pending.then(() => null, (e: unknown) => e);
    expect(isBrokerError(err, 'NOT_ACTIVE')).toBe(true);
    await a.close();
    expect(await sql("SELECT 1 FROM pg_locks WHERE locktype = 'advisory'")).toEqual([]);
  });

  it('keeps standing by while the server is unreachable, without throwing', async () => {
    const l = leader({ url: 'postgresql://postgres@127.0.0.1:1/postgres', logger: silentLogger });
    const pending = l.acquire();
    await sleep(POLL * 3);
    expect(l.held).toBe(false);
    expect(l.attempts).toBeGreaterThanOrEqual(2);
    await l.close();
    await expect(pending).rejects.toThrow(/closed/);
  });

  it('createLeadership builds it for store.type "postgres"', async () => {
    const config = loadConfig({ env: {}, overrides: { store: { type: 'postgres', url: cluster.url } } });
    const l = createLeadership(config, silentLogger);
    expect(l?.kind).toBe('postgres-advisory-lock');
    await l!.acquire();
    expect(l!.held).toBe(true);
    await l!.close();
  });
});
