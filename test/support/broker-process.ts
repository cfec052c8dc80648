/**
 * Black-box helper: run the real CLI (`src/cli.ts start`) as a child process with a temp data
 * dir and every port 0, and read the bound ports from its startup log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface BrokerProcess {
  child: ChildProcess;
  /** The ports of the line start resolved on: every port when active, `{ admin }` when standby. */
  ports: Record<string, number>;
  /** What the process was when start resolved. */
  role: 'active' | 'standby';
  logs: string[];
  /** Resolves with every bound port when the process logs 'interchange broker started'. */
  active: Promise<Record<string, number>>;
  /** Date.now() when the 'interchange broker started' line was read (undefined before). */
  activeAt: number | undefined;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export function tempDir(prefix = 'interchange-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Flags that put every listener on an OS-chosen port. */
export const EPHEMERAL_PORT_FLAGS = [
  '--host', '127.0.0.1',
  '--mqtt-port', '0', '--amqp-port', '0', '--stomp-port', '0', '--ws-port', '0', '--admin-port', '0',
  '--mqtts-port', '0', '--amqps-port', '0', '--stomps-port', '0', '--wss-port', '0', '--aws-port', '0', '--awss-port', '0',
];

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, entry = 'src/cli.ts'): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(ROOT, entry), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: entry === 'src/cli.ts' ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', 'ipc'],
  });
}

export interface StartOptions {
  /** Resolve as soon as the process logs 'interchange broker standby' too (default: wait until active). */
  allowStandby?: boolean;
  /** How long to wait for the first line (default 20 s). */
  timeoutMs?: number;
  /** Script to run instead of src/cli.ts (same flags; spawned with an IPC channel), relative to the repo root. */
  entry?: string;
}

export async function startBrokerProcess(dataDir: string, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}, opts: StartOptions = {}): Promise<BrokerProcess> {
  const child = runCli(['start', '--data-dir', dataDir, '--log-level', 'info', ...EPHEMERAL_PORT_FLAGS, ...extraArgs], env, opts.entry);
  const logs: string[] = [];
  const exited = new Promise<number | string>((res) => child.once('exit', (code, signal) => res(code ?? signal ?? -1)));
  let onActive!: (ports: Record<string, number>) => void;
  let onStandby!: (ports: Record<string, number>) => void;
  let failActive!: (err: Error) => void;
  const active = new Promise<Record<string, number>>((res, rej) => { onActive = res; failActive = rej; });
  active.catch(() => undefined); // observed through `first` or by the caller
  const standby = new Promise<Record<string, number>>((res) => { onStandby = res; });
  const proc: BrokerProcess = {
    child,
    ports: {},
    role: 'standby',
    logs,
    active,
    activeAt: undefined,
    exited,
    stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let i: number;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      logs.push(line);
      if (line.includes('interchange broker started')) {
        proc.activeAt = Date.now();
        onActive((JSON.parse(line) as { ports: Record<string, number> }).ports);
      } else if (line.includes('interchange broker standby')) {
        onStandby((JSON.parse(line) as { ports: Record<string, number> }).ports);
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
  void exited.then((code) => failActive(new Error(`broker exited (${code}) before it was active:\n${logs.join('\n')}`)));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(`broker did not start in time:\n${logs.join('\n')}`)), opts.timeoutMs ?? 20_000);
  });
  try {
    const first = await Promise.race([
      active.then((ports) => ({ role: 'active' as const, ports })),
      ...(opts.allowStandby ? [standby.then((ports) => ({ role: 'standby' as const, ports }))] : []),
      timeout,
    ]);
    proc.role = first.role;
    proc.ports = first.ports;
  } finally {
    clearTimeout(timer);
  }
  return proc;
}

/** JSON request against the admin API. */
export async function api(port: number, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined; // non-JSON responses (e.g. /metrics) are asserted on `text`
  }
  return { status: res.status, json, text };
}

let nextRequestId = 1;

/** IPC request to a process started with `entry` (see test/ha/fixtures/broker-child.ts). */
export function ipcRequest<T = any>(p: BrokerProcess, req: Record<string, unknown>, timeoutMs = 10_000): Promise<T> {
  const id = nextRequestId++;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => { p.child.off('message', onMessage); reject(new Error(`no IPC answer to ${JSON.stringify(req)}`)); }, timeoutMs);
    const onMessage = (m: { id: number; ok: boolean; result?: T; error?: string }): void => {
      if (m.id !== id) return;
      clearTimeout(timer);
      p.child.off('message', onMessage);
      if (m.ok) resolve(m.result as T);
      else reject(new Error(m.error));
    };
    p.child.on('message', onMessage);
    p.child.send({ ...req, id });
  });
}
