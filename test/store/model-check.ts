/**
 * Shared driver of the model checks (sqlite-model.test.ts, postgres-model.test.ts): random bursts
 * of Store calls from a seeded PRNG, issued against the MemoryStore (which applies each call
 * immediately) and against the durable store under test, whose state (as `snapshot` reads it)
 * must match the model's after every burst and after a reopen.
 */
import { expect } from 'vitest';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { Store } from '../../src/core/store.js';

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

export type Call = (s: Store) => Promise<unknown>;

/**
 * `count` calls made by `nextCall` (call number i, `pick(n)`: a random integer in [0, n)), cut into
 * bursts at random (about one call in twenty ends a burst).
 */
export function randomBursts(seed: number, count: number, nextCall: (i: number, pick: (n: number) => number) => Call): Call[][] {
  const r = rng(seed);
  const pick = (n: number) => Math.floor(r() * n);
  const bursts: Call[][] = [];
  let burst: Call[] = [];
  for (let i = 0; i < count; i++) {
    burst.push(nextCall(i, pick));
    if (r() < 0.05) {
      bursts.push(burst);
      burst = [];
    }
  }
  bursts.push(burst);
  return bursts;
}

export interface ModelCheck {
  bursts: Call[][];
  /** Opens the store under test, with reopen (close + new instance on the same data) and cleanup. */
  harness: () => Promise<{ store: Store; reopen(): Promise<Store>; cleanup(): Promise<void> }>;
  snapshot: (s: Store) => Promise<unknown[]>;
  /** Also require every call's result to equal the model's. */
  compareResults: boolean;
  /** A snapshot longer than this counts as non-empty; more than half the bursts must leave one. */
  emptyLength: number;
}

export async function checkAgainstModel(c: ModelCheck): Promise<void> {
  const model = new MemoryStore();
  await model.open();
  const h = await c.harness();
  try {
    let nonEmpty = 0;
    for (const [i, burst] of c.bursts.entries()) {
      const expectedResults = await Promise.all(burst.map((call) => call(model)));
      const results = await Promise.all(burst.map((call) => call(h.store)));
      if (c.compareResults) expect({ burst: i, results }).toEqual({ burst: i, results: expectedResults });
      const expected = await c.snapshot(model);
      if (expected.length > c.emptyLength) nonEmpty += 1;
      expect({ burst: i, rows: await c.snapshot(h.store) }).toEqual({ burst: i, rows: expected });
    }
    expect(nonEmpty).toBeGreaterThan(c.bursts.length / 2);
    expect(await c.snapshot(await h.reopen())).toEqual(await c.snapshot(model));
  } finally {
    await h.cleanup();
  }
}
