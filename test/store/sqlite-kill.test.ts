/**
 * kill -9 durability: a child process writes messages as fast as it can and prints each seq only
 * after its putMessage resolved; we SIGKILL it mid-burst, reopen the file and require every
 * acknowledged seq to be there. Driver: ./kill-writer.ts.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { runKilledWriter } from './kill-writer.js';
import { tempDir } from './sqlite-helpers.js';

let tmp: ReturnType<typeof tempDir> | null = null;
afterEach(() => { tmp?.remove(); tmp = null; });

describe('SqliteStore under kill -9', () => {
  it('loses no acknowledged write', async () => {
    tmp = tempDir('interchange-kill-');
    const path = join(tmp.dir, 'kill.db');
    const TARGET = 3000;
    const { acked, ready, stderr, signal } = await runKilledWriter('sqlite', path, { maxDelayMs: 40, maxBatch: 1_000_000, target: TARGET });

    expect(stderr).toBe('');
    expect(ready).toBe(true);
    expect(signal).toBe('SIGKILL');
    expect(acked.size).toBeGreaterThanOrEqual(TARGET);
    expect([...acked].every((n) => Number.isInteger(n) && n > 0)).toBe(true);

    const store = new SqliteStore({ path });
    await store.open();
    try {
      const present = new Set((await store.loadMessages('kill')).map((m) => m.seq));
      const missing = [...acked].filter((seq) => !present.has(seq));
      expect(missing).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
