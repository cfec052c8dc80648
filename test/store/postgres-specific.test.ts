/**
 * Behaviour of the PostgreSQL store beyond the shared contract: durability settings, group commit
 * (one transaction per batch, the next batch filling while one is in flight), folding (no rows
 * written for put + delete), failure reporting and recovery, schema versioning, bad input, and
 * kill -9 of a writing process.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isBrokerError } from '../../src/core/errors.js';
import { createMessage } from '../../src/core/message.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { SCHEMA_VERSION } from '../../src/store/postgres/schema.js';
import type { StoredMessage } from '../../src/core/store.js';
import { postgresSkipReason, type PostgresCluster } from '../support/postgres-cluster.js';
import { runKilledWriter } from './kill-writer.js';
import { freshSchema, postgresHarness, sql, startPostgresCluster } from './postgres-helpers.js';

const msg = (seq: number, queue = 'q'): StoredMessage => ({
  queue, seq, id: `ID:${seq}`, message: createMessage(Buffer.alloc(1024, seq & 0xff)), enqueuedAt: seq, availableAt: seq, receiveCount: 0,
});

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(() => 'resolved', (err: unknown) => (isBrokerError(err) ? err.code : `other: ${String(err)}`));
}

const skip = postgresSkipReason();
let cluster: PostgresCluster;
const cleanups: Array<() => Promise<void> | void> = [];

describe.skipIf(skip !== null)('PostgresStore', () => {
  beforeAll(async () => { cluster = await startPostgresCluster(); });
  afterAll(async () => { await cluster?.stop(); });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function harness(opts: Parameters<typeof postgresHarness>[1] = {}) {
    const h = await postgresHarness(cluster, opts);
    cleanups.push(h.cleanup);
    return h;
  }

  it('commits with synchronous_commit on, at the current schema version', async () => {
    const h = await harness();
    expect(h.store.settings()).toEqual({ synchronousCommit: 'on', schemaVersion: SCHEMA_VERSION });
    expect(await sql(h.url, 'SELECT version FROM interchange_schema')).toEqual([{ version: SCHEMA_VERSION }]);
  });

  it('turns synchronous_commit on for its transactions when the role has it off', async () => {
    const { schema, url } = await freshSchema(cluster);
    await sql(cluster.url, 'CREATE ROLE lazy LOGIN SUPERUSER');
    await sql(cluster.url, 'ALTER ROLE lazy SET synchronous_commit = off');
    cleanups.push(async () => {
      await sql(cluster.url, `DROP SCHEMA ${schema} CASCADE`);
      await sql(cluster.url, 'DROP ROLE lazy');
    });
    const store = new PostgresStore({ url: url.replace('postgres@', 'lazy@') });
    await store.open();
    try {
      expect(store.settings().synchronousCommit).toBe('off');
      await store.putMessage(msg(1));
      expect((await store.loadMessages('q')).map((m) => m.seq)).toEqual([1]);
    } finally {
      await store.close();
    }
  });

  it('commits a burst of writes in one transaction and reports it to the observer', async () => {
    const commits: number[] = [];
    const h = await harness({ observer: { onCommit: (_ms, ops) => commits.push(ops) } });
    await Promise.all(Array.from({ length: 1000 }, (_, i) => h.store.putMessage(msg(i + 1))));
    expect(commits).toEqual([1000]);
    expect(h.store.stats()).toMatchObject({ commits: 1, operations: 1000, rowChanges: 1000 });
  });

  it('splits batches at maxBatch', async () => {
    const ops: number[] = [];
    const h = await harness({ maxBatch: 100, observer: { onCommit: (_ms, n) => ops.push(n) } });
    await Promise.all(Array.from({ length: 1000 }, (_, i) => h.store.putMessage(msg(i + 1))));
    expect(ops).toEqual(Array.from({ length: 10 }, () => 100));
  });

  it('fills the next batch while one is in flight, then commits it as one transaction', async () => {
    const ops: number[] = [];
    const h = await harness({ maxDelayMs: 0, observer: { onCommit: (_ms, n) => ops.push(n) } });
    const first = h.store.putMessage(msg(1));
    await new Promise((r) => setImmediate(r)); // the first batch is sealed and executing now
    const rest = Array.from({ length: 500 }, (_, i) => h.store.putMessage(msg(i + 2)));
    await Promise.all([first, ...rest]);
    expect(ops).toEqual([1, 500]);
  });

  it('put + delete of the same message in one batch writes no rows; setReceiveCount folds into the insert', async () => {
    const h = await harness();
    await Promise.all([h.store.putMessage(msg(1)), h.store.deleteMessage('q', 1)]);
    expect(h.store.stats().rowChanges).toBe(0);
    await Promise.all([h.store.putMessage(msg(2)), h.store.setReceiveCount('q', 2, 5), h.store.setReceiveCount('q', 2, 6)]);
    expect(h.store.stats().rowChanges).toBe(1);
    expect((await h.store.loadMessages('q')).map((m) => [m.seq, m.receiveCount])).toEqual([[2, 6]]);
  });

  it('trimRecords inside a batch counts exactly what it removed, between the writes around it', async () => {
    const h = await harness();
    const rec = (seq: number, arrivedAt: number) => ({ stream: 's', shardId: 'a', seq, partitionKey: 'k', arrivedAt, message: createMessage(`r${seq}`) });
    const a = h.store.appendRecord(rec(1, 10));
    const trimmed = h.store.trimRecords('s', 100);
    const b = h.store.appendRecord(rec(2, 20));
    const again = h.store.trimRecords('s', 15);
    await Promise.all([a, b]);
    expect([await trimmed, await again]).toEqual([1, 0]);
    expect((await h.store.readRecords('s', 'a', 0, 10)).map((r) => r.seq)).toEqual([2]);
    expect(await h.store.maxStreamSeq('s')).toBe(2);
  });

  it('a failed commit rejects every write of the batch with STORE_FAILED, reports it, and the store recovers', async () => {
    const errors: Error[] = [];
    const h = await harness({ observer: { onError: (e) => errors.push(e) } });
    await sql(h.url, 'ALTER TABLE messages ADD CONSTRAINT no_666 CHECK (seq <> 666)');
    const outcomes = await Promise.all([code(h.store.putMessage(msg(1))), code(h.store.putMessage(msg(666))), code(h.store.putState('n', 'k', Buffer.from('v')))]);
    expect(outcomes).toEqual(['STORE_FAILED', 'STORE_FAILED', 'STORE_FAILED']);
    expect(errors.length).toBe(1);
    expect(errors[0]!.message).toContain('no_666');
    expect(h.store.stats().failedBatches).toBe(1);
    await h.store.putMessage(msg(2));
    expect((await h.store.loadMessages('q')).map((m) => m.seq)).toEqual([2]);
    expect(await h.store.loadState('n')).toEqual([]);
  });

  it('recovers when its server connections are terminated', async () => {
    const h = await harness();
    await h.store.putMessage(msg(1));
    expect((await h.store.loadMessages('q')).length).toBe(1);
    const killed = await sql<{ ok: boolean }>(cluster.url,
      "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'interchange-store' AND pid <> pg_backend_pid()");
    expect(killed.length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 100)); // the pool notices and drops the dead idle connections
    await h.store.putMessage(msg(2));
    expect((await h.store.loadMessages('q')).map((m) => m.seq)).toEqual([1, 2]);
  });

  it('refuses a database written by a newer schema version', async () => {
    const h = await harness();
    await h.store.close();
    await sql(h.url, 'UPDATE interchange_schema SET version = $1', [SCHEMA_VERSION + 1]);
    const store = new PostgresStore({ url: h.url });
    await expect(store.open()).rejects.toThrow(/newer than this broker supports/);
    await sql(h.url, 'UPDATE interchange_schema SET version = $1', [SCHEMA_VERSION]);
    await h.reopen();
  });

  it('fails to open with STORE_FAILED (password hidden) when the server is unreachable', async () => {
    const store = new PostgresStore({ url: 'postgresql://u:secret@127.0.0.1:1/db' });
    const err = await store.open().then(() => null, (e: unknown) => e);
    expect(isBrokerError(err, 'STORE_FAILED')).toBe(true);
    expect(String((err as Error).message)).toContain('u:***@127.0.0.1:1');
    expect(String((err as Error).message)).not.toContain('secret');
  });

  it('rejects malformed arguments on their own (INVALID_ARGUMENT); the rest of the batch commits', async () => {
    const h = await harness();
    const outcomes = await Promise.all([
      code(h.store.putMessage(msg(1))),
      code(h.store.putMessage({ ...msg(2), queue: 'bad\u0000name' })),
      code(h.store.putState('n', 'k\u0000', Buffer.from('v'))),
      code(h.store.putMessage({ ...msg(3), seq: Number.NaN })),
      code(h.store.putMessage({ ...msg(4), message: { ...createMessage('x'), headers: { o: {} as unknown as string } } })),
      code(h.store.putMessage(msg(5))),
    ]);
    expect(outcomes).toEqual(['resolved', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'resolved']);
    expect((await h.store.loadMessages('q')).map((m) => m.seq)).toEqual([1, 5]);
  });

  it('keeps fractional and large numbers exactly', async () => {
    const h = await harness();
    const m = { ...msg(2 ** 53 - 1), enqueuedAt: 1.5, availableAt: 1e21 };
    await h.store.putMessage(m);
    await h.reopen();
    expect(await h.store.loadMessages('q')).toEqual([m]);
  });

  it('keeps every acknowledged write when PostgreSQL is killed mid-burst (immediate shutdown, WAL recovery), then recovers', async () => {
    const h = await postgresHarness(cluster, { maxDelayMs: 2 });
    try {
      const acked: number[] = [];
      let failed = 0;
      let crashing: Promise<void> | null = null;
      const writes: Array<Promise<void>> = [];
      for (let seq = 1; seq <= 20_000; seq++) {
        writes.push(h.store.putMessage(msg(seq, 'crash')).then(
          () => { acked.push(seq); if (acked.length === 2000) crashing = cluster.restart('immediate'); },
          (err: unknown) => { if (!isBrokerError(err, 'STORE_FAILED')) throw err; failed += 1; },
        ));
        if (seq % 500 === 0) await new Promise((r) => setImmediate(r)); // a steady stream of batches
        if (crashing) break;
      }
      await Promise.all(writes);
      await crashing;
      expect(acked.length).toBeGreaterThanOrEqual(2000);
      await h.reopen();
      const present = new Set((await h.store.loadMessages('crash')).map((m) => m.seq));
      expect(acked.filter((seq) => !present.has(seq))).toEqual([]);
      // The store works again after the restart.
      await h.store.putMessage(msg(1, 'after'));
      expect((await h.store.loadMessages('after')).length).toBe(1);
      expect(failed + acked.length).toBe(writes.length);
    } finally {
      await h.cleanup();
    }
  });

  it('loses no acknowledged write when the writing process is killed (kill -9)', async () => {
    const h = await harness();
    const TARGET = 3000;
    const { acked, ready, stderr, signal } = await runKilledWriter('postgres', h.url, { maxDelayMs: 20, maxBatch: 1_000_000, target: TARGET });

    expect(stderr).toBe('');
    expect(ready).toBe(true);
    expect(signal).toBe('SIGKILL');
    expect(acked.size).toBeGreaterThanOrEqual(TARGET);
    await h.reopen();
    const present = new Set((await h.store.loadMessages('kill')).map((m) => m.seq));
    expect([...acked].filter((seq) => !present.has(seq))).toEqual([]);
  });
});
