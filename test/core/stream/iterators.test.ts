import { describe, expect, it } from 'vitest';
import { ITERATOR_TTL_MS, decodeIterator, encodeIterator } from '../../../src/core/stream/iterators.js';
import { bodies, errorCode, msg, openStream } from './helpers.js';

const S0 = 'shardId-000000000000';

async function fiveRecordsOneMinuteApart() {
  const f = await openStream();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    times.push(f.clock.now());
    await f.stream.put(msg(`r${i}`, 'k'));
    f.clock.advance(60_000);
  }
  return { ...f, times };
}

describe('shard iterators', () => {
  it('TRIM_HORIZON reads from the oldest record, in limits, then keeps returning an iterator on an open shard', async () => {
    const { stream } = await fiveRecordsOneMinuteApart();
    const it0 = await stream.getIterator(S0, { type: 'TRIM_HORIZON' });
    const a = await stream.getRecords(it0, 2);
    expect(bodies(a.records)).toEqual(['r0', 'r1']);
    expect(a.records.map((r) => r.sequenceNumber)).toEqual(['1', '2']);
    expect(a.millisBehindLatest).toBeGreaterThan(0);
    const b = await stream.getRecords(a.nextIterator!);
    expect(bodies(b.records)).toEqual(['r2', 'r3', 'r4']);
    expect(b.millisBehindLatest).toBe(0);
    const c = await stream.getRecords(b.nextIterator!);
    expect(c.records).toEqual([]);
    expect(c.nextIterator).not.toBeNull();
    await stream.put(msg('r5', 'k'));
    expect(bodies((await stream.getRecords(c.nextIterator!)).records)).toEqual(['r5']);
    stream.close();
  });

  it('LATEST only sees records put after the iterator was issued', async () => {
    const { stream } = await fiveRecordsOneMinuteApart();
    const it = await stream.getIterator(S0, { type: 'LATEST' });
    expect((await stream.getRecords(it)).records).toEqual([]);
    await stream.put(msg('new', 'k'));
    expect(bodies((await stream.getRecords(it)).records)).toEqual(['new']);
    stream.close();
  });

  it('AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER', async () => {
    const { stream } = await fiveRecordsOneMinuteApart();
    expect(bodies((await stream.getRecords(await stream.getIterator(S0, { type: 'AT_SEQUENCE_NUMBER', seq: 3 }))).records)).toEqual(['r2', 'r3', 'r4']);
    expect(bodies((await stream.getRecords(await stream.getIterator(S0, { type: 'AFTER_SEQUENCE_NUMBER', seq: 3 }))).records)).toEqual(['r3', 'r4']);
    expect(bodies((await stream.getRecords(await stream.getIterator(S0, { type: 'AFTER_SEQUENCE_NUMBER', seq: 5 }))).records)).toEqual([]);
    expect(await errorCode(stream.getIterator(S0, { type: 'AT_SEQUENCE_NUMBER', seq: 6 }))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(stream.getIterator(S0, { type: 'AT_SEQUENCE_NUMBER', seq: -1 }))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(stream.getIterator(S0, { type: 'BOGUS' } as never))).toBe('INVALID_ARGUMENT');
    expect(await errorCode(stream.getIterator('shardId-000000000009', { type: 'LATEST' }))).toBe('SHARD_INVALID');
    stream.close();
  });

  it('AT_TIMESTAMP starts at the first record that arrived at or after the time', async () => {
    const { stream, times, clock } = await fiveRecordsOneMinuteApart();
    const at = async (timestamp: number) => bodies((await stream.getRecords(await stream.getIterator(S0, { type: 'AT_TIMESTAMP', timestamp }))).records);
    expect(await at(times[2]!)).toEqual(['r2', 'r3', 'r4']);
    expect(await at(times[2]! + 1)).toEqual(['r3', 'r4']);
    expect(await at(times[0]! - 3_600_000)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    // a future timestamp: nothing now, and later records only once they arrive at or after it
    const future = await stream.getIterator(S0, { type: 'AT_TIMESTAMP', timestamp: clock.now() + 30_000 });
    await stream.put(msg('too-early', 'k'));
    clock.advance(30_000);
    await stream.put(msg('on-time', 'k'));
    expect(bodies((await stream.getRecords(future)).records)).toEqual(['on-time']);
    stream.close();
  });

  it('iterators expire after 5 minutes; every GetRecords returns a fresh one', async () => {
    const { stream, clock } = await fiveRecordsOneMinuteApart();
    const it = await stream.getIterator(S0, { type: 'TRIM_HORIZON' });
    clock.advance(ITERATOR_TTL_MS);
    const r = await stream.getRecords(it, 1);
    expect(bodies(r.records)).toEqual(['r0']);
    clock.advance(ITERATOR_TTL_MS);
    expect(bodies((await stream.getRecords(r.nextIterator!, 1)).records)).toEqual(['r1']);
    clock.advance(1);
    expect(await errorCode(stream.getRecords(it))).toBe('ITERATOR_INVALID');
    stream.close();
  });

  it('rejects malformed, foreign and tampered iterators, and bad limits', async () => {
    const { stream, clock } = await fiveRecordsOneMinuteApart();
    expect(await errorCode(stream.getRecords('not an iterator'))).toBe('ITERATOR_INVALID');
    expect(await errorCode(stream.getRecords(''))).toBe('ITERATOR_INVALID');
    expect(await errorCode(stream.getRecords(Buffer.from('[1,2,3]').toString('base64url')))).toBe('ITERATOR_INVALID');
    const foreign = encodeIterator({ stream: 'other', shardId: S0, nextSeq: 1, issuedAt: clock.now(), minArrivedAt: null });
    expect(await errorCode(stream.getRecords(foreign))).toBe('ITERATOR_INVALID');
    const noShard = encodeIterator({ stream: stream.name, shardId: 'shardId-000000000042', nextSeq: 1, issuedAt: clock.now(), minArrivedAt: null });
    expect(await errorCode(stream.getRecords(noShard))).toBe('ITERATOR_INVALID');
    const it = await stream.getIterator(S0, { type: 'TRIM_HORIZON' });
    expect(decodeIterator(it, stream.name, clock.now())).toMatchObject({ shardId: S0, nextSeq: 1 });
    for (const limit of [0, 10_001, 1.5]) expect(await errorCode(stream.getRecords(it, limit))).toBe('INVALID_ARGUMENT');
    expect((await stream.getRecords(it, 10_000)).records).toHaveLength(5);
    stream.close();
  });

  it('a closed shard ends with a null nextIterator once fully read', async () => {
    const { stream } = await fiveRecordsOneMinuteApart();
    const it = await stream.getIterator(S0, { type: 'TRIM_HORIZON' });
    await stream.splitShard(S0, (2n ** 127n).toString());
    const a = await stream.getRecords(it, 3);
    expect(bodies(a.records)).toEqual(['r0', 'r1', 'r2']);
    expect(a.nextIterator).not.toBeNull();
    const b = await stream.getRecords(a.nextIterator!, 3);
    expect(bodies(b.records)).toEqual(['r3', 'r4']);
    expect(b.nextIterator).toBeNull();
    const latest = await stream.getRecords(await stream.getIterator(S0, { type: 'LATEST' }));
    expect(latest).toEqual({ records: [], nextIterator: null, millisBehindLatest: 0 });
    stream.close();
  });
});
