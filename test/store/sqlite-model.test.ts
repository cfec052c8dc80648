/**
 * Model check of batching and coalescing: random sequences of queue-message writes, issued in
 * random bursts (some awaited, some not), must leave the SQLite store in exactly the state the
 * MemoryStore (which applies each call immediately) reaches. Small maxBatch values put batch
 * boundaries everywhere, including between a put and its delete. Driver: ./model-check.ts.
 */
import { describe, it } from 'vitest';
import { createMessage } from '../../src/core/message.js';
import type { Store } from '../../src/core/store.js';
import { checkAgainstModel, randomBursts, type Call } from './model-check.js';
import { sqliteHarness } from './sqlite-helpers.js';

function randomCalls(seed: number, count: number): Call[][] {
  return randomBursts(seed, count, (i, pick) => {
    const queue = `q${pick(2)}`;
    const seq = 1 + pick(4);
    const k = pick(100);
    if (k < 40) {
      const body = `b${i}`;
      const rc = pick(3);
      return (s) => s.putMessage({ queue, seq, id: `ID:${i}`, message: createMessage(body), enqueuedAt: i, availableAt: i, receiveCount: rc });
    }
    if (k < 70) return (s) => s.deleteMessage(queue, seq);
    if (k < 98) {
      const rc = 1 + pick(9);
      return (s) => s.setReceiveCount(queue, seq, rc);
    }
    return (s) => s.purgeQueue(queue);
  });
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
    await checkAgainstModel({
      bursts: randomCalls(seed, 400),
      harness: () => sqliteHarness({ maxBatch, maxDelayMs }),
      snapshot,
      compareResults: false,
      emptyLength: 0,
    });
  });
});
