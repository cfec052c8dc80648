/**
 * Model check of the PostgreSQL store's batch folding (src/store/postgres/batch.ts): random
 * sequences of writes over queue messages, dedup windows (with expiry), stream records (with
 * trims, whose counts are compared too), destination deletes (cascades) and front-end state,
 * issued in random bursts, must leave PostgresStore in exactly the state the MemoryStore (which
 * applies each call immediately) reaches. Small maxBatch values put batch boundaries everywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessage } from '../../src/core/message.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { Store } from '../../src/store/store.js';
import { postgresSkipReason, type PostgresCluster } from '../support/postgres-cluster.js';
import { postgresHarness, startPostgresCluster } from './postgres-helpers.js';

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Call = (s: Store) => Promise<unknown>;

function randomCalls(seed: number, count: number): Call[][] {
  const r = rng(seed);
  const pick = (n: number) => Math.floor(r() * n);
  const bursts: Call[][] = [];
  let burst: Call[] = [];
  let recordSeq = 0; // unique: MemoryStore keeps duplicate appends, the durable stores keep the first
  for (let i = 0; i < count; i++) {
    const queue = `q${pick(2)}`;
    const stream = `s${pick(2)}`;
    const seq = 1 + pick(4);
    const k = pick(100);
    let call: Call;
    if (k < 25) {
      const body = `b${i}`;
      const rc = pick(3);
      call = (s) => s.putMessage({ queue, seq, id: `ID:${i}`, message: createMessage(body), enqueuedAt: i, availableAt: i, receiveCount: rc });
    } else if (k < 40) call = (s) => s.deleteMessage(queue, seq);
    else if (k < 52) {
      const rc = 1 + pick(9);
      call = (s) => s.setReceiveCount(queue, seq, rc);
    } else if (k < 54) call = (s) => s.purgeQueue(queue);
    else if (k < 62) {
      const rec = { scope: queue, dedupId: `d${pick(3)}`, expiresAt: pick(100), messageId: `m${i}` };
      call = (s) => s.putDedup(rec);
    } else if (k < 65) {
      const now = pick(100);
      call = (s) => s.expireDedup(now);
    } else if (k < 67) call = (s) => s.deleteDestination('queue', queue);
    else if (k < 80) {
      const rec = { stream, shardId: pick(2) ? 'a' : 'b', seq: ++recordSeq, partitionKey: 'k', arrivedAt: pick(100), message: createMessage(`r${i}`) };
      call = (s) => s.appendRecord(rec);
    } else if (k < 84) {
      const olderThan = pick(100);
      call = (s) => s.trimRecords(stream, olderThan);
    } else if (k < 86) call = (s) => s.deleteDestination('stream', stream);
    else if (k < 94) {
      const key = `k${pick(3)}`;
      const value = Buffer.from(`v${i}`);
      call = (s) => s.putState('n', key, value);
    } else {
      const key = `k${pick(3)}`;
      call = (s) => s.deleteState('n', key);
    }
    burst.push(call);
    if (r() < 0.05) {
      bursts.push(burst);
      burst = [];
    }
  }
  bursts.push(burst);
  return bursts;
}

const snapshot = async (s: Store) => {
  const out: unknown[] = [];
  for (const q of ['q0', 'q1']) {
    for (const m of await s.loadMessages(q)) out.push(['msg', q, m.seq, m.id, m.message.body.toString(), m.receiveCount]);
    const dedup = (await s.loadDedup(q)).map((d) => ['dedup', q, d.dedupId, d.expiresAt, d.messageId]);
    out.push(...dedup.sort((a, b) => String(a[2]).localeCompare(String(b[2]))));
  }
  for (const st of ['s0', 's1']) {
    for (const shard of ['a', 'b']) for (const r of await s.readRecords(st, shard, 0, 1000)) out.push(['rec', st, shard, r.seq, r.arrivedAt, r.message.body.toString()]);
    out.push(['max', st, await s.maxStreamSeq(st)]);
  }
  const state = (await s.loadState('n')).sort((a, b) => a.key.localeCompare(b.key));
  for (const e of state) out.push(['state', e.key, e.value.toString()]);
  return out;
};

const skip = postgresSkipReason();
let cluster: PostgresCluster;

describe.skipIf(skip !== null)('PostgresStore batch folding matches the memory model', () => {
  beforeAll(async () => { cluster = await startPostgresCluster(); });
  afterAll(async () => { await cluster?.stop(); });

  it.each([
    [1, 3, 0],
    [2, 7, 0],
    [3, 2000, 2],
    [4, 5, 2],
    [5, 2000, 0],
  ])('seed %i, maxBatch %i, maxDelayMs %i', async (seed, maxBatch, maxDelayMs) => {
    const bursts = randomCalls(seed, 400);
    const model = new MemoryStore();
    await model.open();
    const h = await postgresHarness(cluster, { maxBatch, maxDelayMs });
    try {
      let nonEmpty = 0;
      for (const [i, burst] of bursts.entries()) {
        const expectedResults = await Promise.all(burst.map((call) => call(model)));
        const results = await Promise.all(burst.map((call) => call(h.store)));
        expect({ burst: i, results }).toEqual({ burst: i, results: expectedResults });
        const expected = await snapshot(model);
        if (expected.length > 4) nonEmpty += 1;
        expect({ burst: i, rows: await snapshot(h.store) }).toEqual({ burst: i, rows: expected });
      }
      expect(nonEmpty).toBeGreaterThan(bursts.length / 2);
      expect(await snapshot(await h.reopen())).toEqual(await snapshot(model));
    } finally {
      await h.cleanup();
    }
  });
});
