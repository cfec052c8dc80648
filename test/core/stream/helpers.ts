import { ManualClock } from '../../../src/core/clock.js';
import { isBrokerError } from '../../../src/core/errors.js';
import { createMessage, type Message } from '../../../src/core/message.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { Stream } from '../../../src/core/stream/stream.js';
import { parseStreamAttributes } from '../../../src/core/stream/stream-attributes.js';
import type { StreamRecordView } from '../../../src/core/stream/types.js';

/** Let every pending promise chain (MemoryStore resolves immediately) run to completion. No timers. */
export async function drain(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export interface Fixture {
  store: MemoryStore;
  clock: ManualClock;
  stream: Stream;
}

export async function openStream(attrs: Record<string, unknown> = {}, name = 'orders.events', fixture?: Partial<Fixture>): Promise<Fixture> {
  const store = fixture?.store ?? new MemoryStore();
  const clock = fixture?.clock ?? new ManualClock();
  await store.open();
  const stream = await Stream.open({ name, attributes: parseStreamAttributes(name, attrs), store, clock });
  return { store, clock, stream };
}

export function msg(body: string, partitionKey?: string, headers: Record<string, string> = {}): Message {
  return createMessage(body, { headers, ...(partitionKey !== undefined ? { partitionKey } : {}) });
}

export function bodies(records: StreamRecordView[]): string[] {
  return records.map((r) => r.message.body.toString());
}

export async function errorCode(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    if (typeof p === 'function') await p();
    else await p;
  } catch (err) {
    return isBrokerError(err) ? err.code : `OTHER: ${String(err)}`;
  }
  return undefined;
}

/** Keys that MD5-route to each of the shards of an evenly split stream with `count` shards. */
export function keysPerShard(count: number, perShard: number, md5Index: (key: string) => number): string[][] {
  const out: string[][] = Array.from({ length: count }, () => []);
  for (let i = 0; out.some((l) => l.length < perShard); i++) {
    const k = `key-${i}`;
    const idx = md5Index(k);
    const list = out[idx];
    if (list && list.length < perShard) list.push(k);
  }
  return out;
}
