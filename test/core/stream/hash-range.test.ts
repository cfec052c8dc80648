import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  HASH_KEY_MAX, evenRanges, formatShardId, md5HashKey, mergeRanges, parseHashKey, shardIndexOf, splitRange, tilesKeySpace,
} from '../../../src/core/stream/hash-range.js';
import { errorCode } from './helpers.js';

describe('hash-range', () => {
  it('MD5 of a partition key as a 128-bit big-endian integer (RFC 1321 vectors)', () => {
    expect(md5HashKey('a')).toBe(BigInt('0x0cc175b9c0f1b6a831c399e269772661'));
    expect(md5HashKey('abc')).toBe(BigInt('0x900150983cd24fb0d6963f7d28e17f72'));
    expect(md5HashKey('message digest')).toBe(BigInt('0xf96b697d7cb7938d525a2f31aaf161d0'));
    expect(md5HashKey('a').toString()).toBe('16955237001963240173058271559858726497');
    // UTF-8, computed independently
    const k = 'clé-ü-🚚';
    expect(md5HashKey(k)).toBe(BigInt(`0x${createHash('md5').update(Buffer.from(k, 'utf8')).digest('hex')}`));
  });

  it('even ranges tile 0..2^128-1 like Kinesis (4 shards: 2^126 each)', () => {
    expect(HASH_KEY_MAX).toBe(2n ** 128n - 1n);
    const r4 = evenRanges(4);
    expect(r4.map((r) => [r.start.toString(), r.end.toString()])).toEqual([
      ['0', '85070591730234615865843651857942052863'],
      ['85070591730234615865843651857942052864', '170141183460469231731687303715884105727'],
      ['170141183460469231731687303715884105728', '255211775190703847597530955573826158591'],
      ['255211775190703847597530955573826158592', '340282366920938463463374607431768211455'],
    ]);
    for (const n of [1, 3, 7, 1024]) {
      const r = evenRanges(n);
      expect(r).toHaveLength(n);
      expect(tilesKeySpace(r)).toBe(true);
    }
    expect(tilesKeySpace([{ start: 0n, end: 10n }, { start: 12n, end: HASH_KEY_MAX }])).toBe(false);
    expect(tilesKeySpace([{ start: 0n, end: 10n }, { start: 10n, end: HASH_KEY_MAX }])).toBe(false);
  });

  it('split and merge arithmetic', () => {
    const whole = { start: 0n, end: HASH_KEY_MAX };
    const mid = 2n ** 127n;
    const [a, b] = splitRange(whole, mid);
    expect(a).toEqual({ start: 0n, end: mid - 1n });
    expect(b).toEqual({ start: mid, end: HASH_KEY_MAX });
    expect(mergeRanges(a, b)).toEqual(whole);
    expect(mergeRanges(b, a)).toEqual(whole);
    expect(() => splitRange(whole, 0n)).toThrow(/new starting hash key/);
    expect(() => splitRange({ start: 5n, end: 9n }, 10n)).toThrow();
    expect(splitRange({ start: 5n, end: 9n }, 9n)).toEqual([{ start: 5n, end: 8n }, { start: 9n, end: 9n }]);
    expect(() => mergeRanges({ start: 0n, end: 4n }, { start: 6n, end: 9n })).toThrow(/not adjacent/);
  });

  it('parses decimal hash keys strictly', async () => {
    expect(parseHashKey('0')).toBe(0n);
    expect(parseHashKey(HASH_KEY_MAX.toString())).toBe(HASH_KEY_MAX);
    for (const bad of ['', '-1', '1.5', '0x10', ' 1', (HASH_KEY_MAX + 1n).toString(), '9'.repeat(40)]) {
      expect(await errorCode(() => parseHashKey(bad))).toBe('INVALID_ARGUMENT');
    }
    expect(await errorCode(() => parseHashKey(12))).toBe('INVALID_ARGUMENT');
  });

  it('formats Kinesis shard ids', () => {
    expect(formatShardId(0)).toBe('shardId-000000000000');
    expect(formatShardId(17)).toBe('shardId-000000000017');
    expect(shardIndexOf('shardId-000000000017')).toBe(17);
    expect(shardIndexOf('other')).toBeNull();
  });
});
