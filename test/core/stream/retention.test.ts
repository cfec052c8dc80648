import { describe, expect, it } from 'vitest';
import { TRIM_INTERVAL_MS } from '../../../src/core/stream/stream.js';
import { bodies, drain, msg, openStream } from './helpers.js';

const S0 = 'shardId-000000000000';
const HOUR = 3_600_000;

describe('retention', () => {
  it('trims records older than retentionHours on the minute timer (ManualClock)', async () => {
    const { stream, clock, store } = await openStream();
    await stream.put(msg('r0', 'k'));
    clock.advance(2 * HOUR);
    await stream.put(msg('r1', 'k'));
    clock.advance(22 * HOUR - 1000); // r0 is 24 h - 1 s old: kept
    await drain();
    expect(bodies(await stream.read(S0, 0, 10))).toEqual(['r0', 'r1']);
    clock.advance(2 * TRIM_INTERVAL_MS); // r0 is now older than 24 h and a trim tick has fired since
    await drain();
    expect((await store.readRecords('orders.events', S0, 0, 10)).map((r) => r.message.body.toString())).toEqual(['r1']);
    expect(bodies(await stream.read(S0, 0, 10))).toEqual(['r1']);
    const it = await stream.getIterator(S0, { type: 'TRIM_HORIZON' });
    expect(bodies((await stream.getRecords(it)).records)).toEqual(['r1']);
    const got: string[] = [];
    stream.subscribe({ start: 'first', onRecord: (r) => got.push(r.message.body.toString()) });
    await drain();
    expect(got).toEqual(['r1']);
    // the seq counter is not affected by trimming
    expect((await stream.put(msg('r2', 'k'))).seq).toBe(3);
    stream.close();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('trim() reports how many records it removed and honours a longer retention', async () => {
    const f = await openStream({ retentionHours: 48 }, 'other');
    expect(await f.stream.trim()).toBe(0);
    for (let i = 0; i < 3; i++) await f.stream.put(msg(`r${i}`, 'k'));
    f.clock.advance(30 * HOUR);
    expect(await f.stream.trim()).toBe(0);
    f.clock.advance(18 * HOUR + 1);
    expect(await f.stream.trim()).toBe(3);
    expect(await f.stream.read(S0, 0, 10)).toEqual([]);
    f.stream.close();
  });

  it('a parent whose records were all trimmed no longer blocks its children in a group', async () => {
    const { stream, clock } = await openStream();
    await stream.put(msg('old', 'a'));
    await stream.splitShard(S0, (2n ** 127n).toString());
    const m = await stream.joinGroup('g', 'm', { onRecord: () => undefined, start: 'first' });
    const shardsBefore = m.shards;
    clock.advance(25 * HOUR);
    await drain();
    // the member read the parent record but never checkpointed it; trimming removes it
    expect(shardsBefore).toEqual([S0]);
    expect(m.shards).toEqual(['shardId-000000000001', 'shardId-000000000002']);
    stream.close();
  });
});
