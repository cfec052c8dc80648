/**
 * A stream with Kinesis semantics: N shards over the 128-bit MD5 hash key space, a stream-wide
 * sequence counter (so per-shard order is strict), immutable durable records, shard iterators,
 * split/merge with lineage, retention trimming, push readers and consumer groups.
 *
 * Every record is persisted: `put` resolves after the store committed it. Readers only ever see
 * records once they and every earlier put have settled (see CommitOrder), so nothing is skipped.
 */
import { BrokerError } from '../errors.js';
import type { Clock, TimerHandle } from '../clock.js';
import { messageSize, type Message } from '../message.js';
import { silentLogger, type Logger } from '../../log.js';
import type { ShardRecord, Store, StreamRecord } from '../store.js';
import { CommitOrder, type PendingCommit } from './commit-order.js';
import { ConsumerGroup, type GroupHost } from './consumer-group.js';
import { md5HashKey, mergeRanges, parseHashKey, splitRange, type HashRange } from './hash-range.js';
import { decodeIterator, encodeIterator, isSeq, validateLimit, validateStartPosition } from './iterators.js';
import { cloneMessage, copyView, viewOf } from './records.js';
import type { ShardState } from './shard-state.js';
import { ShardTable, findLastRecordSeq, initialShards } from './shard-table.js';
import { parseStreamAttributes, type StreamAttributes } from './stream-attributes.js';
import { StreamReaderImpl, type ReaderHost } from './stream-reader.js';
import type {
  GetRecordsResult, GroupMember, JoinGroupOptions, PutOptions, PutResult, ShardInfo, StartPosition, StreamDeps, StreamReader,
  StreamRecordView, StreamStats, SubscribeOptions,
} from './types.js';

export type { GetRecordsResult, PutOptions, PutResult, StreamDeps } from './types.js';

/** How often the retention trim runs while the stream is open. */
export const TRIM_INTERVAL_MS = 60_000;
export const MAX_OPEN_SHARDS = 1024;
/** Kinesis: partition keys are 1..256 characters. */
export const MAX_PARTITION_KEY_LENGTH = 256;
export const MAX_GROUP_NAME_LENGTH = 256;

interface PendingPut {
  view: StreamRecordView;
  bytes: number;
}

export class Stream {
  readonly name: string;
  private attrs: StreamAttributes;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly shards: ShardTable;
  /** Closed shards whose endingSeq is above the watermark: their readers are woken when it passes. */
  private readonly closingShards = new Set<ShardState>();
  private seq: number;
  private readonly commits: CommitOrder<PendingPut>;
  private readonly readers = new Set<StreamReaderImpl>();
  private readonly groups = new Map<string, ConsumerGroup>();
  private readonly host: ReaderHost & GroupHost;
  private trimTimer: TimerHandle | null = null;
  private lastArrivedAt = 0;
  private appended = 0;
  private isClosed = false;

  /** Open (or create) the stream: creates its initial shards if none are stored; resumes the seq counter. */
  static async open(deps: StreamDeps): Promise<Stream> {
    const attributes = parseStreamAttributes(deps.name, { ...deps.attributes });
    const logger = (deps.logger ?? silentLogger).child({ component: 'stream', stream: deps.name });
    let records = await deps.store.loadShards(deps.name);
    const maxSeq = await deps.store.maxStreamSeq(deps.name);
    if (records.length === 0) {
      records = initialShards(deps.name, attributes.shardCount, maxSeq + 1, deps.clock.now());
      await Promise.all(records.map((r) => deps.store.putShard(r)));
      logger.info({ shards: records.length }, 'stream shards created');
    }
    const stream = new Stream(deps, attributes, logger, records, maxSeq);
    stream.scheduleTrim();
    return stream;
  }

  private constructor(deps: StreamDeps, attributes: StreamAttributes, logger: Logger, records: ShardRecord[], maxSeq: number) {
    this.name = deps.name;
    this.attrs = attributes;
    this.store = deps.store;
    this.clock = deps.clock;
    this.logger = logger;
    let seq = maxSeq;
    for (const r of records) seq = Math.max(seq, r.endingSeq ?? 0, r.startingSeq - 1);
    this.seq = seq;
    this.commits = new CommitOrder<PendingPut>(seq);
    this.shards = new ShardTable(this.name, records, seq + 1);
    this.host = {
      name: this.name, store: this.store, clock: this.clock, logger: this.logger,
      watermark: () => this.commits.watermark,
      lastSeq: () => this.seq,
      shard: (id) => this.shards.get(id),
      allShards: () => this.shards.list,
      readCommitted: (id, fromSeq, limit) => this.readCommitted(id, fromSeq, limit),
      lastRecordSeq: (id) => this.lastRecordSeq(id),
      seqAtTimestamp: (id, timestamp) => this.store.seqAtTimestamp(this.name, id, timestamp),
      detachReader: (reader) => { this.readers.delete(reader); },
      openReader: (opts) => this.openReader(opts),
    };
  }

  get attributes(): StreamAttributes {
    return { ...this.attrs };
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Change retentionHours / maxRecordBytes (validated like parseStreamAttributes). shardCount cannot
   * change here (split or merge shards instead). Persisting the attributes is the caller's job.
   */
  updateAttributes(input: Record<string, unknown>): StreamAttributes {
    const next = parseStreamAttributes(this.name, { ...this.attrs, ...input });
    if (next.shardCount !== this.attrs.shardCount) {
      throw new BrokerError('INVALID_ATTRIBUTE', `stream ${this.name}: attribute 'shardCount' cannot change; split or merge shards`);
    }
    this.attrs = next;
    return { ...next };
  }

  /** Append a record; resolves once the store committed it. */
  async put(message: Message, opts: PutOptions = {}): Promise<PutResult> {
    this.assertOpen();
    const partitionKey = opts.partitionKey ?? message.partitionKey;
    if (typeof partitionKey !== 'string' || partitionKey.length === 0 || partitionKey.length > MAX_PARTITION_KEY_LENGTH) {
      throw new BrokerError('INVALID_ARGUMENT', `stream ${this.name}: a partition key of 1..${MAX_PARTITION_KEY_LENGTH} characters is required`);
    }
    const hashKey = opts.explicitHashKey !== undefined ? parseHashKey(opts.explicitHashKey) : md5HashKey(partitionKey);
    const bytes = messageSize(message) + Buffer.byteLength(partitionKey);
    if (bytes > this.attrs.maxRecordBytes) {
      throw new BrokerError('MESSAGE_TOO_LARGE', `stream ${this.name}: record of ${bytes} bytes exceeds maxRecordBytes ${this.attrs.maxRecordBytes}`);
    }
    // Routing and seq assignment happen synchronously, so a split cannot interleave with them.
    const shard = this.shards.route(hashKey);
    const seq = ++this.seq;
    const arrivedAt = (this.lastArrivedAt = Math.max(this.lastArrivedAt, this.clock.now()));
    const stored = cloneMessage(message);
    stored.partitionKey = partitionKey;
    const rec: StreamRecord = { stream: this.name, shardId: shard.id, seq, partitionKey, arrivedAt, message: stored };
    const entry = this.commits.begin(seq, { view: viewOf(rec), bytes });
    try {
      await this.store.appendRecord(rec);
    } catch (err) {
      this.logger.error({ err, shardId: shard.id, seq }, 'stream append failed');
      this.settle(entry, false);
      throw err;
    }
    this.settle(entry, true);
    return { shardId: shard.id, seq, sequenceNumber: String(seq) };
  }

  listShards(): ShardInfo[] {
    return this.shards.list.map((s) => s.info());
  }

  /** A Kinesis shard iterator (opaque, valid for 5 minutes). */
  async getIterator(shardId: string, position: StartPosition): Promise<string> {
    this.assertOpen();
    const p = validateStartPosition(position);
    const shard = this.requireShard(shardId);
    const { startingSeq, endingSeq } = shard.rec;
    let nextSeq: number;
    let minArrivedAt: number | null = null;
    switch (p.type) {
      case 'TRIM_HORIZON':
        nextSeq = startingSeq;
        break;
      case 'LATEST':
        nextSeq = endingSeq !== null ? endingSeq + 1 : Math.max(startingSeq, this.commits.watermark + 1);
        break;
      case 'AT_SEQUENCE_NUMBER':
      case 'AFTER_SEQUENCE_NUMBER':
        if (p.seq > this.seq) throw new BrokerError('INVALID_ARGUMENT', `sequence number ${p.seq} has not been assigned in stream ${this.name}`);
        nextSeq = p.type === 'AT_SEQUENCE_NUMBER' ? p.seq : p.seq + 1;
        break;
      case 'AT_TIMESTAMP': {
        const watermark = this.commits.watermark;
        const at = await this.store.seqAtTimestamp(this.name, shardId, p.timestamp);
        nextSeq = at ?? Math.max(startingSeq, watermark + 1);
        minArrivedAt = p.timestamp;
        break;
      }
    }
    return encodeIterator({ stream: this.name, shardId, nextSeq, issuedAt: this.clock.now(), minArrivedAt });
  }

  async getRecords(iterator: string, limit?: number): Promise<GetRecordsResult> {
    this.assertOpen();
    const now = this.clock.now();
    const it = decodeIterator(iterator, this.name, now);
    const max = validateLimit(limit);
    const shard = this.shards.get(it.shardId);
    if (!shard) throw new BrokerError('ITERATOR_INVALID', `stream ${this.name} has no shard ${it.shardId}`);
    if (shard.rec.endingSeq !== null && it.nextSeq > shard.rec.endingSeq) return { records: [], nextIterator: null, millisBehindLatest: 0 };
    const watermark = this.commits.watermark;
    const rows = await this.readCommitted(shard.id, it.nextSeq, max);
    let nextSeq = it.nextSeq;
    let minArrivedAt = it.minArrivedAt;
    const records: StreamRecordView[] = [];
    for (const r of rows) {
      nextSeq = r.seq + 1;
      if (minArrivedAt !== null) {
        if (r.arrivedAt < minArrivedAt) continue;
        minArrivedAt = null;
      }
      records.push(copyView(r));
    }
    const exhausted = rows.length < max;
    const endingSeq = shard.rec.endingSeq;
    const ended = endingSeq !== null && (nextSeq > endingSeq || (exhausted && watermark >= endingSeq));
    const last = rows[rows.length - 1];
    return {
      records,
      nextIterator: ended ? null : encodeIterator({ stream: this.name, shardId: shard.id, nextSeq, issuedAt: now, minArrivedAt }),
      millisBehindLatest: exhausted || last === undefined ? 0 : Math.max(0, now - last.arrivedAt),
    };
  }

  /** Committed records of one shard with seq >= fromSeq, ascending, at most `limit`. */
  async read(shardId: string, fromSeq: number, limit: number): Promise<StreamRecordView[]> {
    this.assertOpen();
    this.requireShard(shardId);
    if (!isSeq(fromSeq)) throw new BrokerError('INVALID_ARGUMENT', 'fromSeq must be a non-negative integer');
    const max = validateLimit(limit);
    return (await this.readCommitted(shardId, fromSeq, max)).map(copyView);
  }

  /** Split an open shard at `newStartingHashKey`: the parent closes, two children take its range. */
  async splitShard(shardId: string, newStartingHashKey: string): Promise<[string, string]> {
    this.assertOpen();
    const parent = this.requireOpenShard(shardId);
    const [low, high] = splitRange(parent.range, parseHashKey(newStartingHashKey, 'newStartingHashKey'));
    if (this.shards.open.length >= MAX_OPEN_SHARDS) {
      throw new BrokerError('SHARD_INVALID', `stream ${this.name} already has ${MAX_OPEN_SHARDS} open shards`);
    }
    const [a, b] = await this.reshard([parent], [low, high]);
    if (a === undefined || b === undefined) throw new Error('split produced no children');
    return [a, b];
  }

  /** Merge two open shards with adjacent ranges into one child; both parents close. */
  async mergeShards(shardId: string, adjacentShardId: string): Promise<string> {
    this.assertOpen();
    if (shardId === adjacentShardId) throw new BrokerError('SHARD_INVALID', 'cannot merge a shard with itself');
    const parent = this.requireOpenShard(shardId);
    const adjacent = this.requireOpenShard(adjacentShardId);
    const [child] = await this.reshard([parent, adjacent], [mergeRanges(parent.range, adjacent.range)]);
    if (child === undefined) throw new Error('merge produced no child');
    return child;
  }

  /** Push reader over all shards (or `opts.shards`), following the tail; parents before children. */
  subscribe(opts: SubscribeOptions): StreamReader {
    this.assertOpen();
    return this.openReader(opts);
  }

  /** Join consumer group `group` as `memberId`; resolves once the member has its first assignment. */
  async joinGroup(group: string, memberId: string, opts: JoinGroupOptions): Promise<GroupMember> {
    this.assertOpen();
    for (const [what, v] of [['group', group], ['memberId', memberId]] as const) {
      if (typeof v !== 'string' || v.length === 0 || v.length > MAX_GROUP_NAME_LENGTH) {
        throw new BrokerError('INVALID_ARGUMENT', `${what} must be a string of 1..${MAX_GROUP_NAME_LENGTH} characters`);
      }
    }
    if (typeof opts.onRecord !== 'function') throw new BrokerError('INVALID_ARGUMENT', 'joinGroup needs an onRecord callback');
    if (opts.start !== undefined && !['first', 'last', 'next'].includes(opts.start)) {
      throw new BrokerError('INVALID_ARGUMENT', `group start must be first, last or next, got ${JSON.stringify(opts.start)}`);
    }
    let g = this.groups.get(group);
    if (!g) this.groups.set(group, (g = new ConsumerGroup(this.host, group)));
    return g.join(memberId, opts);
  }

  /** Delete records older than the retention period; resolves to how many were removed. */
  async trim(): Promise<number> {
    this.assertOpen();
    const cutoff = this.clock.now() - this.attrs.retentionHours * 3_600_000;
    const removed = await this.store.trimRecords(this.name, cutoff);
    for (const s of this.shards.list) s.trimmed(cutoff);
    if (removed > 0) {
      this.logger.info({ removed, cutoff }, 'stream records trimmed');
      for (const g of this.groups.values()) g.shardsChanged();
    }
    return removed;
  }

  stats(): StreamStats {
    let groups = 0;
    for (const g of this.groups.values()) if (g.memberCount > 0) groups++;
    return {
      shards: this.shards.list.length,
      openShards: this.shards.open.length,
      records: this.appended,
      lastSeq: this.seq,
      readers: this.readers.size,
      groups,
    };
  }

  /** Stop timers, readers and groups. Puts in flight still settle; the store stays open. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.trimTimer?.cancel();
    this.trimTimer = null;
    for (const g of this.groups.values()) g.dispose();
    for (const r of [...this.readers]) r.close();
    this.logger.debug('stream closed');
  }

  private assertOpen(): void {
    if (this.isClosed) throw new BrokerError('STORE_CLOSED', `stream ${this.name} is closed`);
  }

  private requireShard(shardId: string): ShardState {
    const s = typeof shardId === 'string' ? this.shards.get(shardId) : undefined;
    if (!s) throw new BrokerError('SHARD_INVALID', `stream ${this.name} has no shard ${String(shardId)}`);
    return s;
  }

  private requireOpenShard(shardId: string): ShardState {
    const s = this.requireShard(shardId);
    if (!s.open) throw new BrokerError('SHARD_INVALID', `shard ${shardId} of stream ${this.name} is closed`);
    return s;
  }

  private settle(entry: PendingCommit<PendingPut>, ok: boolean): void {
    const visible = this.commits.settle(entry, ok);
    const touched = new Set<ShardState>();
    for (const p of visible) {
      const s = this.shards.get(p.view.shardId);
      if (!s) continue;
      s.committed(p.view, p.bytes);
      this.appended++;
      touched.add(s);
    }
    const watermark = this.commits.watermark;
    for (const s of this.closingShards) {
      if ((s.rec.endingSeq ?? 0) <= watermark) {
        this.closingShards.delete(s);
        touched.add(s);
      }
    }
    for (const s of touched) s.notify();
  }

  private async readCommitted(shardId: string, fromSeq: number, limit: number): Promise<StreamRecordView[]> {
    const shard = this.requireShard(shardId);
    const watermark = this.commits.watermark;
    const cached = shard.readTail(fromSeq, limit);
    if (cached) return cached;
    const rows = await this.store.readRecords(this.name, shardId, fromSeq, limit);
    const out: StreamRecordView[] = [];
    for (const r of rows) {
      if (r.seq > watermark) break;
      out.push(viewOf(r));
    }
    return out;
  }

  /** Seq of the last record in a shard: known after a commit, else looked up in the store once. */
  private async lastRecordSeq(shardId: string): Promise<number | null> {
    const shard = this.requireShard(shardId);
    if (!shard.lastKnown) {
      const found = await findLastRecordSeq(this.store, this.name, shard, shard.rec.endingSeq ?? this.seq);
      if (found !== null && found > shard.lastSeq) shard.lastSeq = found;
      shard.lastKnown = true;
    }
    return shard.lastSeq > 0 ? shard.lastSeq : null;
  }

  private async reshard(parents: ShardState[], ranges: HashRange[]): Promise<string[]> {
    const endingSeq = this.seq;
    const { writes, children } = this.shards.reshard(parents, ranges, endingSeq, this.clock.now());
    for (const p of parents) if (endingSeq > this.commits.watermark) this.closingShards.add(p);
    this.logger.info({ parents: parents.map((p) => p.id), children: children.map((c) => c.id), endingSeq }, parents.length > 1 ? 'shards merged' : 'shard split');
    // Wake readers waiting on the parents (they now read to the end) and let readers track the children.
    for (const p of parents) p.notify();
    for (const r of [...this.readers]) r.shardsChanged();
    try {
      await Promise.all(writes.map((w) => this.store.putShard(w)));
    } catch (err) {
      this.logger.error({ err, parents: parents.map((p) => p.id) }, 'could not persist shard lineage');
      throw err;
    }
    for (const g of this.groups.values()) g.shardsChanged();
    return children.map((c) => c.id);
  }

  private openReader(opts: SubscribeOptions): StreamReaderImpl {
    const reader = new StreamReaderImpl(this.host, opts);
    this.readers.add(reader);
    reader.begin();
    return reader;
  }

  private scheduleTrim(): void {
    this.trimTimer = this.clock.setTimer(TRIM_INTERVAL_MS, () => {
      if (this.isClosed) return;
      this.scheduleTrim();
      this.trim().catch((err: unknown) => { this.logger.error({ err }, 'retention trim failed'); });
    });
  }
}
