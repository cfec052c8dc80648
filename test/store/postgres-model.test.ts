/**
 * Model check of the PostgreSQL store's batch folding (src/store/postgres/batch.ts): random
 * sequences of writes over queue messages, dedup windows (with expiry), stream records (with
 * trims, whose counts are compared too), destination deletes (cascades) and front-end state,
 * issued in random bursts, must leave PostgresStore in exactly the state the MemoryStore (which
 * applies each call immediately) reaches. Small maxBatch values put batch boundaries everywhere.
 * Driver: ./model-check.ts.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createMessage } from '../../src/core/message.js';
import type { Store } from '../../src/core/store.js';
import { postgresSkipReason, type PostgresCluster } from '../support/postgres-cluster.js';
import { checkAgainstModel, randomBursts, type Call } from './model-check.js';
import { postgresHarness, startPostgresCluster } from './postgres-helpers.js';

function randomCalls(seed: number, count: number): Call[][] {
  let recordSeq = 0; // unique: MemoryStore keeps duplicate appends, the durable stores keep the first
  return randomBursts(seed, count, (i, pick) => {
    const queue = `q${pick(2)}`;
    const stream = `s${pick(2)}`;
    const seq = 1 + pick(4);
    const k = pick(100);
    if (k < 25) {
      const body = `b${i}`;
      const rc = pick(3);
      return (s) => s.putMessage({ queue, seq, id: `ID:${i}`, message: createMessage(body), enqueuedAt: i, availableAt: i, receiveCount: rc });
    }
    if (k < 40) return (s) => s.deleteMessage(queue, seq);
    if (k < 52) {
      const rc = 1 + pick(9);
      return (s) => s.setReceiveCount(queue, seq, rc);
    }
    if (k < 54) return (s) => s.purgeQueue(queue);
    if (k < 62) {
      const rec = { scope: queue, dedupId: `d${pick(3)}`, expiresAt: pick(100), messageId: `m${i}` };
      return (s) => s.putDedup(rec);
    }
    if (k < 65) {
      const now = pick(100);
      return (s) => s.expireDedup(now);
    }
    if (k < 67) return (s) => s.deleteDestination('queue', queue);
    if (k < 80) {
      const rec = { stream, shardId: pick(2) ? 'a' : 'b', seq: ++recordSeq, partitionKey: 'k', arrivedAt: pick(100), message: createMessage(`r${i}`) };
      return (s) => s.appendRecord(rec);
    }
    if (k < 84) {
      const olderThan = pick(100);
      return (s) => s.trimRecords(stream, olderThan);
    }
    if (k < 86) return (s) => s.deleteDestination('stream', stream);
    if (k < 94) {
      const key = `k${pick(3)}`;
      const value = Buffer.from(`v${i}`);
      return (s) => s.putState('n', key, value);
    }
    const key = `k${pick(3)}`;
    return (s) => s.deleteState('n', key);
  });
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
    await checkAgainstModel({
      bursts: randomCalls(seed, 400),
      harness: () => postgresHarness(cluster, { maxBatch, maxDelayMs }),
      snapshot,
      compareResults: true,
      emptyLength: 4,
    });
  });
});
