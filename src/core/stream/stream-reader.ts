/**
 * Push reader over a stream: one cursor per shard, each reading history from the store in
 * batches and then following the tail (woken by commits, never polling). A child shard is only
 * started once all of its parents have been read to their end, so per-key order survives
 * splits and merges. `pause()` is honoured between records.
 */
import { BrokerError } from '../errors.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../../log.js';
import { isSeq } from './iterators.js';
import { copyView } from './records.js';
import type { ShardState } from './shard-state.js';
import type { StreamReader, StreamRecordView, SubscribeOptions, SubscribeStart } from './types.js';

/** Records fetched from the store per read while catching up. */
export const READ_BATCH = 500;
/** Delay before retrying after a failed store read. */
export const READ_RETRY_MS = 1000;

/** What a reader needs from its stream. */
export interface ReaderHost {
  readonly name: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Every put with seq <= watermark has settled. */
  watermark(): number;
  shard(id: string): ShardState | undefined;
  /** All shards, in creation order. */
  allShards(): readonly ShardState[];
  /** Committed records of a shard with seq >= fromSeq, ascending, at most `limit` (shared views). */
  readCommitted(shardId: string, fromSeq: number, limit: number): Promise<StreamRecordView[]>;
  /** Seq of the last record in the shard, or null if it has none. */
  lastRecordSeq(shardId: string): Promise<number | null>;
  seqAtTimestamp(shardId: string, timestamp: number): Promise<number | null>;
  detachReader(reader: StreamReaderImpl): void;
}

type Phase = 'pending' | 'starting' | 'active' | 'done';

interface Cursor {
  shardId: string;
  /** The shard existed when the reader subscribed (the start option applies to it). */
  initial: boolean;
  phase: Phase;
  nextSeq: number;
  minArrivedAt: number | null;
  lastDelivered: number | null;
  running: boolean;
  cancelWait: (() => void) | null;
  retry: TimerHandle | null;
}

/** Check a SubscribeStart received from outside. Throws INVALID_ARGUMENT. */
export function validateSubscribeStart(start: unknown): SubscribeStart {
  if (start === 'first' || start === 'last' || start === 'next') return start;
  if (typeof start === 'object' && start !== null) {
    const s = start as Record<string, unknown>;
    if ('seq' in s && isSeq(s.seq)) return { seq: s.seq };
    if ('timestamp' in s && typeof s.timestamp === 'number' && Number.isFinite(s.timestamp)) return { timestamp: s.timestamp };
  }
  throw new BrokerError('INVALID_ARGUMENT', `invalid stream start ${JSON.stringify(start)}: use first, last, next, { seq } or { timestamp }`);
}

export class StreamReaderImpl implements StreamReader {
  private readonly cursors = new Map<string, Cursor>();
  private readonly only: ReadonlySet<string> | null;
  private readonly start: SubscribeStart;
  /** Watermark when subscribing: 'next' starts after it. */
  private readonly subscribedAt: number;
  private isPaused = false;
  private isClosed = false;

  constructor(private readonly host: ReaderHost, private readonly opts: SubscribeOptions) {
    this.start = validateSubscribeStart(opts.start);
    if (opts.shards !== undefined) {
      for (const id of opts.shards) {
        if (!host.shard(id)) throw new BrokerError('SHARD_INVALID', `stream ${host.name} has no shard ${id}`);
      }
      this.only = new Set(opts.shards);
    } else {
      this.only = null;
    }
    this.subscribedAt = host.watermark();
    for (const s of host.allShards()) {
      if (this.tracks(s.id)) this.cursors.set(s.id, newCursor(s.id, true));
    }
  }

  /** Begin reading (called by the stream once the reader is registered). */
  begin(): void {
    this.evaluate();
  }

  get paused(): boolean {
    return this.isPaused;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get position(): Map<string, number> {
    const out = new Map<string, number>();
    for (const c of this.cursors.values()) if (c.phase === 'active' || c.phase === 'done') out.set(c.shardId, c.nextSeq);
    return out;
  }

  pause(): void {
    this.isPaused = true;
  }

  resume(): void {
    if (!this.isPaused || this.isClosed) return;
    this.isPaused = false;
    for (const c of this.cursors.values()) if (c.phase === 'active') void this.pump(c);
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const c of this.cursors.values()) {
      c.cancelWait?.();
      c.cancelWait = null;
      c.retry?.cancel();
      c.retry = null;
    }
    this.host.detachReader(this);
  }

  /** The stream's shards changed (split/merge): track new shards and start those now ready. */
  shardsChanged(): void {
    if (this.isClosed) return;
    for (const s of this.host.allShards()) {
      if (!this.cursors.has(s.id) && this.tracks(s.id)) this.cursors.set(s.id, newCursor(s.id, false));
    }
    this.evaluate();
  }

  private tracks(shardId: string): boolean {
    return this.only === null || this.only.has(shardId);
  }

  /** Start every pending cursor whose (tracked) parents are all done. */
  private evaluate(): void {
    if (this.isClosed) return;
    for (const c of this.cursors.values()) {
      if (c.phase !== 'pending') continue;
      const shard = this.host.shard(c.shardId);
      if (!shard) continue;
      const ready = shard.parents.every((p) => {
        const pc = this.cursors.get(p);
        return pc === undefined || pc.phase === 'done';
      });
      if (ready) this.startCursor(c);
    }
  }

  private startCursor(c: Cursor): void {
    c.phase = 'starting';
    this.resolveStart(c).then(
      (pos) => {
        if (this.isClosed || c.phase !== 'starting') return;
        if (pos === null) {
          this.finish(c);
          return;
        }
        c.nextSeq = pos.nextSeq;
        c.minArrivedAt = pos.minArrivedAt;
        c.phase = 'active';
        void this.pump(c);
      },
      (err: unknown) => {
        this.host.logger.error({ err, stream: this.host.name, shardId: c.shardId }, 'stream reader could not resolve its start position; retrying');
        if (this.isClosed) return;
        c.phase = 'pending';
        c.retry = this.host.clock.setTimer(READ_RETRY_MS, () => {
          c.retry = null;
          this.evaluate();
        });
      },
    );
  }

  /** Where a cursor starts, or null if the shard has nothing for this reader. */
  private async resolveStart(c: Cursor): Promise<{ nextSeq: number; minArrivedAt: number | null } | null> {
    const shard = this.host.shard(c.shardId);
    if (!shard) return null;
    const { startingSeq, endingSeq } = shard.rec;
    const start = this.start;
    const minArrivedAt = typeof start === 'object' && 'timestamp' in start ? start.timestamp : null;
    const bounded = (nextSeq: number): { nextSeq: number; minArrivedAt: number | null } | null =>
      (endingSeq !== null && nextSeq > endingSeq ? null : { nextSeq, minArrivedAt });
    if (!c.initial || start === 'first') return { nextSeq: startingSeq, minArrivedAt };
    if (start === 'next') return bounded(Math.max(startingSeq, this.subscribedAt + 1));
    if (start === 'last') {
      if (endingSeq !== null) return null;
      const last = await this.host.lastRecordSeq(c.shardId);
      return { nextSeq: last ?? startingSeq, minArrivedAt: null };
    }
    if ('seq' in start) return bounded(Math.max(startingSeq, start.seq));
    const watermark = this.host.watermark();
    const at = await this.host.seqAtTimestamp(c.shardId, start.timestamp);
    return { nextSeq: at ?? Math.max(startingSeq, watermark + 1), minArrivedAt };
  }

  private async pump(c: Cursor): Promise<void> {
    if (c.running) return;
    c.running = true;
    c.cancelWait?.();
    c.cancelWait = null;
    try {
      while (!this.isClosed && !this.isPaused && c.phase === 'active') {
        const shard = this.host.shard(c.shardId);
        if (!shard) {
          this.finish(c);
          break;
        }
        if (shard.rec.endingSeq !== null && c.nextSeq > shard.rec.endingSeq) {
          this.finish(c);
          break;
        }
        // Capture before reading: a commit that lands while the read is in flight changes one of these.
        const watermark = this.host.watermark();
        const version = shard.version;
        const batch = await this.host.readCommitted(c.shardId, c.nextSeq, READ_BATCH);
        if (this.isClosed || c.phase !== 'active') break;
        if (batch.length === 0) {
          if (shard.version !== version) continue;
          const endingSeq = shard.rec.endingSeq;
          if (endingSeq !== null) {
            // Closed: the read was conclusive only if every record up to endingSeq had settled before it.
            if (watermark >= endingSeq) {
              this.finish(c);
              break;
            }
            if (this.host.watermark() >= endingSeq) continue;
          }
          c.cancelWait = shard.onChange(() => {
            c.cancelWait = null;
            void this.pump(c);
          });
          break;
        }
        for (const view of batch) {
          if (this.isClosed || this.isPaused || c.phase !== 'active') break;
          if (view.seq < c.nextSeq) continue;
          c.nextSeq = view.seq + 1;
          if (c.minArrivedAt !== null) {
            if (view.arrivedAt < c.minArrivedAt) continue;
            c.minArrivedAt = null;
          }
          this.deliver(c, view);
        }
      }
    } catch (err) {
      this.host.logger.error({ err, stream: this.host.name, shardId: c.shardId, nextSeq: c.nextSeq }, 'stream reader failed to read; retrying');
      if (!this.isClosed) {
        c.retry = this.host.clock.setTimer(READ_RETRY_MS, () => {
          c.retry = null;
          void this.pump(c);
        });
      }
    } finally {
      c.running = false;
    }
  }

  private deliver(c: Cursor, view: StreamRecordView): void {
    c.lastDelivered = view.seq;
    try {
      this.opts.onRecord(copyView(view));
    } catch (err) {
      this.host.logger.error({ err, stream: this.host.name, shardId: c.shardId, seq: view.seq }, 'stream reader onRecord threw; continuing');
    }
  }

  private finish(c: Cursor): void {
    if (c.phase === 'done') return;
    c.phase = 'done';
    c.cancelWait?.();
    c.cancelWait = null;
    const shard = this.host.shard(c.shardId);
    if (shard && !shard.open && this.opts.onShardEnd) {
      try {
        this.opts.onShardEnd(c.shardId, c.lastDelivered);
      } catch (err) {
        this.host.logger.error({ err, stream: this.host.name, shardId: c.shardId }, 'stream reader onShardEnd threw');
      }
    }
    this.evaluate();
  }
}

function newCursor(shardId: string, initial: boolean): Cursor {
  return { shardId, initial, phase: 'pending', nextSeq: 0, minArrivedAt: null, lastDelivered: null, running: false, cancelWait: null, retry: null };
}
