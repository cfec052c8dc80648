/**
 * PostgresStore micro-benchmark (mirrors bench/store-bench.ts): durable (synchronous_commit on,
 * fsync on) throughput and commit latency with 1 KiB messages.
 *
 *   npx tsx bench/postgres-store-bench.ts [--url postgres://…] [--messages N] [--concurrency C] [--sequential S]
 *
 * Without --url a throwaway local cluster is started (test/support/postgres-cluster.ts: the
 * postgresql package's binaries, fsync on) and removed afterwards. Each scenario runs on a fresh
 * schema. Scenarios:
 *   put+delete, separate batches  the delete is issued only after the put resolved (no coalescing)
 *   put+delete, same batch        the delete is issued right after the put (folded: no rows written)
 *   put only                      publish throughput
 *   sequential put                1, 10 or 100 writers each awaiting every put (request/confirm clients)
 * Each runs with maxDelayMs 2 and 0. With the asynchronous executor one batch is in flight while
 * the next one fills, so under load batches grow to whatever arrived during the previous commit.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createMessage } from '../src/core/message.js';
import { PostgresStore } from '../src/store/postgres-store.js';
import type { StoredMessage } from '../src/core/store.js';
import { startPostgresCluster } from '../test/support/postgres-cluster.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    messages: { type: 'string', default: '50000' },
    concurrency: { type: 'string', default: '1000' },
    sequential: { type: 'string', default: '1000' },
  },
});
const N = Number(values.messages);
const C = Number(values.concurrency);
const SEQ_N = Number(values.sequential);
const cluster = values.url ? null : await startPostgresCluster();
const baseUrl = values.url ?? cluster!.url;
const body = Buffer.alloc(1024, 0x61);

interface Result {
  scenario: string;
  maxDelayMs: number;
  messages: number;
  seconds: number;
  commits: number;
  commitMs: number[];
  latencyMs: number[];
}

function stored(seq: number): StoredMessage {
  return { queue: 'bench', seq, id: `ID:bench-${seq}`, message: createMessage(body, { headers: { n: seq } }), enqueuedAt: seq, availableAt: seq, receiveCount: 0 };
}

async function admin(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

async function drive(count: number, concurrency: number, perMessage: (seq: number) => Promise<unknown>, latency: number[]): Promise<void> {
  let next = 1;
  const worker = async (): Promise<void> => {
    while (next <= count) {
      const seq = next++;
      const t0 = performance.now();
      await perMessage(seq);
      latency.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

let schemaNo = 0;
async function scenario(name: string, maxDelayMs: number, count: number, concurrency: number, perMessage: (s: PostgresStore, seq: number) => Promise<unknown>): Promise<Result> {
  const schema = `bench_${process.pid}_${++schemaNo}`;
  await admin(`CREATE SCHEMA ${schema}`);
  const commitMs: number[] = [];
  const store = new PostgresStore({ url: withSearchPath(baseUrl, schema), maxDelayMs, observer: { onCommit: (ms) => commitMs.push(ms) } });
  await store.open();
  const latencyMs: number[] = [];
  const t0 = performance.now();
  await drive(count, concurrency, (seq) => perMessage(store, seq), latencyMs);
  await store.flush();
  const seconds = (performance.now() - t0) / 1000;
  const commits = store.stats().commits;
  await store.close();
  await admin(`DROP SCHEMA ${schema} CASCADE`);
  return { scenario: name, maxDelayMs, messages: count, seconds, commits, commitMs, latencyMs };
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);

const results: Result[] = [];
try {
  for (const maxDelayMs of [2, 0]) {
    results.push(await scenario('put+delete, separate batches', maxDelayMs, N, C, async (s, seq) => {
      await s.putMessage(stored(seq));
      await s.deleteMessage('bench', seq);
    }));
    results.push(await scenario('put+delete, same batch', maxDelayMs, N, C, (s, seq) => Promise.all([s.putMessage(stored(seq)), s.deleteMessage('bench', seq)])));
    results.push(await scenario('put only', maxDelayMs, N, C, (s, seq) => s.putMessage(stored(seq))));
    results.push(await scenario('sequential put (1 writer)', maxDelayMs, SEQ_N, 1, (s, seq) => s.putMessage(stored(seq))));
    results.push(await scenario('sequential put (10 writers)', maxDelayMs, SEQ_N * 5, 10, (s, seq) => s.putMessage(stored(seq))));
    results.push(await scenario('sequential put (100 writers)', maxDelayMs, SEQ_N * 20, 100, (s, seq) => s.putMessage(stored(seq))));
  }
} finally {
  await cluster?.stop();
}

const header = ['scenario', 'maxDelayMs', 'messages', 'msg/s', 'commits', 'ops/commit', 'commit p50 ms', 'commit p99 ms', 'write p50 ms', 'write p99 ms'];
const rows = results.map((r) => {
  const opsPerMsg = r.scenario.startsWith('put+delete') ? 2 : 1;
  return [
    r.scenario, String(r.maxDelayMs), String(r.messages), Math.round(r.messages / r.seconds).toLocaleString('en-US'), String(r.commits),
    f1((r.messages * opsPerMsg) / r.commits), f2(pct(r.commitMs, 50)), f2(pct(r.commitMs, 99)), f2(pct(r.latencyMs, 50)), f2(pct(r.latencyMs, 99)),
  ];
});
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
console.log(`PostgresStore, synchronous_commit on + fsync on, 1 KiB bodies, ${C} concurrent writers (sequential: 1, 10, 100), ${values.url ? 'server given by --url' : 'throwaway local cluster'}`);
console.log(line(header));
console.log(`|${widths.map((w, i) => (i === 0 ? ':' : '-') + '-'.repeat(w) + (i === 0 ? '-' : ':')).join('|')}|`);
for (const r of rows) console.log(line(r));
console.log('msg/s counts messages (a put+delete pair is one message); "write" latency is per message from first call to last resolution.');
