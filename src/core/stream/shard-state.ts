/**
 * In-memory state of one shard: its stored record (lineage, ranges, seq range), a bounded cache
 * of its most recently committed records (so readers following the tail do not hit the store on
 * every put) and the readers waiting for its next commit.
 */
import type { ShardRecord } from '../store.js';
import type { HashRange } from './hash-range.js';
import type { ShardInfo, StreamRecordView } from './types.js';

/** Tail cache bounds per shard. */
export const TAIL_MAX_RECORDS = 1000;
export const TAIL_MAX_BYTES = 4 * 1024 * 1024;

interface TailEntry {
  view: StreamRecordView;
  bytes: number;
}

export class ShardState {
  rec: ShardRecord;
  readonly range: HashRange;
  /**
   * Highest seq committed in this shard that this process knows of (0 if none known).
   * `lastKnown` is true once it is exact (a commit happened since open, or it was looked up).
   */
  lastSeq = 0;
  lastKnown = false;
  /** Bumped on every commit to this shard: a reader whose read raced a commit sees it changed. */
  version = 0;
  /** The cache holds every committed record of this shard with seq >= tailFrom. */
  private tailFrom: number;
  private tail: TailEntry[] = [];
  private tailHead = 0;
  private tailBytes = 0;
  private waiters = new Set<() => void>();

  constructor(rec: ShardRecord, tailFrom: number) {
    this.rec = rec;
    this.range = { start: BigInt(rec.hashKeyStart), end: BigInt(rec.hashKeyEnd) };
    this.tailFrom = tailFrom;
  }

  get id(): string {
    return this.rec.shardId;
  }

  get open(): boolean {
    return this.rec.endingSeq === null;
  }

  get parents(): string[] {
    const p: string[] = [];
    if (this.rec.parentShardId !== null) p.push(this.rec.parentShardId);
    if (this.rec.adjacentParentShardId !== null) p.push(this.rec.adjacentParentShardId);
    return p;
  }

  info(): ShardInfo {
    return {
      shardId: this.rec.shardId,
      parentShardId: this.rec.parentShardId,
      adjacentParentShardId: this.rec.adjacentParentShardId,
      hashKeyRange: { start: this.rec.hashKeyStart, end: this.rec.hashKeyEnd },
      sequenceNumberRange: {
        start: String(this.rec.startingSeq),
        end: this.rec.endingSeq === null ? null : String(this.rec.endingSeq),
      },
      open: this.open,
    };
  }

  /** A record of this shard became visible (called in seq order). */
  committed(view: StreamRecordView, bytes: number): void {
    if (view.seq > this.lastSeq) this.lastSeq = view.seq;
    this.lastKnown = true;
    this.version++;
    this.tail.push({ view, bytes });
    this.tailBytes += bytes;
    while (this.tail.length - this.tailHead > TAIL_MAX_RECORDS || (this.tailBytes > TAIL_MAX_BYTES && this.tail.length - this.tailHead > 1)) {
      this.evictHead();
    }
    this.compact();
  }

  /** Drop cached records that arrived before `cutoff` (they were trimmed from the store). */
  trimmed(cutoff: number): void {
    for (;;) {
      const e = this.tail[this.tailHead];
      if (e === undefined || e.view.arrivedAt >= cutoff) break;
      this.evictHead();
    }
    this.compact();
  }

  /**
   * Up to `limit` cached records with seq >= fromSeq, or null when the cache cannot answer
   * (fromSeq is older than the cache) and the store must be read. The views are shared: copy before handing out.
   */
  readTail(fromSeq: number, limit: number): StreamRecordView[] | null {
    if (fromSeq < this.tailFrom) return null;
    let lo = this.tailHead;
    let hi = this.tail.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.tail[mid];
      if (e !== undefined && e.view.seq < fromSeq) lo = mid + 1;
      else hi = mid;
    }
    const out: StreamRecordView[] = [];
    for (let i = lo; i < this.tail.length && out.length < limit; i++) {
      const e = this.tail[i];
      if (e !== undefined) out.push(e.view);
    }
    return out;
  }

  /** Register a one-shot callback for the next commit (or close) of this shard. Returns a canceller. */
  onChange(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => { this.waiters.delete(fn); };
  }

  notify(): void {
    if (this.waiters.size === 0) return;
    const fns = [...this.waiters];
    this.waiters.clear();
    for (const fn of fns) fn();
  }

  private evictHead(): void {
    const e = this.tail[this.tailHead];
    if (e === undefined) return;
    this.tailHead++;
    this.tailBytes -= e.bytes;
    this.tailFrom = e.view.seq + 1;
  }

  private compact(): void {
    if (this.tailHead > 256 && this.tailHead * 2 > this.tail.length) {
      this.tail = this.tail.slice(this.tailHead);
      this.tailHead = 0;
    }
  }
}
