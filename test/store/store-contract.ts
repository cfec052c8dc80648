/**
 * The Store conformance suite. Every Store implementation runs it:
 *
 *   storeContract('sqlite', async () => ({ store, reopen, cleanup }));
 *
 * `reopen` closes the current instance and opens a new one on the same data (durable stores),
 * or returns the same instance (memory). Assertions after `reopen` are written so they hold for
 * both: for a durable store they prove the state survived, for memory they are plain round trips.
 * `cleanup` closes whatever instance is current and removes the data.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBrokerError } from '../../src/core/errors.js';
import { createMessage, type Message } from '../../src/core/message.js';
import { typed, type Value } from '../../src/core/values.js';
import type {
  CheckpointRecord, DestinationRecord, RetainedRecord, ShardRecord, Store, StoredMessage, StreamRecord, SubscriptionRecord,
} from '../../src/core/store.js';

export interface StoreHarness {
  store: Store;
  reopen: () => Promise<Store>;
  cleanup: () => Promise<void>;
}

const byKey = <T>(key: (t: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

export function richMessage(n = 1): Message {
  return createMessage(Buffer.from([0, 1, 2, 255, n & 0xff, 0x80]), {
    properties: {
      messageId: `app-${n}`, correlationId: 'corr', replyTo: 'queue://replies', contentType: 'application/octet-stream',
      contentEncoding: 'gzip', priority: 7, timestamp: 1_700_000_000_123, expiresAt: 1_800_000_000_000,
      subject: 'subj', type: 'order.created', userId: 'alice',
    },
    headers: { s: 'text é ✓', i: 42, f: -1.5, t: true, fa: false, nul: null, nan: Number.NaN, inf: Number.POSITIVE_INFINITY, empty: '' },
    persistent: false,
    groupId: 'g1',
    dedupId: 'd1',
    partitionKey: 'pk',
  });
}

/** One header of every typed value, at the edges of their ranges, plus nested lists and maps. */
export function typedHeaders(): Record<string, Value> {
  return {
    byte: typed.byte(-128), short: typed.short(32767), int: typed.int(-2147483648),
    long: typed.long(-(2n ** 63n)), longBig: typed.long(2n ** 63n - 1n), longSmall: typed.long(5),
    ubyte: typed.ubyte(255), ushort: typed.ushort(65535), uint: typed.uint(4294967295),
    ulong: typed.ulong(2n ** 64n - 1n), ulong0: typed.ulong(0),
    float: typed.float(1.5), floatNaN: typed.float(Number.NaN), double: typed.double(-0), doubleInf: typed.double(Number.NEGATIVE_INFINITY),
    decimal: typed.decimal('-12345678901234567890.000001'), timestamp: typed.timestamp(1_700_000_000_123),
    uuid: typed.uuid('0f8fad5b-d9cb-469f-a165-70867728950e'), binary: typed.binary(Buffer.from([0, 255, 1, 0x80])),
    emptyBinary: typed.binary(Buffer.alloc(0)), symbol: typed.symbol('amqp:sym'), char: typed.char('😀'),
    list: typed.list([1, 'two', typed.long(3), null, typed.list([typed.binary(Buffer.from('x'))]), typed.map({ k: typed.ubyte(1) })]),
    emptyList: typed.list([]),
    map: typed.map({ a: typed.uuid('00000000-0000-0000-0000-000000000000'), nested: typed.map({ deep: typed.list([Number.NaN, true]) }), __proto__x: 'p' }),
    plainNumber: 7, plainString: 's', plainNull: null,
  };
}

export function typedMessage(n = 1): Message {
  return createMessage(`typed ${n}`, {
    headers: typedHeaders(),
    protocol: { amqp10: { bodyKind: 'amqp-value', messageIdType: 'uuid' }, mqtt: { publishQos: 2, topic: 'a/b.c' } },
  });
}

function msg(queue: string, seq: number, over: Partial<StoredMessage> = {}): StoredMessage {
  return {
    queue, seq, id: `ID:${queue}-${seq}`, message: createMessage(`body ${queue} ${seq}`),
    enqueuedAt: 1000 + seq, availableAt: 2000 + seq, receiveCount: 0, ...over,
  };
}

function rec(stream: string, shardId: string, seq: number, arrivedAt: number): StreamRecord {
  return { stream, shardId, seq, partitionKey: `pk-${seq}`, arrivedAt, message: createMessage(`record ${seq}`) };
}

function shard(stream: string, shardId: string, over: Partial<ShardRecord> = {}): ShardRecord {
  return {
    stream, shardId, parentShardId: null, adjacentParentShardId: null, hashKeyStart: '0',
    hashKeyEnd: '340282366920938463463374607431768211455', startingSeq: 1, endingSeq: null, createdAt: 5, ...over,
  };
}

const seqs = (ms: StoredMessage[]) => ms.map((m) => m.seq);
const bodies = (ms: StoredMessage[]) => ms.map((m) => m.message.body.toString());

export function storeContract(name: string, make: () => Promise<StoreHarness>): void {
  describe(`Store contract: ${name}`, () => {
    let h: StoreHarness;
    let store: Store;
    beforeEach(async () => {
      h = await make();
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
    });
    const reopen = async (): Promise<Store> => (store = await h.reopen());

    describe('destinations', () => {
      const q: DestinationRecord = { kind: 'queue', name: 'orders', attributes: { visibilityTimeout: 30, fifo: false, tags: { a: 'b' } }, createdAt: 11 };
      const t: DestinationRecord = { kind: 'topic', name: 'orders', attributes: {}, createdAt: 12 };
      const s: DestinationRecord = { kind: 'stream', name: 'clicks', attributes: { shards: 2 }, createdAt: 13 };

      it('round-trips, keeps kinds apart, upserts and survives reopen', async () => {
        await Promise.all([store.putDestination(q), store.putDestination(t), store.putDestination(s)]);
        await store.putDestination({ ...q, attributes: { visibilityTimeout: 60 } });
        await reopen();
        const got = (await store.loadDestinations()).sort(byKey((d) => `${d.kind}:${d.name}`));
        expect(got).toEqual([{ ...q, attributes: { visibilityTimeout: 60 } }, s, t].sort(byKey((d) => `${d.kind}:${d.name}`)));
      });

      it('deleteDestination removes only that kind and name', async () => {
        await Promise.all([store.putDestination(q), store.putDestination(t), store.putDestination(s)]);
        await store.deleteDestination('queue', 'orders');
        await store.deleteDestination('queue', 'never-existed');
        await reopen();
        expect((await store.loadDestinations()).map((d) => `${d.kind}:${d.name}`).sort()).toEqual(['stream:clicks', 'topic:orders']);
      });

      it('deleteDestination(queue) cascades to its messages and dedup window only', async () => {
        await store.putDestination(q);
        await Promise.all([store.putMessage(msg('orders', 1)), store.putMessage(msg('orders', 2)), store.putMessage(msg('other', 1))]);
        await store.putDedup({ scope: 'orders', dedupId: 'x', expiresAt: 99, messageId: 'm1' });
        await store.putDedup({ scope: 'other', dedupId: 'x', expiresAt: 99, messageId: 'm2' });
        await store.deleteDestination('queue', 'orders');
        await reopen();
        expect(await store.loadMessages('orders')).toEqual([]);
        expect(seqs(await store.loadMessages('other'))).toEqual([1]);
        expect(await store.loadDedup('orders')).toEqual([]);
        expect((await store.loadDedup('other')).length).toBe(1);
      });

      it('deleteDestination(topic) cascades to its retained message only', async () => {
        await store.putDestination(t);
        await store.putRetained({ topic: 'orders', id: 'r1', message: createMessage('a'), publishedAt: 1 });
        await store.putRetained({ topic: 'orders.eu', id: 'r2', message: createMessage('b'), publishedAt: 2 });
        await store.deleteDestination('topic', 'orders');
        await reopen();
        expect((await store.loadRetained()).map((r) => r.topic)).toEqual(['orders.eu']);
      });

      it('deleteDestination(stream) cascades to shards, records, checkpoints and the sequence', async () => {
        await store.putDestination(s);
        for (const st of ['clicks', 'views']) {
          await store.putShard(shard(st, 'shard-0'));
          await store.appendRecord(rec(st, 'shard-0', 5, 100));
          await store.putCheckpoint({ stream: st, group: 'g', shardId: 'shard-0', seq: 5, updatedAt: 1 });
        }
        await store.deleteDestination('stream', 'clicks');
        await reopen();
        expect(await store.loadShards('clicks')).toEqual([]);
        expect(await store.readRecords('clicks', 'shard-0', 0, 10)).toEqual([]);
        expect(await store.loadCheckpoints('clicks', 'g')).toEqual([]);
        expect(await store.maxStreamSeq('clicks')).toBe(0);
        expect((await store.loadShards('views')).length).toBe(1);
        expect((await store.readRecords('views', 'shard-0', 0, 10)).length).toBe(1);
        expect((await store.loadCheckpoints('views', 'g')).length).toBe(1);
        expect(await store.maxStreamSeq('views')).toBe(5);
      });

      it('a stream deleted and re-created in one batch keeps only the new sequence', async () => {
        const a = store.appendRecord(rec('clicks', 'shard-0', 50, 1));
        const d = store.deleteDestination('stream', 'clicks');
        const b = store.appendRecord(rec('clicks', 'shard-0', 3, 2));
        await Promise.all([a, d, b]);
        await reopen();
        expect(await store.maxStreamSeq('clicks')).toBe(3);
        expect((await store.readRecords('clicks', 'shard-0', 0, 10)).map((r) => r.seq)).toEqual([3]);
      });
    });

    describe('queue messages', () => {
      it('round-trips every message field', async () => {
        const m: StoredMessage = { queue: 'q', seq: 7, id: 'ID:x-7', message: richMessage(7), enqueuedAt: 123, availableAt: 456, receiveCount: 3 };
        const empty: StoredMessage = { ...msg('q', 8), message: createMessage(Buffer.alloc(0)) };
        await Promise.all([store.putMessage(m), store.putMessage(empty)]);
        await reopen();
        const got = await store.loadMessages('q');
        expect(got).toEqual([m, empty]);
        expect(Buffer.isBuffer(got[0]!.message.body)).toBe(true);
        expect(got[0]!.message.body.equals(m.message.body)).toBe(true);
        expect(got[1]!.message.body.length).toBe(0);
        expect(got[0]!.message.persistent).toBe(false);
        expect(got[1]!.message.persistent).toBe(true);
      });

      it('round-trips every typed header value (bigint, Buffer, nested lists and maps, NaN, -0) and the protocol slot', async () => {
        const m: StoredMessage = { queue: 'q', seq: 1, id: 'ID:t-1', message: typedMessage(1), enqueuedAt: 1, availableAt: 1, receiveCount: 0 };
        const r: RetainedRecord = { topic: 't.typed', id: 'ID:t-2', message: typedMessage(2), publishedAt: 5 };
        const s: StreamRecord = { ...rec('typed', 'shard-0', 1, 9), message: typedMessage(3) };
        await Promise.all([store.putMessage(m), store.putRetained(r), store.appendRecord(s)]);
        await reopen();
        const [got] = await store.loadMessages('q');
        expect(got).toEqual(m);
        const h = got!.message.headers;
        expect(h.long).toEqual({ type: 'long', value: -(2n ** 63n) });
        expect(Buffer.isBuffer((h.binary as { value: unknown }).value)).toBe(true);
        expect(Object.is((h.double as { value: number }).value, -0)).toBe(true);
        expect(Number.isNaN((h.floatNaN as { value: number }).value)).toBe(true);
        expect(Object.keys(h)).toEqual(Object.keys(m.message.headers));
        expect(await store.loadRetained()).toEqual([r]);
        expect(await store.readRecords('typed', 'shard-0', 0, 10)).toEqual([s]);
      });

      it('loads one queue ordered by seq, whatever the write order', async () => {
        await Promise.all([5, 1, 3, 2, 4].map((n) => store.putMessage(msg('q', n))));
        await store.putMessage(msg('q2', 1));
        await reopen();
        expect(seqs(await store.loadMessages('q'))).toEqual([1, 2, 3, 4, 5]);
        expect(seqs(await store.loadMessages('q2'))).toEqual([1]);
        expect(await store.loadMessages('nope')).toEqual([]);
      });

      it('putMessage on an existing seq replaces it', async () => {
        await store.putMessage(msg('q', 1));
        await store.putMessage(msg('q', 1, { id: 'ID:new', receiveCount: 2, message: createMessage('new body') }));
        await reopen();
        const got = await store.loadMessages('q');
        expect(got.map((m) => [m.id, m.receiveCount, m.message.body.toString()])).toEqual([['ID:new', 2, 'new body']]);
      });

      it('setReceiveCount updates a committed message and ignores a missing one', async () => {
        await store.putMessage(msg('q', 1));
        await store.setReceiveCount('q', 1, 4);
        await store.setReceiveCount('q', 99, 4);
        await reopen();
        const got = await store.loadMessages('q');
        expect(got.map((m) => [m.seq, m.receiveCount])).toEqual([[1, 4]]);
      });

      it('deleteMessage removes one message; purgeQueue empties one queue', async () => {
        await Promise.all([1, 2, 3].map((n) => store.putMessage(msg('q', n))));
        await store.putMessage(msg('keep', 1));
        await store.deleteMessage('q', 2);
        await store.deleteMessage('q', 42);
        await reopen();
        expect(seqs(await store.loadMessages('q'))).toEqual([1, 3]);
        await store.purgeQueue('q');
        await reopen();
        expect(await store.loadMessages('q')).toEqual([]);
        expect(seqs(await store.loadMessages('keep'))).toEqual([1]);
      });

      it('loaders see writes that were issued but not awaited', async () => {
        const writes = [store.putMessage(msg('q', 1)), store.putMessage(msg('q', 2)), store.deleteMessage('q', 1)];
        expect(seqs(await store.loadMessages('q'))).toEqual([2]);
        await Promise.all(writes);
      });

      it('many concurrent writes all resolve and land in order', async () => {
        const n = 2000;
        const writes: Array<Promise<void>> = [];
        for (let i = 1; i <= n; i++) writes.push(store.putMessage(msg('bulk', i)));
        for (let i = 2; i <= n; i += 2) writes.push(store.deleteMessage('bulk', i));
        await Promise.all(writes);
        await reopen();
        const got = await store.loadMessages('bulk');
        expect(got.length).toBe(n / 2);
        expect(got.every((m, i) => m.seq === 2 * i + 1)).toBe(true);
      });
    });

    describe('coalescing inside a batch (writes apply in call order)', () => {
      it('putMessage then deleteMessage in the same tick leaves nothing; both resolve', async () => {
        const p = store.putMessage(msg('q', 1));
        const d = store.deleteMessage('q', 1);
        const other = store.putMessage(msg('q', 2));
        await expect(Promise.all([p, d, other])).resolves.toBeDefined();
        await reopen();
        expect(seqs(await store.loadMessages('q'))).toEqual([2]);
      });

      it('setReceiveCount on a pending putMessage is applied', async () => {
        const writes = [store.putMessage(msg('q', 1)), store.setReceiveCount('q', 1, 2), store.setReceiveCount('q', 1, 3)];
        await Promise.all(writes);
        await reopen();
        expect((await store.loadMessages('q')).map((m) => m.receiveCount)).toEqual([3]);
      });

      it('put, delete, put again of the same seq keeps the second put', async () => {
        const writes = [
          store.putMessage(msg('q', 1, { message: createMessage('first') })),
          store.deleteMessage('q', 1),
          store.putMessage(msg('q', 1, { message: createMessage('second') })),
          store.setReceiveCount('q', 1, 5),
        ];
        await Promise.all(writes);
        await reopen();
        expect((await store.loadMessages('q')).map((m) => [m.message.body.toString(), m.receiveCount])).toEqual([['second', 5]]);
      });

      it('a committed message re-put and deleted in one batch is gone', async () => {
        await store.putMessage(msg('q', 1, { message: createMessage('committed') }));
        const writes = [store.putMessage(msg('q', 1, { message: createMessage('replacement') })), store.deleteMessage('q', 1)];
        await Promise.all(writes);
        await reopen();
        expect(await store.loadMessages('q')).toEqual([]);
      });

      it('purgeQueue between puts removes only the earlier ones', async () => {
        const writes = [store.putMessage(msg('q', 1)), store.purgeQueue('q'), store.putMessage(msg('q', 2)), store.setReceiveCount('q', 1, 9)];
        await Promise.all(writes);
        await reopen();
        expect((await store.loadMessages('q')).map((m) => [m.seq, m.receiveCount])).toEqual([[2, 0]]);
      });

      it('deleting a committed message and re-putting it in one batch keeps the new one', async () => {
        await store.putMessage(msg('q', 1, { message: createMessage('old') }));
        const writes = [store.deleteMessage('q', 1), store.putMessage(msg('q', 1, { message: createMessage('new') }))];
        await Promise.all(writes);
        await reopen();
        expect(bodies(await store.loadMessages('q'))).toEqual(['new']);
      });
    });

    describe('dedup windows', () => {
      it('round-trips per scope, upserts, and expireDedup drops entries with expiresAt <= now in every scope', async () => {
        await Promise.all([
          store.putDedup({ scope: 'a.fifo', dedupId: '1', expiresAt: 100, messageId: 'm1' }),
          store.putDedup({ scope: 'a.fifo', dedupId: '2', expiresAt: 200, messageId: 'm2' }),
          store.putDedup({ scope: 'b.fifo', dedupId: '1', expiresAt: 150, messageId: 'm3' }),
          store.putDedup({ scope: 'b.fifo', dedupId: '9', expiresAt: 500, messageId: 'm4' }),
        ]);
        await store.putDedup({ scope: 'a.fifo', dedupId: '2', expiresAt: 300, messageId: 'm2b' });
        await reopen();
        expect((await store.loadDedup('a.fifo')).sort(byKey((d) => d.dedupId))).toEqual([
          { scope: 'a.fifo', dedupId: '1', expiresAt: 100, messageId: 'm1' },
          { scope: 'a.fifo', dedupId: '2', expiresAt: 300, messageId: 'm2b' },
        ]);
        await store.expireDedup(150);
        await reopen();
        expect((await store.loadDedup('a.fifo')).map((d) => d.dedupId)).toEqual(['2']);
        expect((await store.loadDedup('b.fifo')).map((d) => d.dedupId)).toEqual(['9']);
        expect(await store.loadDedup('c.fifo')).toEqual([]);
      });
    });

    describe('subscriptions and retained messages', () => {
      const sub = (id: string, over: Partial<SubscriptionRecord> = {}): SubscriptionRecord => ({
        id, pattern: 'orders.>', queue: `q-${id}`, filterPolicy: '{"store":["eu"]}', createdAt: 10, attributes: { clientId: 'c1', nested: { x: [1, 2] } }, ...over,
      });

      it('subscriptions round-trip, upsert and delete', async () => {
        await Promise.all([store.putSubscription(sub('s1')), store.putSubscription(sub('s2', { filterPolicy: null, pattern: '*.created' }))]);
        await store.putSubscription(sub('s1', { queue: 'moved' }));
        await reopen();
        expect((await store.loadSubscriptions()).sort(byKey((s) => s.id))).toEqual([
          sub('s1', { queue: 'moved' }), sub('s2', { filterPolicy: null, pattern: '*.created' }),
        ]);
        await store.deleteSubscription('s1');
        await store.deleteSubscription('missing');
        await reopen();
        expect((await store.loadSubscriptions()).map((s) => s.id)).toEqual(['s2']);
      });

      it('retained messages round-trip, replace per topic and delete', async () => {
        const r1: RetainedRecord = { topic: 'a.b', id: 'ID:1', message: richMessage(1), publishedAt: 100 };
        const r2: RetainedRecord = { topic: 'a.c', id: 'ID:2', message: createMessage('c'), publishedAt: 101 };
        const r1b: RetainedRecord = { topic: 'a.b', id: 'ID:3', message: createMessage('b2'), publishedAt: 102 };
        await Promise.all([store.putRetained(r1), store.putRetained(r2)]);
        await reopen();
        expect((await store.loadRetained()).sort(byKey((r) => r.topic))).toEqual([r1, r2]);
        await store.putRetained(r1b);
        await store.deleteRetained('a.c');
        await reopen();
        expect(await store.loadRetained()).toEqual([r1b]);
      });
    });

    describe('streams', () => {
      it('shards round-trip per stream and upsert (closing a shard)', async () => {
        await Promise.all([
          store.putShard(shard('s', 'shard-0', { hashKeyEnd: '170141183460469231731687303715884105727' })),
          store.putShard(shard('s', 'shard-1', { hashKeyStart: '170141183460469231731687303715884105728', startingSeq: 1 })),
          store.putShard(shard('other', 'shard-0')),
        ]);
        await store.putShard(shard('s', 'shard-0', { hashKeyEnd: '170141183460469231731687303715884105727', endingSeq: 40 }));
        await store.putShard(shard('s', 'shard-2', { parentShardId: 'shard-0', adjacentParentShardId: 'shard-1', startingSeq: 41, createdAt: 9 }));
        await reopen();
        const got = (await store.loadShards('s')).sort(byKey((x) => x.shardId));
        expect(got).toEqual([
          shard('s', 'shard-0', { hashKeyEnd: '170141183460469231731687303715884105727', endingSeq: 40 }),
          shard('s', 'shard-1', { hashKeyStart: '170141183460469231731687303715884105728', startingSeq: 1 }),
          shard('s', 'shard-2', { parentShardId: 'shard-0', adjacentParentShardId: 'shard-1', startingSeq: 41, createdAt: 9 }),
        ]);
        expect(await store.loadShards('none')).toEqual([]);
      });

      async function seed(): Promise<StreamRecord[]> {
        // seq is stream-wide; shards interleave. arrivedAt = 10 * seq.
        const all: StreamRecord[] = [];
        for (let seq = 1; seq <= 20; seq++) all.push(rec('s', seq % 2 === 0 ? 'even' : 'odd', seq, seq * 10));
        all[0] = { ...all[0]!, message: richMessage(1) };
        await Promise.all(all.map((r) => store.appendRecord(r)));
        await store.appendRecord(rec('other', 'even', 99, 5));
        return all;
      }

      it('readRecords: one shard, seq >= fromSeq, ascending, at most limit, full round trip', async () => {
        const all = await seed();
        await reopen();
        const odd = all.filter((r) => r.shardId === 'odd');
        expect(await store.readRecords('s', 'odd', 0, 100)).toEqual(odd);
        expect((await store.readRecords('s', 'even', 7, 3)).map((r) => r.seq)).toEqual([8, 10, 12]);
        expect((await store.readRecords('s', 'even', 8, 2)).map((r) => r.seq)).toEqual([8, 10]);
        expect((await store.readRecords('s', 'even', 20, 10)).map((r) => r.seq)).toEqual([20]);
        expect(await store.readRecords('s', 'even', 21, 10)).toEqual([]);
        expect(await store.readRecords('s', 'even', 0, 0)).toEqual([]);
        expect(await store.readRecords('s', 'nope', 0, 10)).toEqual([]);
        expect((await store.readRecords('other', 'even', 0, 10)).map((r) => r.seq)).toEqual([99]);
      });

      it('readRecords sees appends that were issued but not awaited', async () => {
        const w = store.appendRecord(rec('s', 'a', 1, 1));
        expect((await store.readRecords('s', 'a', 0, 10)).map((r) => r.seq)).toEqual([1]);
        await w;
      });

      it('seqAtTimestamp: smallest seq in the shard with arrivedAt >= timestamp, or null', async () => {
        await seed();
        await reopen();
        expect(await store.seqAtTimestamp('s', 'odd', 0)).toBe(1);
        expect(await store.seqAtTimestamp('s', 'odd', 50)).toBe(5);
        expect(await store.seqAtTimestamp('s', 'odd', 51)).toBe(7);
        expect(await store.seqAtTimestamp('s', 'even', 200)).toBe(20);
        expect(await store.seqAtTimestamp('s', 'even', 201)).toBeNull();
        expect(await store.seqAtTimestamp('s', 'nope', 0)).toBeNull();
        // A clock step backwards: the answer is still the smallest qualifying seq.
        await store.appendRecord(rec('t', 'x', 1, 100));
        await store.appendRecord(rec('t', 'x', 2, 50));
        await store.appendRecord(rec('t', 'x', 3, 200));
        expect(await store.seqAtTimestamp('t', 'x', 60)).toBe(1);
        expect(await store.seqAtTimestamp('t', 'x', 150)).toBe(3);
      });

      it('maxStreamSeq: highest seq ever appended, across shards, kept after trimming', async () => {
        expect(await store.maxStreamSeq('s')).toBe(0);
        await seed();
        await reopen();
        expect(await store.maxStreamSeq('s')).toBe(20);
        expect(await store.maxStreamSeq('other')).toBe(99);
        expect(await store.trimRecords('s', 1_000_000)).toBe(20);
        await reopen();
        expect(await store.readRecords('s', 'odd', 0, 100)).toEqual([]);
        expect(await store.maxStreamSeq('s')).toBe(20);
      });

      it('trimRecords removes records with arrivedAt < olderThan and returns the count', async () => {
        await seed();
        expect(await store.trimRecords('s', 55)).toBe(5); // seq 1..5 (arrivedAt 10..50)
        expect(await store.trimRecords('s', 55)).toBe(0);
        expect(await store.trimRecords('s', 60)).toBe(0); // arrivedAt 60 is not < 60
        expect(await store.trimRecords('none', 60)).toBe(0);
        await reopen();
        expect((await store.readRecords('s', 'odd', 0, 100)).map((r) => r.seq)).toEqual([7, 9, 11, 13, 15, 17, 19]);
        expect((await store.readRecords('s', 'even', 0, 100)).map((r) => r.seq)).toEqual([6, 8, 10, 12, 14, 16, 18, 20]);
        expect((await store.readRecords('other', 'even', 0, 10)).length).toBe(1);
      });

      it('checkpoints upsert per (stream, group, shard) and load per group', async () => {
        const cp = (group: string, shardId: string, seq: number, stream = 's'): CheckpointRecord => ({ stream, group, shardId, seq, updatedAt: seq * 2 });
        await Promise.all([store.putCheckpoint(cp('g1', 'a', 5)), store.putCheckpoint(cp('g1', 'b', 6)), store.putCheckpoint(cp('g2', 'a', 7)), store.putCheckpoint(cp('g1', 'a', 1, 'other'))]);
        await store.putCheckpoint(cp('g1', 'a', 9));
        await reopen();
        expect((await store.loadCheckpoints('s', 'g1')).sort(byKey((c) => c.shardId))).toEqual([cp('g1', 'a', 9), cp('g1', 'b', 6)]);
        expect(await store.loadCheckpoints('s', 'g2')).toEqual([cp('g2', 'a', 7)]);
        expect(await store.loadCheckpoints('s', 'g3')).toEqual([]);
      });
    });

    describe('front-end state', () => {
      it('put, replace, delete per namespace; values are copied', async () => {
        const v = Buffer.from([1, 2, 3]);
        await Promise.all([store.putState('mqtt.sessions', 'c1', v), store.putState('mqtt.sessions', 'c2', Buffer.from('x')), store.putState('mqtt.qos2', 'c1', Buffer.alloc(0))]);
        v[0] = 99; // the store must have taken a copy
        await store.putState('mqtt.sessions', 'c2', Buffer.from('y'));
        await reopen();
        const got = (await store.loadState('mqtt.sessions')).sort(byKey((e) => e.key));
        expect(got.map((e) => [e.key, [...e.value]])).toEqual([['c1', [1, 2, 3]], ['c2', [...Buffer.from('y')]]]);
        expect((await store.loadState('mqtt.qos2')).map((e) => [e.key, e.value.length])).toEqual([['c1', 0]]);
        await store.deleteState('mqtt.sessions', 'c1');
        await store.deleteState('mqtt.sessions', 'missing');
        await reopen();
        expect((await store.loadState('mqtt.sessions')).map((e) => e.key)).toEqual(['c2']);
        expect(await store.loadState('empty')).toEqual([]);
      });
    });

    describe('lifecycle', () => {
      it('flush resolves once issued writes are committed', async () => {
        const w = store.putMessage(msg('q', 1));
        await store.flush();
        await expect(w).resolves.toBeUndefined();
      });

      it('close commits writes that were issued but not awaited', async () => {
        const writes = [store.putMessage(msg('q', 1)), store.putState('n', 'k', Buffer.from('v')), store.appendRecord(rec('s', 'a', 1, 1))];
        await reopen(); // durable stores: close() then open a new instance
        await Promise.all(writes);
        expect(seqs(await store.loadMessages('q'))).toEqual([1]);
        expect((await store.loadState('n')).length).toBe(1);
        expect(await store.maxStreamSeq('s')).toBe(1);
      });

      it('every write after close rejects with STORE_CLOSED', async () => {
        await store.close();
        const m = msg('q', 1);
        const writes: Array<[string, () => Promise<unknown>]> = [
          ['flush', () => store.flush()],
          ['putDestination', () => store.putDestination({ kind: 'queue', name: 'q', attributes: {}, createdAt: 1 })],
          ['deleteDestination', () => store.deleteDestination('queue', 'q')],
          ['putMessage', () => store.putMessage(m)],
          ['setReceiveCount', () => store.setReceiveCount('q', 1, 1)],
          ['deleteMessage', () => store.deleteMessage('q', 1)],
          ['purgeQueue', () => store.purgeQueue('q')],
          ['putDedup', () => store.putDedup({ scope: 'q', dedupId: 'd', expiresAt: 1, messageId: 'm' })],
          ['expireDedup', () => store.expireDedup(1)],
          ['putSubscription', () => store.putSubscription({ id: 's', pattern: 'a', queue: 'q', filterPolicy: null, createdAt: 1, attributes: {} })],
          ['deleteSubscription', () => store.deleteSubscription('s')],
          ['putRetained', () => store.putRetained({ topic: 't', id: 'i', message: createMessage('x'), publishedAt: 1 })],
          ['deleteRetained', () => store.deleteRetained('t')],
          ['putShard', () => store.putShard(shard('s', 'a'))],
          ['appendRecord', () => store.appendRecord(rec('s', 'a', 1, 1))],
          ['trimRecords', () => store.trimRecords('s', 1)],
          ['putCheckpoint', () => store.putCheckpoint({ stream: 's', group: 'g', shardId: 'a', seq: 1, updatedAt: 1 })],
          ['putState', () => store.putState('n', 'k', Buffer.from('v'))],
          ['deleteState', () => store.deleteState('n', 'k')],
        ];
        for (const [label, call] of writes) {
          const outcome = await call().then(() => 'resolved', (err: unknown) => (isBrokerError(err, 'STORE_CLOSED') ? 'STORE_CLOSED' : `other: ${String(err)}`));
          expect(`${label}: ${outcome}`).toBe(`${label}: STORE_CLOSED`);
        }
        await store.close(); // closing twice is harmless
      });
    });
  });
}
