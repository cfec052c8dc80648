/**
 * The shards of one stream: creation-ordered list, lookup by id, the open shards sorted by hash
 * range (they tile the key space) for routing, and the creation of initial and child shards.
 */
import { BrokerError } from '../errors.js';
import type { ShardRecord, Store } from '../store.js';
import { evenRanges, formatShardId, rangeContains, shardIndexOf, tilesKeySpace, type HashRange } from './hash-range.js';
import { ShardState } from './shard-state.js';

/** Initial shard records of a new stream: `count` shards evenly splitting the key space. */
export function initialShards(stream: string, count: number, startingSeq: number, createdAt: number): ShardRecord[] {
  return evenRanges(count).map((r, i): ShardRecord => ({
    stream, shardId: formatShardId(i), parentShardId: null, adjacentParentShardId: null,
    hashKeyStart: r.start.toString(), hashKeyEnd: r.end.toString(), startingSeq, endingSeq: null, createdAt,
  }));
}

export class ShardTable {
  readonly list: ShardState[] = [];
  private readonly byId = new Map<string, ShardState>();
  /** Open shards sorted by hash range start. */
  private openSorted: ShardState[] = [];
  private nextIndex = 0;

  /** `tailFrom`: first seq not yet in the store (the shards' tail caches start there). */
  constructor(private readonly stream: string, records: readonly ShardRecord[], tailFrom: number) {
    const order = (r: ShardRecord): number => shardIndexOf(r.shardId) ?? Number.MAX_SAFE_INTEGER;
    for (const r of [...records].sort((a, b) => order(a) - order(b) || a.shardId.localeCompare(b.shardId))) this.add(r, tailFrom);
    this.rebuild();
    if (!tilesKeySpace(this.openSorted.map((s) => s.range))) {
      throw new BrokerError('STORE_FAILED', `stream ${stream}: stored open shards do not cover the hash key space exactly`);
    }
  }

  get open(): readonly ShardState[] {
    return this.openSorted;
  }

  get(id: string): ShardState | undefined {
    return this.byId.get(id);
  }

  /** The open shard whose range holds `key` (binary search). */
  route(key: bigint): ShardState {
    let lo = 0;
    let hi = this.openSorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.openSorted[mid];
      if (s === undefined) break;
      if (key < s.range.start) hi = mid - 1;
      else if (key > s.range.end) lo = mid + 1;
      else if (rangeContains(s.range, key)) return s;
    }
    throw new BrokerError('STORE_FAILED', `stream ${this.stream}: no open shard for hash key ${key}`);
  }

  /**
   * Close `parents` at `endingSeq` and create one child per range (lineage: parentShardId is the
   * first parent, adjacentParentShardId the second). Returns the records to persist and the children.
   */
  reshard(parents: readonly ShardState[], ranges: readonly HashRange[], endingSeq: number, createdAt: number): { writes: ShardRecord[]; children: ShardState[] } {
    const writes: ShardRecord[] = [];
    for (const p of parents) {
      p.rec = { ...p.rec, endingSeq };
      writes.push(p.rec);
    }
    const children = ranges.map((r) => {
      const rec: ShardRecord = {
        stream: this.stream, shardId: formatShardId(this.nextIndex), parentShardId: parents[0]?.id ?? null,
        adjacentParentShardId: parents[1]?.id ?? null, hashKeyStart: r.start.toString(), hashKeyEnd: r.end.toString(),
        startingSeq: endingSeq + 1, endingSeq: null, createdAt,
      };
      writes.push(rec);
      return this.add(rec, endingSeq + 1);
    });
    this.rebuild();
    return { writes, children };
  }

  private add(rec: ShardRecord, tailFrom: number): ShardState {
    const s = new ShardState(rec, tailFrom);
    this.list.push(s);
    this.byId.set(rec.shardId, s);
    const idx = shardIndexOf(rec.shardId);
    if (idx !== null && idx >= this.nextIndex) this.nextIndex = idx + 1;
    return s;
  }

  private rebuild(): void {
    this.openSorted = this.list.filter((s) => s.open).sort((a, b) => (a.range.start < b.range.start ? -1 : 1));
  }
}

/**
 * Seq of the last record stored in `shard` with seq <= top, or null: a binary search using
 * "first record at or after seq" reads (log2(top) store reads, no full scan).
 */
export async function findLastRecordSeq(store: Store, stream: string, shard: ShardState, top: number): Promise<number | null> {
  const firstAtOrAfter = async (seq: number): Promise<number | null> => (await store.readRecords(stream, shard.id, seq, 1))[0]?.seq ?? null;
  let best = await firstAtOrAfter(shard.rec.startingSeq);
  if (best === null || best > top) return null;
  let lo = best + 1;
  let hi = top;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const found = await firstAtOrAfter(mid);
    if (found !== null && found <= top) {
      best = found;
      lo = found + 1;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}
