import { describe, expect, it } from 'vitest';
import { isBrokerError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/log.js';
import { GroupCommit, type BatchExecutor } from '../../src/store/group-commit.js';

type Op = () => unknown;
interface State { n: number }

function make(opts: { execute?: BatchExecutor<Op, State>; maxBatch?: number; maxDelayMs?: number } = {}) {
  const batches: number[] = [];
  const commits: number[] = [];
  const errors: Error[] = [];
  const gc = new GroupCommit<Op, State>({
    execute: opts.execute ?? ((ops) => { batches.push(ops.length); return ops.map((op) => op()); }),
    newState: () => ({ n: 0 }),
    logger: silentLogger,
    observer: { onCommit: (_ms, ops) => commits.push(ops), onError: (e) => errors.push(e) },
    maxBatch: opts.maxBatch,
    maxDelayMs: opts.maxDelayMs,
  });
  return { gc, batches, commits, errors };
}

const settle = (p: Promise<unknown>) => p.then((v) => ['ok', v], (e: unknown) => ['err', isBrokerError(e) ? e.code : String(e)]);

describe('GroupCommit', () => {
  it('runs everything submitted in one tick as one batch and resolves each op with its result', async () => {
    const { gc, batches, commits } = make();
    const ps = [1, 2, 3].map((i) => gc.submit<number>(() => i * 10));
    expect(batches).toEqual([]); // nothing runs synchronously
    expect(await Promise.all(ps)).toEqual([10, 20, 30]);
    expect(batches).toEqual([3]);
    expect(commits).toEqual([3]);
  });

  it('executes a batch as soon as it holds maxBatch operations', async () => {
    const { gc, batches } = make({ maxBatch: 4 });
    const ps = Array.from({ length: 10 }, (_, i) => gc.submit(() => i));
    expect(batches).toEqual([4, 4]);
    await Promise.all(ps);
    expect(batches).toEqual([4, 4, 2]);
  });

  it('maxDelayMs 0 commits on the next setImmediate', async () => {
    const { gc, batches } = make({ maxDelayMs: 0 });
    const p = gc.submit(() => 1);
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([1]);
    await p;
  });

  it('a failing batch rejects every op with STORE_FAILED and reports once; the next batch runs', async () => {
    let fail = true;
    const { gc, errors, commits } = make({
      execute: (ops) => { if (fail) throw new Error('disk on fire'); return ops.map((op) => op()); },
    });
    const results = await Promise.all([settle(gc.submit(() => 1)), settle(gc.submit(() => 2))]);
    expect(results).toEqual([['err', 'STORE_FAILED'], ['err', 'STORE_FAILED']]);
    expect(errors.map((e) => e.message)).toEqual(['store failure: commit of 2 operations failed: disk on fire']);
    expect(commits).toEqual([]);
    fail = false;
    expect(await gc.submit(() => 'fine')).toBe('fine');
    expect(gc.stats).toEqual({ commits: 1, operations: 1, failedBatches: 1 });
  });

  it('an observer that throws does not break the commit', async () => {
    const gc = new GroupCommit<Op, State>({
      execute: (ops) => ops.map((op) => op()), newState: () => ({ n: 0 }), logger: silentLogger,
      observer: { onCommit: () => { throw new Error('observer bug'); } },
    });
    expect(await gc.submit(() => 7)).toBe(7);
  });

  it('flush commits now; close commits then refuses new work with STORE_CLOSED', async () => {
    const { gc, batches } = make({ maxDelayMs: 10_000 });
    const p = gc.submit(() => 1);
    await gc.flush();
    expect(batches).toEqual([1]);
    await p;
    const q = gc.submit(() => 2);
    await gc.close();
    expect(await q).toBe(2);
    expect(await settle(gc.submit(() => 3))).toEqual(['err', 'STORE_CLOSED']);
    expect(await settle(gc.flush())).toEqual(['err', 'STORE_CLOSED']);
    expect(() => gc.openState()).toThrow(/closed/);
  });

  it('gives each batch fresh state, reachable while the batch is open', async () => {
    const seen: number[] = [];
    const { gc } = make({ execute: (ops, state) => { seen.push(state.n); return ops.map((op) => op()); } });
    gc.openState().n += 1;
    gc.openState().n += 1;
    await gc.submit(() => 0);
    gc.openState().n += 5;
    await gc.submit(() => 0);
    expect(seen).toEqual([2, 5]);
  });

  it('with an asynchronous executor, one batch runs at a time and the next fills meanwhile', async () => {
    let running = 0;
    let maxRunning = 0;
    const sizes: number[] = [];
    const { gc } = make({
      maxBatch: 1000,
      execute: async (ops) => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        sizes.push(ops.length);
        await new Promise((r) => setTimeout(r, 15));
        running -= 1;
        return ops.map((op) => op());
      },
    });
    const first = gc.submit(() => 'a');
    await new Promise((r) => setTimeout(r, 5)); // batch 1 is now executing
    const rest = Array.from({ length: 5 }, (_, i) => gc.submit(() => i));
    expect(await first).toBe('a');
    expect(await Promise.all(rest)).toEqual([0, 1, 2, 3, 4]);
    await gc.flush();
    expect(maxRunning).toBe(1);
    expect(sizes).toEqual([1, 5]);
  });

  it('a batch opened only for its state executes nothing', async () => {
    const { gc, batches, commits } = make();
    gc.openState().n = 1;
    await gc.flush();
    expect(batches).toEqual([]);
    expect(commits).toEqual([]);
    expect(await gc.submit(() => 'next')).toBe('next');
    expect(batches).toEqual([1]);
  });

  it('validates its options', () => {
    expect(() => make({ maxBatch: 0 })).toThrow(/maxBatch/);
    expect(() => make({ maxDelayMs: -1 })).toThrow(/maxDelayMs/);
  });
});
