import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { md5HashKey } from '../../../src/core/stream/hash-range.js';
import type { StreamRecordView } from '../../../src/core/stream/types.js';
import { drain, errorCode, msg, openStream } from './helpers.js';

const S0 = 'shardId-000000000000';
const S1 = 'shardId-000000000001';
const S2 = 'shardId-000000000002';
const S3 = 'shardId-000000000003';
const HALF = 2n ** 127n;

/** Keys whose MD5 falls below / at-or-above 2^127. */
function keys(n: number): { low: string[]; high: string[] } {
  const low: string[] = [];
  const high: string[] = [];
  for (let i = 0; low.length < n || high.length < n; i++) {
    const k = `key-${i}`;
    (md5HashKey(k) < HALF ? low : high).push(k);
  }
  return { low: low.slice(0, n), high: high.slice(0, n) };
}

describe('split and merge', () => {
  it('split closes the parent at the current seq; children take adjacent ranges; new puts go to children', async () => {
    const { stream, store } = await openStream();
    const { low, high } = keys(3);
    for (const k of [...low, ...high]) await stream.put(msg(k, k));
    const [a, b] = await stream.splitShard(S0, HALF.toString());
    expect([a, b]).toEqual([S1, S2]);
    const shards = stream.listShards();
    expect(shards).toEqual([
      { shardId: S0, parentShardId: null, adjacentParentShardId: null, hashKeyRange: { start: '0', end: (2n ** 128n - 1n).toString() }, sequenceNumberRange: { start: '1', end: '6' }, open: false },
      { shardId: S1, parentShardId: S0, adjacentParentShardId: null, hashKeyRange: { start: '0', end: (HALF - 1n).toString() }, sequenceNumberRange: { start: '7', end: null }, open: true },
      { shardId: S2, parentShardId: S0, adjacentParentShardId: null, hashKeyRange: { start: HALF.toString(), end: (2n ** 128n - 1n).toString() }, sequenceNumberRange: { start: '7', end: null }, open: true },
    ]);
    const stored = (await store.loadShards('orders.events')).sort((x, y) => x.shardId.localeCompare(y.shardId));
    expect(stored.map((s) => [s.shardId, s.parentShardId, s.endingSeq])).toEqual([[S0, null, 6], [S1, S0, null], [S2, S0, null]]);
    for (const k of low) expect((await stream.put(msg(k, k))).shardId).toBe(S1);
    for (const k of high) expect((await stream.put(msg(k, k))).shardId).toBe(S2);
    expect(stream.stats()).toMatchObject({ shards: 3, openShards: 2 });
    // parent records stay readable
    expect((await stream.read(S0, 0, 100)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    stream.close();
  });

  it('a put issued before the split lands in the parent even if it commits after', async () => {
    const { stream, store } = await openStream();
    const original = store.appendRecord.bind(store);
    let release: (() => void) | undefined;
    store.appendRecord = async (rec) => {
      if (rec.seq === 1) await new Promise<void>((r) => { release = r; });
      return original(rec);
    };
    const slow = stream.put(msg('slow', 'a'));
    const split = stream.splitShard(S0, HALF.toString());
    const got: StreamRecordView[] = [];
    stream.subscribe({ start: 'first', onRecord: (r) => got.push(r) });
    await drain();
    expect(got).toEqual([]); // seq 1 has not committed yet
    release?.();
    expect(await slow).toMatchObject({ shardId: S0, seq: 1 });
    await split;
    expect(stream.listShards()[0]?.sequenceNumberRange.end).toBe('1');
    await stream.put(msg('child', 'a'));
    await drain();
    expect(got.map((r) => [r.shardId, r.seq])).toEqual([[S0, 1], [S1, 2]]);
    stream.close();
  });

  it('merge: adjacent ranges only, both parents close, lineage recorded', async () => {
    const { stream, store } = await openStream({ shardCount: 4 });
    await stream.put(msg('x', 'a'));
    expect(await errorCode(stream.mergeShards(S0, S2))).toBe('SHARD_INVALID');
    expect(await errorCode(stream.mergeShards(S0, S0))).toBe('SHARD_INVALID');
    expect(await errorCode(stream.mergeShards(S0, 'shardId-000000000099'))).toBe('SHARD_INVALID');
    const child = await stream.mergeShards(S2, S1); // order does not matter for adjacency
    expect(child).toBe('shardId-000000000004');
    const info = stream.listShards().find((s) => s.shardId === child);
    expect(info).toEqual({
      shardId: child, parentShardId: S2, adjacentParentShardId: S1,
      hashKeyRange: { start: (2n ** 126n).toString(), end: (3n * 2n ** 126n - 1n).toString() },
      sequenceNumberRange: { start: '2', end: null }, open: true,
    });
    expect(stream.listShards().filter((s) => !s.open).map((s) => s.shardId)).toEqual([S1, S2]);
    expect((await store.loadShards('orders.events')).find((s) => s.shardId === child)).toMatchObject({ parentShardId: S2, adjacentParentShardId: S1 });
    expect((await stream.put(msg('h', 'hello'))).shardId).toBe(child); // MD5("hello") is in shard 1's old range
    expect((await stream.put(msg('h', 'abc'))).shardId).toBe(child); // and MD5("abc") in shard 2's
    expect(await errorCode(stream.mergeShards(S1, S0))).toBe('SHARD_INVALID'); // closed
    expect(await errorCode(stream.splitShard(S1, '5'))).toBe('SHARD_INVALID'); // closed
    expect(await errorCode(stream.splitShard(S0, '0'))).toBe('SHARD_INVALID'); // not inside (start, end]
    expect(await errorCode(stream.splitShard(S0, 'abc'))).toBe('INVALID_ARGUMENT');
    expect(stream.stats()).toMatchObject({ shards: 5, openShards: 3 });
    stream.close();
  });

  it("a 'first' reader reads parent records before child records, even when the parent is slow to read", async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const a = await openStream({}, 's', { store, clock });
    const { low, high } = keys(4);
    for (const k of [...low, ...high]) await a.stream.put(msg(`p:${k}`, k));
    await a.stream.splitShard(S0, HALF.toString());
    for (const k of [...low, ...high]) await a.stream.put(msg(`c:${k}`, k));
    a.stream.close();
    // reopened: the parent's records come from a slow store; the children's from the store too
    const b = await openStream({}, 's', { store, clock });
    const original = store.readRecords.bind(store);
    store.readRecords = async (s, shard, from, limit) => {
      if (shard === S0) await drain(5);
      return original(s, shard, from, limit);
    };
    const got: StreamRecordView[] = [];
    b.stream.subscribe({ start: 'first', onRecord: (r) => got.push(r) });
    await drain(60);
    expect(got).toHaveLength(16);
    const lastParent = got.map((r) => r.shardId).lastIndexOf(S0);
    const firstChild = got.findIndex((r) => r.shardId !== S0);
    expect(lastParent).toBe(7);
    expect(firstChild).toBe(8);
    // per key: parent record then child record
    for (const k of low) {
      const seen = got.filter((r) => r.partitionKey === k).map((r) => r.message.body.toString());
      expect(seen).toEqual([`p:${k}`, `c:${k}`]);
    }
    b.stream.close();
  });

  it('a tailing reader moves from a split parent to its children and from merged parents to the child', async () => {
    const { stream } = await openStream({ shardCount: 2 });
    const got: StreamRecordView[] = [];
    const reader = stream.subscribe({ start: 'next', onRecord: (r) => got.push(r) });
    await stream.put(msg('before', 'a'));
    await drain();
    const [c1, c2] = await stream.splitShard(S0, (2n ** 126n).toString());
    await stream.put(msg('after-split', 'a')); // MD5("a") < 2^126 → first child
    await drain();
    expect(got.map((r) => [r.message.body.toString(), r.shardId])).toEqual([['before', S0], ['after-split', c1]]);
    const merged = await stream.mergeShards(c2!, S1);
    await stream.put(msg('after-merge', 'abc')); // MD5("abc") in S1's range → merged child
    await drain();
    expect(got.map((r) => r.shardId).at(-1)).toBe(merged);
    expect(reader.position.get(S0)).toBeGreaterThan(1);
    expect([...reader.position.keys()].sort()).toEqual([S0, S1, S2, S3, merged].sort());
    stream.close();
  });

  it('onShardEnd reports the end of a closed shard once fully delivered', async () => {
    const { stream } = await openStream();
    await stream.put(msg('x', 'a'));
    const ends: Array<[string, number | null]> = [];
    stream.subscribe({ start: 'first', onRecord: () => undefined, onShardEnd: (id, last) => ends.push([id, last]) });
    await drain();
    expect(ends).toEqual([]);
    await stream.splitShard(S0, HALF.toString());
    await drain();
    expect(ends).toEqual([[S0, 1]]);
    stream.close();
  });
});
