/**
 * In-process core benchmark: durable publish → deliver → ack of 1 KiB messages through the
 * Broker and the SQLite store (one queue, 100 queues), and stream put + read.
 * Run: npx tsx bench/core-bench.ts [messages]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../src/core/broker.js';
import { createMessage } from '../src/core/message.js';
import { SqliteStore } from '../src/store/sqlite-store.js';

const TOTAL = Number(process.argv[2] ?? 100_000);
const BODY = Buffer.alloc(1024, 'x');
const WINDOW = Number(process.env.WINDOW ?? 256); // publishes in flight at once (like that many producers)

interface Result { scenario: string; messages: number; seconds: number; rate: number; commits: number }

async function withBroker<T>(fn: (broker: Broker, store: SqliteStore) => Promise<T>, maxDelayMs = 0): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'interchange-bench-'));
  const store = new SqliteStore({ path: join(dir, "bench.db"), maxDelayMs, maxBatch: 1000 });
  await store.open();
  const broker = await Broker.open({ store });
  try {
    return await fn(broker, store);
  } finally {
    await broker.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function queueScenario(queueCount: number, maxDelayMs: number): Promise<Result> {
  return withBroker(async (broker, store) => {
    const queues = await Promise.all(Array.from({ length: queueCount }, (_, i) => broker.createQueue(`bench.q${i}`)));
    let acked = 0;
    let done!: () => void;
    const allAcked = new Promise<void>((r) => { done = r; });
    const ackPromises: Promise<void>[] = [];
    for (const q of queues) {
      const consumer = q.addConsumer({
        prefetch: 1000,
        onMessage: (d) => {
          ackPromises.push(consumer.ack(d.tag));
          if (++acked === TOTAL) done();
        },
      });
    }
    const before = store.stats().commits;
    const start = performance.now();
    let next = 0;
    const producer = async (): Promise<void> => {
      while (next < TOTAL) {
        const i = next++;
        await queues[i % queueCount]!.send(createMessage(BODY, { persistent: true }));
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, producer));
    await allAcked;
    await Promise.all(ackPromises);
    const seconds = (performance.now() - start) / 1000;
    return {
      scenario: `durable send → push deliver → ack, ${queueCount} queue${queueCount > 1 ? 's' : ''} (maxDelayMs ${maxDelayMs})`,
      messages: TOTAL, seconds, rate: TOTAL / seconds, commits: store.stats().commits - before,
    };
  }, maxDelayMs);
}

async function streamScenario(): Promise<Result[]> {
  return withBroker(async (broker, store) => {
    const stream = await broker.createStream('bench.stream', { shardCount: 4 });
    const before = store.stats().commits;
    let start = performance.now();
    let next = 0;
    const producer = async (): Promise<void> => {
      while (next < TOTAL) {
        const i = next++;
        await stream.put(createMessage(BODY, { partitionKey: `key-${i % 1000}` }));
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, producer));
    const putSeconds = (performance.now() - start) / 1000;
    const putCommits = store.stats().commits - before;
    start = performance.now();
    let read = 0;
    await new Promise<void>((resolve) => {
      const reader = stream.subscribe({
        start: 'first',
        onRecord: () => {
          if (++read === TOTAL) {
            reader.close();
            resolve();
          }
        },
      });
    });
    const readSeconds = (performance.now() - start) / 1000;
    return [
      { scenario: 'stream put (4 shards)', messages: TOTAL, seconds: putSeconds, rate: TOTAL / putSeconds, commits: putCommits },
      { scenario: 'stream read from TRIM_HORIZON (push reader)', messages: TOTAL, seconds: readSeconds, rate: TOTAL / readSeconds, commits: 0 },
    ];
  });
}

const results: Result[] = [];
for (const delay of (process.env.DELAYS ?? "0").split(",").map(Number)) {
  results.push(await queueScenario(1, delay));
  results.push(await queueScenario(100, delay));
}
results.push(...(await streamScenario()));

console.log(`\nInterchange core benchmark: ${TOTAL} × 1 KiB persistent messages, ${WINDOW} publishes in flight, SQLite WAL synchronous=FULL\n`);
console.log('| scenario | messages | seconds | msg/s | store commits |');
console.log('|---|---:|---:|---:|---:|');
for (const r of results) {
  console.log(`| ${r.scenario} | ${r.messages} | ${r.seconds.toFixed(2)} | ${Math.round(r.rate).toLocaleString('en-US')} | ${r.commits} |`);
}
