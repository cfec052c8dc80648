/**
 * Model check of batching and coalescing: random sequences of queue-message writes, issued in
 * random bursts (some awaited, some not), must leave the SQLite store in exactly the state the
 * MemoryStore (which applies each call immediately) reaches. Small maxBatch values put batch
 * boundaries everywhere, including between a put and its delete.
 */
import { describe, expect, it } from 'vitest';
import { createMessage } from '../../src/core/message.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { Store } from '../../src/store/store.js';
import { sqliteHarness } from './sqlite-helpers.js';

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
  for (let i = 0; i < count; i++) {
    const queue = `q${pick(2)}`;
    const seq = 1 + pick(4);
    const k = pick(100);
    let call: Call;
    if (k < 40) {
      const body = `b${i}`;
      const rc = pick(3);
      call = (s) => s.putMessage({ queue, seq, id: `ID:${i}`, message: createMessage(body), enqueuedAt: i, availableAt: i, receiveCount: rc });
    } else if (k < 70) call = (s) => s.deleteMessage(queue, seq);
    else if (k < 98) {
      const rc = 1 + pick(9);
      call = (s) => s.setReceiveCount(queue, seq, rc);
    } else call = (s) => s.purgeQueue(queue);
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
  const out: Array<[string, number, string, string, number]> = [];
  for (const q of ['q0', 'q1']) for (const m of await s.loadMessages(q)) out.push([q, m.seq, m.id, m.message.body.toString(), m.receiveCount]);
  return out;
};

describe('SqliteStore batching and coalescing match the memory model', () => {
  it.each([
    [1, 3, 0],
    [2, 7, 0],
    [3, 2000, 2],
    [4, 5, 2],
  ])('seed %i, maxBatch %i, maxDelayMs %i', async (seed, maxBatch, maxDelayMs) => {
    const bursts = randomCalls(seed, 400);
    const model = new MemoryStore();
    await model.open();
    const h = await sqliteHarness({ maxBatch, maxDelayMs });
    try {
      let nonEmpty = 0;
      for (const [i, burst] of bursts.entries()) {
        await Promise.all(burst.map((call) => call(model)));
        await Promise.all(burst.map((call) => call(h.store)));
        const expected = await snapshot(model);
        if (expected.length > 0) nonEmpty += 1;
        expect({ burst: i, rows: await snapshot(h.store) }).toEqual({ burst: i, rows: expected });
      }
      expect(nonEmpty).toBeGreaterThan(bursts.length / 2);
      expect(await snapshot(await h.reopen())).toEqual(await snapshot(model));
    } finally {
      await h.cleanup();
    }
  });
});
