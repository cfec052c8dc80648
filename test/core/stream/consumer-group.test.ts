import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import type { StreamRecordView } from '../../../src/core/stream/types.js';
import { drain, errorCode, keysPerShard, msg, openStream } from './helpers.js';

const S0 = 'shardId-000000000000';
const S1 = 'shardId-000000000001';
const S2 = 'shardId-000000000002';
const HALF = 2n ** 127n;
const shardOf4 = (k: string): number => Number(BigInt(`0x${createHash('md5').update(k).digest('hex')}`) >> 126n);

function collector() {
  const records: StreamRecordView[] = [];
  const assignments: string[][] = [];
  return {
    records,
    assignments,
    opts: { onRecord: (r: StreamRecordView) => records.push(r), onAssignment: (s: string[]) => assignments.push(s) },
  };
}

describe('consumer groups', () => {
  it('resumes after the durable checkpoint on a reopened stream', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const a = await openStream({}, 's', { store, clock });
    for (let i = 0; i < 5; i++) await a.stream.put(msg(`m${i}`, 'k'));
    const c1 = collector();
    const m1 = await a.stream.joinGroup('billing', 'worker-1', c1.opts);
    expect(m1.shards).toEqual([S0]);
    expect(c1.assignments).toEqual([[S0]]);
    await drain();
    expect(c1.records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    await m1.checkpoint(S0, 3);
    await m1.checkpoint(S0, 2); // never moves backwards
    expect(await store.loadCheckpoints('s', 'billing')).toMatchObject([{ shardId: S0, seq: 3 }]);
    m1.leave();
    a.stream.close();

    const b = await openStream({}, 's', { store, clock });
    await b.stream.put(msg('m5', 'k'));
    const c2 = collector();
    const m2 = await b.stream.joinGroup('billing', 'worker-2', c2.opts);
    await drain();
    expect(c2.records.map((r) => r.seq)).toEqual([4, 5, 6]);
    // another group has its own checkpoints
    const c3 = collector();
    await b.stream.joinGroup('audit', 'worker-1', c3.opts);
    await drain();
    expect(c3.records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(b.stream.stats().groups).toBe(2);
    m2.leave();
    await drain();
    expect(b.stream.stats().groups).toBe(1);
    b.stream.close();
  });

  it('two members share 4 shards 2/2 and rebalance when one leaves', async () => {
    const { stream } = await openStream({ shardCount: 4 });
    const keys = keysPerShard(4, 2, shardOf4);
    const c1 = collector();
    const c2 = collector();
    const m1 = await stream.joinGroup('g', 'm1', c1.opts);
    expect(m1.shards).toHaveLength(4);
    const m2 = await stream.joinGroup('g', 'm2', c2.opts);
    await drain();
    expect(m1.shards).toHaveLength(2);
    expect(m2.shards).toHaveLength(2);
    expect([...m1.shards, ...m2.shards].sort()).toEqual(stream.listShards().map((s) => s.shardId));
    expect(c1.assignments.at(-1)).toEqual(m1.shards);
    expect(c2.assignments).toEqual([m2.shards]);

    for (const list of keys) for (const k of list) await stream.put(msg(k, k));
    await drain();
    expect(c1.records.length + c2.records.length).toBe(8);
    expect(c1.records.every((r) => m1.shards.includes(r.shardId))).toBe(true);
    expect(c2.records.every((r) => m2.shards.includes(r.shardId))).toBe(true);
    // m1 checkpoints what it processed; m2 processed but did not checkpoint
    for (const r of c1.records) await m1.checkpoint(r.shardId, r.seq);
    const m2Shards = m2.shards;
    const m2Seqs = c2.records.map((r) => r.seq).sort((x, y) => x - y);

    const before = c1.records.length;
    m2.leave();
    await drain();
    expect(m1.shards).toHaveLength(4);
    expect(c1.assignments.at(-1)).toHaveLength(4);
    // at-least-once: m2's uncheckpointed records are redelivered to m1; m1's own checkpointed ones are not
    const redelivered = c1.records.slice(before);
    expect(redelivered.map((r) => r.seq).sort((x, y) => x - y)).toEqual(m2Seqs);
    expect(redelivered.every((r) => m2Shards.includes(r.shardId))).toBe(true);
    await stream.put(msg('later', keys[0]![0]!));
    await drain();
    expect(c1.records.at(-1)?.message.body.toString()).toBe('later');
    expect(await errorCode(m2.checkpoint(m2Shards[0]!, 1))).toBe('SHARD_INVALID');
    stream.close();
  });

  it('three members over 4 shards: 2/1/1, every shard owned exactly once', async () => {
    const { stream } = await openStream({ shardCount: 4 });
    const ms = [];
    for (const id of ['a', 'b', 'c']) ms.push(await stream.joinGroup('g', id, collector().opts));
    await drain();
    expect(ms.map((m) => m.shards.length).sort()).toEqual([1, 1, 2]);
    expect(ms.flatMap((m) => m.shards).sort()).toEqual([S0, S1, S2, 'shardId-000000000003']);
    ms[0]!.leave();
    await drain();
    expect(ms.slice(1).map((m) => m.shards.length)).toEqual([2, 2]);
    stream.close();
  });

  it('children of a split are assigned only once the parent is checkpointed to its end', async () => {
    const { stream } = await openStream();
    for (let i = 0; i < 3; i++) await stream.put(msg(`p${i}`, 'a'));
    const c = collector();
    const m = await stream.joinGroup('g', 'm', c.opts);
    await drain();
    const [low] = await stream.splitShard(S0, HALF.toString());
    await stream.put(msg('child', 'a'));
    await drain();
    expect(m.shards).toEqual([S0]);
    expect(c.records.map((r) => r.message.body.toString())).toEqual(['p0', 'p1', 'p2']);
    await m.checkpoint(S0, 2);
    await drain();
    expect(m.shards).toEqual([S0]); // record 3 is not checkpointed yet
    await m.checkpoint(S0, 3);
    await drain();
    expect(m.shards).toEqual([S1, S2]);
    expect(c.assignments.at(-1)).toEqual([S1, S2]);
    expect(c.records.map((r) => [r.message.body.toString(), r.shardId]).at(-1)).toEqual(['child', low]);
    stream.close();
  });

  it('an empty parent (or one a member started past) does not block its children', async () => {
    const { stream } = await openStream();
    const c = collector();
    const m = await stream.joinGroup('g', 'm', c.opts);
    await stream.splitShard(S0, HALF.toString());
    await drain();
    expect(m.shards).toEqual([S1, S2]);
    stream.close();

    // start 'next' with history in a closed root shard and no checkpoint: skipped, children start at their beginning
    const f = await openStream({}, 'next');
    await f.stream.put(msg('old', 'a'));
    await f.stream.splitShard(S0, HALF.toString());
    await f.stream.put(msg('new', 'a'));
    const c2 = collector();
    const m2 = await f.stream.joinGroup('g', 'm', { ...c2.opts, start: 'next' });
    await drain();
    expect(m2.shards).toEqual([S1, S2]);
    expect(c2.records.map((r) => r.message.body.toString())).toEqual(['new']);
    f.stream.close();
  });

  it('validates members and checkpoints', async () => {
    const { stream } = await openStream({ shardCount: 2 });
    await stream.put(msg('x', 'a'));
    const m = await stream.joinGroup('g', 'm', collector().opts);
    expect(await errorCode(stream.joinGroup('g', 'm', collector().opts))).toBe('ALREADY_EXISTS');
    expect(await errorCode(stream.joinGroup('', 'm', collector().opts))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(stream.joinGroup('g', 'z', { ...collector().opts, start: 'middle' as never }))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(m.checkpoint(S0, 99))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(m.checkpoint(S0, -1))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(m.checkpoint('shardId-000000000007', 1))).toBe('SHARD_INVALID');
    stream.close();
    expect(await errorCode(stream.joinGroup('g', 'n', collector().opts))).toBe('STORE_CLOSED');
  });

  it('member pause/resume applies to all of its shard readers', async () => {
    const { stream } = await openStream({ shardCount: 2 });
    const c = collector();
    const m = await stream.joinGroup('g', 'm', c.opts);
    await drain();
    m.pause();
    await stream.put(msg('x', 'a'));
    await stream.put(msg('y', 'abc'));
    await drain();
    expect(c.records).toEqual([]);
    m.resume();
    await drain();
    expect(c.records.map((r) => r.message.body.toString()).sort()).toEqual(['x', 'y']);
    stream.close();
  });
});
