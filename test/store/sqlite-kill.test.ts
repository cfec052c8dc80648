/**
 * kill -9 durability: a child process writes messages as fast as it can and prints each seq only
 * after its putMessage resolved; we SIGKILL it mid-burst, reopen the file and require every
 * acknowledged seq to be there.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { tempDir } from './sqlite-helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/sqlite-writer.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

let tmp: ReturnType<typeof tempDir> | null = null;
afterEach(() => { tmp?.remove(); tmp = null; });

describe('SqliteStore under kill -9', () => {
  it('loses no acknowledged write', async () => {
    tmp = tempDir('interchange-kill-');
    const path = join(tmp.dir, 'kill.db');
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, path, '40', '1000000'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const acked = new Set<number>();
    let ready = false;
    let stderr = '';
    let partial = '';
    const TARGET = 3000;
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal }));
    });
    child.stdout.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'ready') ready = true;
        else acked.add(Number(line));
      }
      if (acked.size >= TARGET && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const exit = await exited;
    clearTimeout(timer);

    expect(stderr).toBe('');
    expect(ready).toBe(true);
    expect(exit.signal).toBe('SIGKILL');
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
