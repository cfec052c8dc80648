import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { createMessage } from '../../../src/core/message.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { Stream } from '../../../src/core/stream/stream.js';
import { bodies, errorCode, msg, openStream } from './helpers.js';

/** Independent routing oracle: shard i of n owns [i*floor(2^128/n), ...]; the last shard takes the rest. */
function expectedShard(key: string, n: number): string {
  const h = BigInt(`0x${createHash('md5').update(key, 'utf8').digest('hex')}`);
  const size = 2n ** 128n / BigInt(n);
  const idx = Math.min(Number(h / size), n - 1);
  return `shardId-${String(idx).padStart(12, '0')}`;
}

describe('Stream basics', () => {
  it('creates evenly split shards with Kinesis ids', async () => {
    const { stream, store } = await openStream({ shardCount: 4 });
    const shards = stream.listShards();
    expect(shards.map((s) => s.shardId)).toEqual(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002', 'shardId-000000000003']);
    expect(shards[0]).toEqual({
      shardId: 'shardId-000000000000', parentShardId: null, adjacentParentShardId: null,
      hashKeyRange: { start: '0', end: '85070591730234615865843651857942052863' },
      sequenceNumberRange: { start: '1', end: null }, open: true,
    });
    expect(shards[3]?.hashKeyRange.end).toBe('340282366920938463463374607431768211455');
    expect(await store.loadShards('orders.events')).toHaveLength(4);
    stream.close();
  });

  it('routes by MD5(partition key): known vectors and an independent oracle', async () => {
    const { stream } = await openStream({ shardCount: 4 });
    // MD5("a") = 0cc175b9... (top bits 00) → shard 0; MD5("abc") = 90015098... (10) → shard 2;
    // MD5("hello") = 5d41402a... (01) → shard 1; MD5("message digest") = f96b697d... (11) → shard 3.
    expect((await stream.put(msg('1', 'a'))).shardId).toBe('shardId-000000000000');
    expect((await stream.put(msg('2', 'abc'))).shardId).toBe('shardId-000000000002');
    expect((await stream.put(msg('3', 'hello'))).shardId).toBe('shardId-000000000001');
    expect((await stream.put(msg('4', 'message digest'))).shardId).toBe('shardId-000000000003');
    for (let i = 0; i < 200; i++) {
      const key = `truck_${i}`;
      expect((await stream.put(msg('x', key))).shardId).toBe(expectedShard(key, 4));
    }
    stream.close();
    // a shard count that does not divide 2^128: remainder goes to the last shard
    const odd = await openStream({ shardCount: 7 }, 'odd');
    for (let i = 0; i < 100; i++) expect((await odd.stream.put(msg('x', `k${i}`))).shardId).toBe(expectedShard(`k${i}`, 7));
    odd.stream.close();
  });

  it('an explicit hash key overrides MD5 routing', async () => {
    const { stream } = await openStream({ shardCount: 4 });
    const quarter = 2n ** 126n;
    expect((await stream.put(msg('x', 'a'), { explicitHashKey: (quarter * 3n).toString() })).shardId).toBe('shardId-000000000003');
    expect((await stream.put(msg('x', 'a'), { explicitHashKey: (quarter - 1n).toString() })).shardId).toBe('shardId-000000000000');
    expect((await stream.put(msg('x', 'a'), { explicitHashKey: quarter.toString() })).shardId).toBe('shardId-000000000001');
    expect(await errorCode(stream.put(msg('x', 'a'), { explicitHashKey: '-5' }))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(stream.put(msg('x', 'a'), { explicitHashKey: (2n ** 128n).toString() }))).toBe('INVALID_ARGUMENT');
    stream.close();
  });

  it('requires a partition key (option or message field)', async () => {
    const { stream } = await openStream();
    expect(await errorCode(stream.put(msg('x')))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(stream.put(msg('x', '')))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(stream.put(msg('x', 'k'.repeat(257))))).toBe('INVALID_ARGUMENT');
    const r = await stream.put(msg('x'), { partitionKey: 'from-option' });
    const [rec] = await stream.read(r.shardId, r.seq, 1);
    expect(rec?.partitionKey).toBe('from-option');
    expect(rec?.message.partitionKey).toBe('from-option');
    stream.close();
  });

  it('assigns a stream-wide sequence counter: unique, strictly increasing per shard, decimal string too', async () => {
    const { stream } = await openStream({ shardCount: 4 });
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => stream.put(msg(`m${i}`, `k${i % 13}`))));
    expect(results.map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    for (const r of results) expect(r.sequenceNumber).toBe(String(r.seq));
    for (const s of stream.listShards()) {
      const recs = await stream.read(s.shardId, 0, 1000);
      for (let i = 1; i < recs.length; i++) expect(recs[i]!.seq).toBeGreaterThan(recs[i - 1]!.seq);
      expect(recs.every((r) => r.shardId === s.shardId)).toBe(true);
    }
    // same key → same shard → order preserved
    const k3 = results.filter((_, i) => i % 13 === 3);
    expect(new Set(k3.map((r) => r.shardId)).size).toBe(1);
    expect(bodies(await stream.read(k3[0]!.shardId, 0, 1000)).filter((b) => [3, 16, 29].map((n) => `m${n}`).includes(b))).toEqual(['m3', 'm16', 'm29']);
    expect(stream.stats()).toMatchObject({ shards: 4, openShards: 4, records: 100, lastSeq: 100 });
    stream.close();
  });

  it('records are immutable: producer and consumer mutations change nothing stored', async () => {
    const { stream } = await openStream();
    const m = createMessage(Buffer.from('original'), { headers: { h: 'v' }, properties: { messageId: 'id-1', contentType: 'text/plain' }, partitionKey: 'pk' });
    const r = await stream.put(m);
    m.body.write('MUTATED!');
    m.headers.h = 'changed';
    m.properties.messageId = 'changed';
    const [first] = await stream.read(r.shardId, 1, 10);
    expect(first?.message.body.toString()).toBe('original');
    expect(first?.message.headers).toEqual({ h: 'v' });
    expect(first?.message.properties).toEqual({ messageId: 'id-1', contentType: 'text/plain' });
    expect(first?.message.persistent).toBe(true);
    first!.message.body.write('CONSUMER');
    first!.message.headers.h = 'consumer';
    const [again] = await stream.read(r.shardId, 1, 10);
    expect(again?.message.body.toString()).toBe('original');
    expect(again?.message.headers.h).toBe('v');
    expect(again).toEqual({ ...first, message: { ...first!.message, body: Buffer.from('original'), headers: { h: 'v' } } });
    stream.close();
  });

  it('enforces maxRecordBytes (body + headers + partition key)', async () => {
    const { stream } = await openStream({ maxRecordBytes: 100 });
    await stream.put(msg('x'.repeat(98), 'pk')); // 98 + 2 = 100
    expect(await errorCode(stream.put(msg('x'.repeat(99), 'pk')))).toBe('MESSAGE_TOO_LARGE');
    expect(await errorCode(stream.put(msg('x'.repeat(90), 'pk', { header: 'y'.repeat(10) })))).toBe('MESSAGE_TOO_LARGE');
    expect(stream.stats().lastSeq).toBe(1);
    const big = await openStream({}, 'big');
    await big.stream.put(createMessage(Buffer.alloc(1024 * 1024 - 2), { partitionKey: 'pk' }));
    expect(await errorCode(big.stream.put(createMessage(Buffer.alloc(1024 * 1024), { partitionKey: 'pk' })))).toBe('MESSAGE_TOO_LARGE');
    stream.close();
    big.stream.close();
  });

  it('reopen after close keeps the seq counter, the shards and the records', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const first = await openStream({ shardCount: 2 }, 's', { store, clock });
    for (let i = 0; i < 5; i++) await first.stream.put(msg(`m${i}`, `k${i}`));
    const shardId = first.stream.listShards()[0]!.shardId;
    const [c1, c2] = await first.stream.splitShard(shardId, (2n ** 126n).toString());
    first.stream.close();
    expect(await errorCode(first.stream.put(msg('late', 'k')))).toBe('STORE_CLOSED');

    // attributes asking for 8 shards do not matter once shards exist
    const second = await openStream({ shardCount: 8 }, 's', { store, clock });
    expect(second.stream.listShards()).toEqual(first.stream.listShards());
    expect(second.stream.listShards().map((s) => s.shardId)).toEqual(['shardId-000000000000', 'shardId-000000000001', c1, c2]);
    const r = await second.stream.put(msg('after', 'k0'));
    expect(r.seq).toBe(6);
    expect(second.stream.stats()).toMatchObject({ shards: 4, openShards: 3, lastSeq: 6, records: 1 });
    const all = (await Promise.all(second.stream.listShards().map((s) => second.stream.read(s.shardId, 0, 100)))).flat();
    expect(all.map((x) => x.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    // a further split continues the shard id sequence
    const [c3] = await second.stream.splitShard(c2!, (2n ** 126n + 5n).toString());
    expect(c3).toBe('shardId-000000000004');
    second.stream.close();
  });

  it('the seq counter survives even when no record was ever stored after a split', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const a = await openStream({}, 's', { store, clock });
    await a.stream.put(msg('x', 'k'));
    await a.stream.splitShard('shardId-000000000000', '1000');
    a.stream.close();
    const b = await Stream.open({ name: 's', attributes: a.stream.attributes, store, clock });
    expect((await b.put(msg('y', 'k'))).seq).toBe(2);
    b.close();
  });

  it('rejects a stored shard map that does not tile the key space', async () => {
    const store = new MemoryStore();
    await store.putShard({ stream: 'bad', shardId: 'shardId-000000000000', parentShardId: null, adjacentParentShardId: null, hashKeyStart: '0', hashKeyEnd: '100', startingSeq: 1, endingSeq: null, createdAt: 0 });
    expect(await errorCode(Stream.open({ name: 'bad', attributes: { shardCount: 1, retentionHours: 24, maxRecordBytes: 10 }, store, clock: new ManualClock() }))).toBe('STORE_FAILED');
  });

  it('updates retention and record size but not the shard count', async () => {
    const { stream } = await openStream();
    expect(stream.updateAttributes({ retentionHours: 48 })).toEqual({ shardCount: 1, retentionHours: 48, maxRecordBytes: 1048576 });
    expect(stream.attributes.retentionHours).toBe(48);
    expect(await errorCode(() => stream.updateAttributes({ shardCount: 2 }))).toBe('INVALID_ATTRIBUTE');
    expect(await errorCode(() => stream.updateAttributes({ retentionHours: 1 }))).toBe('INVALID_ATTRIBUTE');
    stream.close();
  });

  it('a failed store append rejects the put and does not block later records', async () => {
    const { stream, store } = await openStream();
    const original = store.appendRecord.bind(store);
    let fail = true;
    store.appendRecord = (rec) => (fail ? Promise.reject(new Error('disk full')) : original(rec));
    await expect(stream.put(msg('lost', 'k'))).rejects.toThrow('disk full');
    fail = false;
    const ok = await stream.put(msg('kept', 'k'));
    expect(ok.seq).toBe(2);
    expect(bodies(await stream.read(ok.shardId, 0, 10))).toEqual(['kept']);
    stream.close();
  });
});
