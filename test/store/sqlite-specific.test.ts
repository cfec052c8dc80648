/**
 * Behaviour of the SQLite store beyond the shared contract: durability settings, group commit,
 * coalescing (no rows written), failure reporting, schema versioning, lifecycle.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { isBrokerError } from '../../src/core/errors.js';
import { createMessage } from '../../src/core/message.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { SCHEMA_VERSION } from '../../src/store/sqlite/schema.js';
import type { StoredMessage } from '../../src/core/store.js';
import { sqliteHarness, tempDir } from './sqlite-helpers.js';

const msg = (seq: number, queue = 'q'): StoredMessage => ({
  queue, seq, id: `ID:${seq}`, message: createMessage(Buffer.alloc(1024, seq & 0xff)), enqueuedAt: seq, availableAt: seq, receiveCount: 0,
});

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function harness(opts: Parameters<typeof sqliteHarness>[0] = {}) {
  const h = await sqliteHarness(opts);
  cleanups.push(h.cleanup);
  return h;
}

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(() => 'resolved', (err: unknown) => (isBrokerError(err) ? err.code : `other: ${String(err)}`));
}

describe('SqliteStore', () => {
  it('runs in WAL mode with synchronous = FULL at the current schema version', async () => {
    const h = await harness();
    expect(h.store.settings()).toEqual({ journalMode: 'wal', synchronous: 'FULL', busyTimeoutMs: 5000, schemaVersion: SCHEMA_VERSION });
    expect(h.path).toContain(join('nested', 'broker.db')); // the missing directory was created
  });

  it('commits a burst of writes in one transaction and reports it to the observer', async () => {
    const commits: Array<[number, number]> = [];
    const h = await harness({ observer: { onCommit: (ms, ops) => commits.push([ms, ops]) } });
    const before = h.store.stats().commits;
    await Promise.all(Array.from({ length: 1000 }, (_, i) => h.store.putMessage(msg(i + 1))));
    expect(h.store.stats().commits - before).toBe(1);
    expect(commits.map(([, ops]) => ops)).toEqual([1000]);
    expect(commits[0]![0]).toBeGreaterThanOrEqual(0);
  });

  it('splits batches at maxBatch', async () => {
    const ops: number[] = [];
    const h = await harness({ maxBatch: 100, observer: { onCommit: (_ms, n) => ops.push(n) } });
    await Promise.all(Array.from({ length: 1000 }, (_, i) => h.store.putMessage(msg(i + 1))));
    expect(ops).toEqual(Array.from({ length: 10 }, () => 100));
  });

  it('commits within maxDelayMs of the first write even when nothing else happens', async () => {
    const h = await harness({ maxDelayMs: 20 });
    const t0 = performance.now();
    await h.store.putMessage(msg(1));
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(19);
    expect(elapsed).toBeLessThan(500);
  });

  it('put + delete of the same message in one batch writes no rows', async () => {
    const h = await harness();
    const before = h.store.stats().rowChanges;
    await Promise.all([h.store.putMessage(msg(1)), h.store.deleteMessage('q', 1)]);
    expect(h.store.stats().rowChanges - before).toBe(0);
    // The same pair across two batches costs an insert and a delete.
    await h.store.putMessage(msg(2));
    await h.store.deleteMessage('q', 2);
    expect(h.store.stats().rowChanges - before).toBe(2);
  });

  it('setReceiveCount on a pending put is folded into the insert', async () => {
    const h = await harness();
    const before = h.store.stats().rowChanges;
    await Promise.all([h.store.putMessage(msg(1)), h.store.setReceiveCount('q', 1, 1), h.store.setReceiveCount('q', 1, 2)]);
    expect(h.store.stats().rowChanges - before).toBe(1);
    expect((await h.store.loadMessages('q'))[0]!.receiveCount).toBe(2);
  });

  it('a failed commit rejects every write of the batch with STORE_FAILED, reports it, and the store recovers', async () => {
    const errors: Error[] = [];
    const h = await harness({ busyTimeoutMs: 20, observer: { onError: (e) => errors.push(e) } });
    // Another connection holds the write lock, so our BEGIN IMMEDIATE times out.
    const other = new Database(h.path);
    other.exec('BEGIN IMMEDIATE');
    const outcomes = await Promise.all([code(h.store.putMessage(msg(1))), code(h.store.putState('n', 'k', Buffer.from('v')))]);
    expect(outcomes).toEqual(['STORE_FAILED', 'STORE_FAILED']);
    expect(errors.length).toBe(1);
    expect(isBrokerError(errors[0], 'STORE_FAILED')).toBe(true);
    expect(String((errors[0] as Error & { cause?: unknown }).cause)).toMatch(/locked|busy/i);
    expect(h.store.stats().failedBatches).toBe(1);
    other.exec('ROLLBACK');
    other.close();
    await h.store.putMessage(msg(2));
    expect((await h.store.loadMessages('q')).map((m) => m.seq)).toEqual([2]);
  });

  it('flush rejects with STORE_FAILED when the batch it waits for fails', async () => {
    const h = await harness({ busyTimeoutMs: 10 });
    const other = new Database(h.path);
    other.exec('BEGIN IMMEDIATE');
    const w = code(h.store.putMessage(msg(1)));
    expect(await code(h.store.flush())).toBe('STORE_FAILED');
    expect(await w).toBe('STORE_FAILED');
    other.exec('ROLLBACK');
    other.close();
  });

  it('rejects writes and loads before open and after close with STORE_CLOSED; can be reopened', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.remove);
    const store = new SqliteStore({ path: join(tmp.dir, 'x.db') });
    expect(await code(store.putMessage(msg(1)))).toBe('STORE_CLOSED');
    expect(await code(store.loadMessages('q'))).toBe('STORE_CLOSED');
    await store.open();
    await store.putMessage(msg(1));
    await store.close();
    expect(await code(store.loadMessages('q'))).toBe('STORE_CLOSED');
    expect(await code(store.maxStreamSeq('s'))).toBe('STORE_CLOSED');
    expect(() => store.settings()).toThrow(/closed/);
    await store.open();
    expect((await store.loadMessages('q')).map((m) => m.seq)).toEqual([1]);
    await store.close();
  });

  it('a write issued during close is rejected, writes issued before it are committed', async () => {
    const h = await harness();
    const before = h.store.putMessage(msg(1));
    const closing = h.store.close();
    const after = code(h.store.putMessage(msg(2)));
    await closing;
    await before;
    expect(await after).toBe('STORE_CLOSED');
    const s2 = await h.reopen();
    expect((await s2.loadMessages('q')).map((m) => m.seq)).toEqual([1]);
  });

  it('refuses a database written by a newer schema version', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.remove);
    const path = join(tmp.dir, 'future.db');
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const store = new SqliteStore({ path });
    expect(await code(store.open())).toBe('STORE_FAILED');
    expect(await code(store.putMessage(msg(1)))).toBe('STORE_CLOSED');
  });

  it('rejects a message whose header is not a scalar, without failing the batch', async () => {
    const h = await harness();
    const bad = msg(1);
    bad.message.headers = { obj: {} as unknown as string };
    const outcomes = await Promise.all([code(h.store.putMessage(bad)), code(h.store.putMessage(msg(2)))]);
    expect(outcomes).toEqual(['INVALID_ARGUMENT', 'resolved']);
  });

  it('deleting a topic or stream leaves the dedup window of a same-named queue alone', async () => {
    const h = await harness();
    await h.store.putDedup({ scope: 'orders.fifo', dedupId: 'd', expiresAt: 99, messageId: 'm' });
    await h.store.deleteDestination('topic', 'orders.fifo');
    await h.store.deleteDestination('stream', 'orders.fifo');
    expect((await h.store.loadDedup('orders.fifo')).length).toBe(1);
    await h.store.deleteDestination('queue', 'orders.fifo');
    expect(await h.store.loadDedup('orders.fifo')).toEqual([]);
  });

  it('rejects malformed arguments on their own (INVALID_ARGUMENT); the rest of the batch commits', async () => {
    const h = await harness();
    const bad = <T>(v: unknown) => v as T;
    const outcomes = await Promise.all([
      code(h.store.putMessage({ ...msg(1), seq: Number.NaN })),
      code(h.store.putMessage({ ...msg(2), queue: bad<string>(undefined) })),
      code(h.store.putMessage({ ...msg(3), message: { ...msg(3).message, body: bad<Buffer>('text') } })),
      code(h.store.putDestination({ kind: bad<'queue'>('exchange'), name: 'x', attributes: {}, createdAt: 1 })),
      code(h.store.putSubscription({ id: 's', pattern: 'a', queue: 'q', filterPolicy: null, createdAt: 1, attributes: bad<Record<string, unknown>>(null) })),
      code(h.store.putState('n', 'k', bad<Buffer>('not a buffer'))),
      code(h.store.appendRecord({ stream: 's', shardId: 'a', seq: 1, partitionKey: bad<string>(7), arrivedAt: 1, message: createMessage('x') })),
      code(h.store.putMessage(msg(4))),
    ]);
    expect(outcomes).toEqual([...Array.from({ length: 7 }, () => 'INVALID_ARGUMENT'), 'resolved']);
    expect((await h.store.loadMessages('q')).map((m) => m.seq)).toEqual([4]);
    expect(h.store.stats().failedBatches).toBe(0);
  });

  it('snapshots the message at call time (later mutation of the body does not leak in)', async () => {
    const h = await harness();
    const m = msg(1);
    const w = h.store.putMessage(m);
    m.message.body.fill(0);
    await w;
    const s2 = await h.reopen();
    expect((await s2.loadMessages('q'))[0]!.message.body.every((b) => b === 1)).toBe(true);
  });
});
