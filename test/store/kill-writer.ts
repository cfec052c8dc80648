/**
 * Shared driver of the kill -9 durability tests (sqlite-kill.test.ts, postgres-specific.test.ts):
 * runs ./fixtures/store-writer.ts as a child process, collects the seqs it acknowledged, and
 * SIGKILLs it once `target` are acknowledged (or after 15 s). The caller asserts on the outcome
 * and then checks the store.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('./fixtures/store-writer.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface KillWriterOutcome {
  acked: Set<number>;
  /** The child printed 'ready' (its store opened). */
  ready: boolean;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export async function runKilledWriter(
  kind: 'sqlite' | 'postgres', storeTarget: string, opts: { maxDelayMs: number; maxBatch: number; target: number },
): Promise<KillWriterOutcome> {
  const args = ['--import', 'tsx', fixture, kind, storeTarget, String(opts.maxDelayMs), String(opts.maxBatch)];
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const acked = new Set<number>();
  let ready = false;
  let stderr = '';
  let partial = '';
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
    if (acked.size >= opts.target && child.exitCode === null && !child.killed) child.kill('SIGKILL');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const exit = await exited;
  clearTimeout(timer);
  return { acked, ready, stderr, ...exit };
}
