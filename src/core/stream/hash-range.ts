/**
 * Kinesis hash-key arithmetic: a partition key is hashed with MD5, the 16-byte digest read as
 * a 128-bit big-endian unsigned integer, and the record goes to the open shard whose inclusive
 * hash key range contains it. Ranges are kept as bigint here and as decimal strings at the edges.
 */
import { createHash } from 'node:crypto';
import { BrokerError } from '../errors.js';

/** Largest hash key: 2^128 - 1. */
export const HASH_KEY_MAX = (1n << 128n) - 1n;

/** Inclusive range of hash keys. */
export interface HashRange {
  start: bigint;
  end: bigint;
}

/** MD5(partitionKey) (UTF-8) as a 128-bit big-endian unsigned integer. */
export function md5HashKey(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

/** Parse a decimal hash key in 0..2^128-1. Throws INVALID_ARGUMENT naming `what`. */
export function parseHashKey(value: unknown, what = 'explicitHashKey'): bigint {
  if (typeof value !== 'string' || !/^[0-9]{1,39}$/.test(value)) {
    throw new BrokerError('INVALID_ARGUMENT', `${what} must be a decimal integer in 0..2^128-1`);
  }
  const key = BigInt(value);
  if (key > HASH_KEY_MAX) throw new BrokerError('INVALID_ARGUMENT', `${what} must be at most 2^128-1`);
  return key;
}

/** `count` ranges of equal size tiling 0..2^128-1; the last one takes the remainder. */
export function evenRanges(count: number): HashRange[] {
  if (!Number.isInteger(count) || count < 1) throw new BrokerError('INVALID_ARGUMENT', `shard count must be a positive integer, got ${count}`);
  const size = (HASH_KEY_MAX + 1n) / BigInt(count);
  const ranges: HashRange[] = [];
  for (let i = 0; i < count; i++) {
    const start = BigInt(i) * size;
    ranges.push({ start, end: i === count - 1 ? HASH_KEY_MAX : start + size - 1n });
  }
  return ranges;
}

export function rangeContains(range: HashRange, key: bigint): boolean {
  return key >= range.start && key <= range.end;
}

/**
 * Split `range` at `newStartingHashKey`: the first child keeps [start, key-1], the second gets
 * [key, end]. The key must lie in (start, end]. Throws SHARD_INVALID.
 */
export function splitRange(range: HashRange, newStartingHashKey: bigint): [HashRange, HashRange] {
  if (newStartingHashKey <= range.start || newStartingHashKey > range.end) {
    throw new BrokerError('SHARD_INVALID', `new starting hash key ${newStartingHashKey} must be in (${range.start}, ${range.end}]`);
  }
  return [{ start: range.start, end: newStartingHashKey - 1n }, { start: newStartingHashKey, end: range.end }];
}

/** Union of two adjacent ranges (in either order). Throws SHARD_INVALID if they do not touch. */
export function mergeRanges(a: HashRange, b: HashRange): HashRange {
  if (a.end + 1n === b.start) return { start: a.start, end: b.end };
  if (b.end + 1n === a.start) return { start: b.start, end: a.end };
  throw new BrokerError('SHARD_INVALID', `hash key ranges [${a.start}, ${a.end}] and [${b.start}, ${b.end}] are not adjacent`);
}

/**
 * True when `ranges` (any order) tile 0..2^128-1 exactly: no gap, no overlap.
 * Used to check the open shards of a stream loaded from the store.
 */
export function tilesKeySpace(ranges: readonly HashRange[]): boolean {
  const sorted = [...ranges].sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : 0));
  let expected = 0n;
  for (const r of sorted) {
    if (r.start !== expected || r.end < r.start) return false;
    expected = r.end + 1n;
  }
  return expected === HASH_KEY_MAX + 1n;
}

/** Kinesis-style shard id: `shardId-000000000000`. */
export function formatShardId(index: number): string {
  return `shardId-${String(index).padStart(12, '0')}`;
}

/** The numeric index of a `shardId-NNNNNNNNNNNN` id, or null for any other id. */
export function shardIndexOf(shardId: string): number | null {
  const m = /^shardId-([0-9]{12,})$/.exec(shardId);
  return m ? Number(m[1]) : null;
}
