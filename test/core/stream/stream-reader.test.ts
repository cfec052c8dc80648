import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import type { StreamRecord } from '../../../src/core/store.js';
import type { StreamRecordView } from '../../../src/core/stream/types.js';
import { bodies, drain, errorCode, msg, openStream } from './helpers.js';

const S0 = 'shardId-000000000000';
const S1 = 'shardId-000000000001';
// MD5("a") starts 0x0c → first half; MD5("abc") starts 0x90 → second half (2 shards).
const K0 = 'a';
const K1 = 'abc';

describe('push readers (subscribe)', () => {
  it("'first' reads history, then follows the tail without polling", async () => {
    const { stream, clock } = await openStream({ shardCount: 2 });
    for (let i = 0; i < 3; i++) await stream.put(msg(`h${i}`, i % 2 ? K1 : K0));
    const got: StreamRecordView[] = [];
    const reader = stream.subscribe({ start: 'first', onRecord: (r) => got.push(r) });
    await drain();
    expect(bodies(got).sort()).toEqual(['h0', 'h1', 'h2']);
    const pendingTimers = clock.pendingTimers();
    await stream.put(msg('t0', K0));
    await stream.put(msg('t1', K1));
    await drain();
    expect(bodies(got).slice(3).sort()).toEqual(['t0', 't1']);
    expect(clock.pendingTimers()).toBe(pendingTimers); // waiting readers hold no timers
    expect(reader.position).toEqual(new Map([[S0, 5], [S1, 6]]));
    expect(stream.stats().readers).toBe(1);
    reader.close();
    expect(stream.stats().readers).toBe(0);
    await stream.put(msg('after-close', K0));
    await drain();
    expect(got).toHaveLength(5);
    stream.close();
  });

  it('catches up through many store batches in order', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const a = await openStream({}, 's', { store, clock });
    for (let i = 0; i < 1234; i++) await a.stream.put(msg(`m${i}`, 'k'));
    a.stream.close();
    const reads: number[] = [];
    const original = store.readRecords.bind(store);
    store.readRecords = (s, shard, from, limit) => { reads.push(limit); return original(s, shard, from, limit); };
    const b = await openStream({}, 's', { store, clock });
    const got: number[] = [];
    b.stream.subscribe({ start: 'first', onRecord: (r) => got.push(r.seq) });
    await drain(40);
    expect(got).toEqual(Array.from({ length: 1234 }, (_, i) => i + 1));
    expect(reads.filter((l) => l === 500).length).toBeGreaterThanOrEqual(3);
    b.stream.close();
  });

  it("'next' delivers only records committed after subscribing", async () => {
    const { stream } = await openStream({ shardCount: 2 });
    await stream.put(msg('old0', K0));
    await stream.put(msg('old1', K1));
    const got: StreamRecordView[] = [];
    stream.subscribe({ start: 'next', onRecord: (r) => got.push(r) });
    await drain();
    expect(got).toEqual([]);
    await stream.put(msg('new1', K1));
    await stream.put(msg('new0', K0));
    await drain();
    expect(bodies(got).sort()).toEqual(['new0', 'new1']);
    stream.close();
  });

  it("'last' starts at the last record of each shard, then follows (also after a reopen)", async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const a = await openStream({ shardCount: 2 }, 's', { store, clock });
    for (let i = 0; i < 4; i++) await a.stream.put(msg(`s0-${i}`, K0));
    await a.stream.put(msg('s1-0', K1));
    const got: string[] = [];
    a.stream.subscribe({ start: 'last', onRecord: (r) => got.push(r.message.body.toString()) });
    await drain();
    expect(got.sort()).toEqual(['s0-3', 's1-0']);
    a.stream.close();
    // reopened: the last record is found in the store
    const b = await openStream({ shardCount: 2 }, 's', { store, clock });
    const got2: string[] = [];
    b.stream.subscribe({ start: 'last', onRecord: (r) => got2.push(r.message.body.toString()) });
    await drain();
    expect(got2.sort()).toEqual(['s0-3', 's1-0']);
    await b.stream.put(msg('s0-4', K0));
    await drain();
    expect(got2).toContain('s0-4');
    // an empty shard under 'last' delivers its first record when it comes
    const c = await openStream({ shardCount: 2 }, 'empty');
    const got3: string[] = [];
    c.stream.subscribe({ start: 'last', onRecord: (r) => got3.push(r.message.body.toString()) });
    await drain();
    await c.stream.put(msg('first-ever', K1));
    await drain();
    expect(got3).toEqual(['first-ever']);
    b.stream.close();
    c.stream.close();
  });

  it('{ seq } starts at that sequence number in every shard; { timestamp } at that time', async () => {
    const { stream, clock } = await openStream({ shardCount: 2 });
    const t: number[] = [];
    for (let i = 0; i < 6; i++) {
      t.push(clock.now());
      await stream.put(msg(`m${i}`, i % 2 ? K1 : K0)); // seq i+1
      clock.advance(1000);
    }
    const bySeq: number[] = [];
    stream.subscribe({ start: { seq: 4 }, onRecord: (r) => bySeq.push(r.seq) });
    const byTime: number[] = [];
    stream.subscribe({ start: { timestamp: t[2]! }, onRecord: (r) => byTime.push(r.seq) });
    await drain();
    expect(bySeq.sort()).toEqual([4, 5, 6]);
    expect(byTime.sort()).toEqual([3, 4, 5, 6]);
    expect(await errorCode(() => stream.subscribe({ start: 'middle' as never, onRecord: () => undefined }))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(() => stream.subscribe({ start: 'first', shards: ['nope'], onRecord: () => undefined }))).toBe('SHARD_INVALID');
    stream.close();
  });

  it('pause() is honoured between records; resume() continues where it stopped', async () => {
    const { stream } = await openStream();
    for (let i = 0; i < 10; i++) await stream.put(msg(`m${i}`, 'k'));
    const got: string[] = [];
    const reader = stream.subscribe({
      start: 'first',
      onRecord: (r) => {
        got.push(r.message.body.toString());
        if (got.length === 3) reader.pause();
      },
    });
    await drain();
    expect(got).toEqual(['m0', 'm1', 'm2']);
    expect(reader.paused).toBe(true);
    await stream.put(msg('m10', 'k'));
    await drain();
    expect(got).toHaveLength(3);
    expect(reader.position.get(S0)).toBe(4);
    reader.resume();
    await drain();
    expect(got).toEqual(Array.from({ length: 11 }, (_, i) => `m${i}`));
    stream.close();
  });

  it('a throwing onRecord is logged and delivery continues', async () => {
    const { stream } = await openStream();
    const got: number[] = [];
    stream.subscribe({ start: 'first', onRecord: (r) => { got.push(r.seq); if (r.seq === 1) throw new Error('consumer bug'); } });
    await stream.put(msg('a', 'k'));
    await stream.put(msg('b', 'k'));
    await drain();
    expect(got).toEqual([1, 2]);
    stream.close();
  });

  it('does not lose a record committed while a catch-up read is in flight', async () => {
    // Records exist only in shard 1, so the reader of shard 0 reads the store and finds nothing.
    const store = new MemoryStore();
    const clock = new ManualClock();
    const a = await openStream({ shardCount: 2 }, 's', { store, clock });
    for (let i = 0; i < 3; i++) await a.stream.put(msg(`x${i}`, K1));
    a.stream.close();
    const b = await openStream({ shardCount: 2 }, 's', { store, clock });
    const original = store.readRecords.bind(store);
    let raced = false;
    store.readRecords = async (s, shard, from, limit): Promise<StreamRecord[]> => {
      const snapshot = await original(s, shard, from, limit);
      if (shard === S0 && !raced) {
        raced = true;
        await b.stream.put(msg('raced', K0)); // commits (and notifies) before the stale read returns
      }
      return snapshot;
    };
    const got: string[] = [];
    b.stream.subscribe({ start: 'first', shards: [S0], onRecord: (r) => got.push(r.message.body.toString()) });
    await drain();
    expect(raced).toBe(true);
    expect(got).toEqual(['raced']);
    b.stream.close();
  });

  it('delivers every record exactly once when puts overflow the tail cache during a slow catch-up', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const a = await openStream({}, 's', { store, clock });
    for (let i = 0; i < 1200; i++) await a.stream.put(msg(`m${i}`, 'k'));
    a.stream.close();
    const b = await openStream({}, 's', { store, clock });
    const original = store.readRecords.bind(store);
    const gates: Array<() => void> = [];
    store.readRecords = async (s, shard, from, limit) => {
      await new Promise<void>((resolve) => gates.push(resolve));
      return original(s, shard, from, limit);
    };
    const got: number[] = [];
    b.stream.subscribe({ start: 'first', onRecord: (r) => got.push(r.seq) });
    const puts: Array<Promise<unknown>> = [];
    for (let round = 0; round < 30 && (gates.length > 0 || puts.length === 0); round++) {
      for (let i = 0; i < 100; i++) puts.push(b.stream.put(msg(`n${round}-${i}`, 'k')));
      await Promise.all(puts);
      gates.splice(0).forEach((g) => g());
      await drain(3);
    }
    for (let i = 0; i < 20; i++) { gates.splice(0).forEach((g) => g()); await drain(3); }
    const total = 1200 + puts.length;
    expect(got).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    b.stream.close();
  });
});
