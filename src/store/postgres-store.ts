/**
 * The shared durable store: PostgreSQL (the `pg` package), for an active/standby pair of brokers
 * on two hosts (leadership: ../ha/pg-advisory-leadership.ts). Same contract and semantics as the
 * embedded SqliteStore:
 *
 *  - Writes go through group commit (./group-commit.ts) with an asynchronous executor: a batch
 *    runs as one transaction on a pooled connection while the next batch fills; every caller's
 *    promise settles after COMMIT returned (./postgres/connection.ts).
 *  - The open batch is folded into its net effect per table and key (./postgres/batch.ts): put
 *    then delete of one message writes nothing for it, setReceiveCount folds into a pending put;
 *    each table then goes out as a few multi-row UNNEST statements (./postgres/statements.ts).
 *  - Arguments are checked and messages encoded (./message-codec.ts) when a write is queued, so a
 *    bad call is rejected on its own (INVALID_ARGUMENT) and later mutation of the caller's objects
 *    does not leak in.
 *  - Loaders first wait for every write already issued (the open batch and the one in flight).
 */
import { BrokerError } from '../core/errors.js';
import type { DestinationKind } from '../core/names.js';
import { silentLogger, type Logger } from '../log.js';
import { attributesJson, optNumber, reqBuffer, reqNumber } from './arg-checks.js';
import { encodeMessage } from './message-codec.js';
import { optText, reqText } from './postgres/args.js';
import { noResult, type BatchState, type Op, type Segment } from './postgres/batch.js';
import { openConnection, redactUrl, type Connection } from './postgres/connection.js';
import {
  toCheckpoint, toDedup, toDestination, toRetained, toShard, toState, toStoredMessage, toStreamRecord, toSubscription,
  type CheckpointRow, type DedupRow, type DestinationRow, type MessageRow, type RecordRow, type RetainedRow, type ShardRow,
  type StateRow, type SubscriptionRow,
} from './postgres/rows.js';
import { SCHEMA_VERSION } from './postgres/schema.js';
import { readQuery, type ReadName } from './postgres/statements.js';
import { StoreStatsTally, type StoreStats } from './store-stats.js';
import type {
  CheckpointRecord, DedupRecord, DestinationRecord, RetainedRecord, ShardRecord, Store, StoreObserver,
  StoredMessage, StreamRecord, SubscriptionRecord,
} from '../core/store.js';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database[?options=-c%20search_path%3Dschema] */
  url: string;
  logger?: Logger;
  observer?: StoreObserver;
  /** Operations per batch before it is sealed without waiting (default 2000). */
  maxBatch?: number;
  /** Longest wait between a batch's first write and its execution; 0 = next setImmediate (default 2). */
  maxDelayMs?: number;
  /** Pooled connections (writes use one at a time, loaders the rest; default 4). */
  poolSize?: number;
}

/** Counters since construction (across open/close cycles). */
export type PostgresStoreStats = StoreStats;

export interface PostgresStoreSettings {
  synchronousCommit: string;
  schemaVersion: number;
}

const KINDS: ReadonlySet<string> = new Set(['queue', 'topic', 'stream']);

export class PostgresStore implements Store {
  readonly kind = 'postgres';
  private readonly logger: Logger;
  private readonly opts: PostgresStoreOptions;
  private conn: Connection | null = null;
  private opening: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  private readonly tally = new StoreStatsTally();

  constructor(opts: PostgresStoreOptions) {
    if (typeof opts.url !== 'string' || opts.url.length === 0) throw new BrokerError('CONFIG_INVALID', 'postgres store needs a url');
    this.opts = opts;
    this.logger = (opts.logger ?? silentLogger).child({ component: 'store', store: 'postgres' });
  }

  open(): Promise<void> {
    this.opening ??= this.doOpen().finally(() => { this.opening = null; });
    return this.opening;
  }

  private async doOpen(): Promise<void> {
    if (this.closing) await this.closing;
    if (this.conn) return;
    this.conn = await openConnection({
      url: this.opts.url,
      logger: this.logger,
      observer: this.opts.observer,
      maxBatch: this.opts.maxBatch,
      maxDelayMs: this.opts.maxDelayMs,
      poolSize: this.opts.poolSize,
      onRowChanges: (n) => { this.tally.addRowChanges(n); },
    });
    this.logger.info({ url: redactUrl(this.opts.url), synchronousCommit: this.conn.synchronousCommit }, 'postgres store opened');
  }

  flush(): Promise<void> {
    if (!this.conn) return Promise.reject(new BrokerError('STORE_CLOSED'));
    return this.conn.gc.flush();
  }

  close(): Promise<void> {
    const conn = this.conn;
    if (!conn) return this.closing ?? Promise.resolve();
    this.closing ??= this.shutdown(conn).finally(() => { this.closing = null; });
    return this.closing;
  }

  private async shutdown(conn: Connection): Promise<void> {
    try {
      await conn.gc.close();
    } finally {
      this.tally.retire(conn.gc.stats);
      this.conn = null;
      await conn.pool.end();
      this.logger.info({ url: redactUrl(this.opts.url) }, 'postgres store closed');
    }
  }

  /** Counters since construction (across open/close cycles). */
  stats(): PostgresStoreStats {
    return this.tally.snapshot(this.conn?.gc.stats);
  }

  /** Effective settings, for diagnostics and tests. Throws STORE_CLOSED when not open. */
  settings(): PostgresStoreSettings {
    if (!this.conn) throw new BrokerError('STORE_CLOSED');
    return { synchronousCommit: this.conn.synchronousCommit, schemaVersion: SCHEMA_VERSION };
  }

  // ---- plumbing ----

  /**
   * Queue a write. `fold` checks every argument first, then folds the write into the open batch's
   * segment; it returns the operation's result getter (default: resolves to undefined).
   */
  private write<T = void>(fold: (seg: () => Segment, batch: BatchState) => Op | void): Promise<T> {
    const conn = this.conn;
    if (!conn || conn.gc.isClosed) return Promise.reject(new BrokerError('STORE_CLOSED'));
    let op: Op;
    try {
      const batch = conn.gc.openState();
      op = fold(() => batch.segment(), batch) ?? noResult;
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new BrokerError('INVALID_ARGUMENT', String(err)));
    }
    return conn.gc.submit<T>(op);
  }

  /** Run a read after every write already issued has committed (open batch and the one in flight). */
  private async read<R, T>(name: ReadName, values: unknown[], map: (row: R) => T): Promise<T[]> {
    const conn = await this.settled();
    let rows: R[];
    try {
      rows = (await conn.pool.query(readQuery(name, values))).rows as R[];
    } catch (err) {
      throw new BrokerError('STORE_FAILED', `${name}: ${(err as Error).message}`, { cause: err });
    }
    try {
      return rows.map(map);
    } catch (err) {
      if (err instanceof BrokerError) throw err;
      throw new BrokerError('STORE_FAILED', `${name}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The open connection once every write already issued has committed. */
  private async settled(): Promise<Connection> {
    const first = this.conn;
    if (!first || first.gc.isClosed) throw new BrokerError('STORE_CLOSED');
    await first.gc.flush();
    const conn = this.conn;
    if (!conn || conn.gc.isClosed) throw new BrokerError('STORE_CLOSED');
    return conn;
  }

  // ---- destinations ----

  loadDestinations(): Promise<DestinationRecord[]> {
    return this.read<DestinationRow, DestinationRecord>('loadDestinations', [], toDestination);
  }

  putDestination(rec: DestinationRecord): Promise<void> {
    return this.write((seg) => {
      const row = [checkKind(rec.kind), reqText('name', rec.name), attributesJson('attributes', rec.attributes), reqNumber('createdAt', rec.createdAt)];
      seg().destinations.put(row);
    });
  }

  deleteDestination(kind: DestinationKind, name: string): Promise<void> {
    return this.write((seg) => {
      checkKind(kind);
      reqText('name', name);
      seg().deleteDestination(kind, name);
    });
  }

  // ---- queue messages ----

  loadMessages(queue: string): Promise<StoredMessage[]> {
    return this.read<MessageRow, StoredMessage>('loadMessages', [queue], toStoredMessage);
  }

  putMessage(msg: StoredMessage): Promise<void> {
    return this.write((seg) => {
      const { body, meta } = encodeMessage(msg.message);
      seg().putMessage([
        reqText('queue', msg.queue), reqNumber('seq', msg.seq), reqText('id', msg.id), body, meta,
        reqNumber('enqueuedAt', msg.enqueuedAt), reqNumber('availableAt', msg.availableAt), reqNumber('receiveCount', msg.receiveCount),
      ]);
    });
  }

  setReceiveCount(queue: string, seq: number, receiveCount: number): Promise<void> {
    return this.write((seg) => {
      seg().setReceiveCount(reqText('queue', queue), reqNumber('seq', seq), reqNumber('receiveCount', receiveCount));
    });
  }

  deleteMessage(queue: string, seq: number): Promise<void> {
    return this.write((seg) => {
      seg().deleteMessage(reqText('queue', queue), reqNumber('seq', seq));
    });
  }

  purgeQueue(queue: string): Promise<void> {
    return this.write((seg) => {
      seg().purgeQueue(reqText('queue', queue));
    });
  }

  // ---- dedup ----

  loadDedup(scope: string): Promise<DedupRecord[]> {
    return this.read<DedupRow, DedupRecord>('loadDedup', [scope], toDedup);
  }

  putDedup(rec: DedupRecord): Promise<void> {
    return this.write((seg) => {
      const row = [reqText('scope', rec.scope), reqText('dedupId', rec.dedupId), reqNumber('expiresAt', rec.expiresAt), reqText('messageId', rec.messageId)];
      seg().dedup.put(row);
    });
  }

  expireDedup(now: number): Promise<void> {
    return this.write((seg) => {
      seg().expireDedup(reqNumber('now', now));
    });
  }

  // ---- subscriptions and retained ----

  loadSubscriptions(): Promise<SubscriptionRecord[]> {
    return this.read<SubscriptionRow, SubscriptionRecord>('loadSubscriptions', [], toSubscription);
  }

  putSubscription(rec: SubscriptionRecord): Promise<void> {
    return this.write((seg) => {
      const row = [
        reqText('id', rec.id), reqText('pattern', rec.pattern), reqText('queue', rec.queue), optText('filterPolicy', rec.filterPolicy),
        reqNumber('createdAt', rec.createdAt), attributesJson('attributes', rec.attributes),
      ];
      seg().subscriptions.put(row);
    });
  }

  deleteSubscription(id: string): Promise<void> {
    return this.write((seg) => {
      seg().subscriptions.del([reqText('id', id)]);
    });
  }

  loadRetained(): Promise<RetainedRecord[]> {
    return this.read<RetainedRow, RetainedRecord>('loadRetained', [], toRetained);
  }

  putRetained(rec: RetainedRecord): Promise<void> {
    return this.write((seg) => {
      const { body, meta } = encodeMessage(rec.message);
      seg().retained.put([reqText('topic', rec.topic), reqText('id', rec.id), body, meta, reqNumber('publishedAt', rec.publishedAt)]);
    });
  }

  deleteRetained(topic: string): Promise<void> {
    return this.write((seg) => {
      seg().retained.del([reqText('topic', topic)]);
    });
  }

  // ---- streams ----

  loadShards(stream: string): Promise<ShardRecord[]> {
    return this.read<ShardRow, ShardRecord>('loadShards', [stream], toShard);
  }

  putShard(rec: ShardRecord): Promise<void> {
    return this.write((seg) => {
      const row = [
        reqText('stream', rec.stream), reqText('shardId', rec.shardId), optText('parentShardId', rec.parentShardId),
        optText('adjacentParentShardId', rec.adjacentParentShardId), reqText('hashKeyStart', rec.hashKeyStart),
        reqText('hashKeyEnd', rec.hashKeyEnd), reqNumber('startingSeq', rec.startingSeq), optNumber('endingSeq', rec.endingSeq),
        reqNumber('createdAt', rec.createdAt),
      ];
      seg().shards.put(row);
    });
  }

  appendRecord(rec: StreamRecord): Promise<void> {
    return this.write((seg) => {
      const { body, meta } = encodeMessage(rec.message);
      const stream = reqText('stream', rec.stream);
      const seq = reqNumber('seq', rec.seq);
      const row = [stream, reqText('shardId', rec.shardId), seq, reqText('partitionKey', rec.partitionKey), reqNumber('arrivedAt', rec.arrivedAt), body, meta];
      seg().appendRecord(row, stream, seq);
    });
  }

  async readRecords(stream: string, shardId: string, fromSeq: number, limit: number): Promise<StreamRecord[]> {
    if (!(limit > 0)) {
      await this.settled();
      return [];
    }
    const max = Number.isFinite(limit) ? Math.floor(limit) : null; // LIMIT NULL: no limit
    return this.read<RecordRow, StreamRecord>('readRecords', [stream, shardId, fromSeq, max], toStreamRecord);
  }

  async seqAtTimestamp(stream: string, shardId: string, timestamp: number): Promise<number | null> {
    const rows = await this.read<{ seq: number | null }, number | null>('seqAtTimestamp', [stream, shardId, timestamp], (r) => r.seq);
    return rows[0] ?? null;
  }

  async maxStreamSeq(stream: string): Promise<number> {
    const rows = await this.read<{ seq: number }, number>('maxStreamSeq', [stream], (r) => r.seq);
    return rows[0] ?? 0;
  }

  trimRecords(stream: string, olderThan: number): Promise<number> {
    return this.write<number>((_seg, batch) => {
      const step = batch.trim(reqText('stream', stream), reqNumber('olderThan', olderThan));
      return () => step.removed;
    });
  }

  loadCheckpoints(stream: string, group: string): Promise<CheckpointRecord[]> {
    return this.read<CheckpointRow, CheckpointRecord>('loadCheckpoints', [stream, group], toCheckpoint);
  }

  putCheckpoint(rec: CheckpointRecord): Promise<void> {
    return this.write((seg) => {
      const row = [
        reqText('stream', rec.stream), reqText('group', rec.group), reqText('shardId', rec.shardId),
        reqNumber('seq', rec.seq), reqNumber('updatedAt', rec.updatedAt),
      ];
      seg().checkpoints.put(row);
    });
  }

  // ---- front-end state ----

  loadState(namespace: string): Promise<Array<{ key: string; value: Buffer }>> {
    return this.read<StateRow, { key: string; value: Buffer }>('loadState', [namespace], toState);
  }

  putState(namespace: string, key: string, value: Buffer): Promise<void> {
    return this.write((seg) => {
      const row = [reqText('namespace', namespace), reqText('key', key), Buffer.from(reqBuffer('value', value))];
      seg().state.put(row);
    });
  }

  deleteState(namespace: string, key: string): Promise<void> {
    return this.write((seg) => {
      seg().state.del([reqText('namespace', namespace), reqText('key', key)]);
    });
  }
}

function checkKind(kind: unknown): DestinationKind {
  if (typeof kind !== 'string' || !KINDS.has(kind)) throw new BrokerError('INVALID_ARGUMENT', `unknown destination kind ${String(kind)}`);
  return kind as DestinationKind;
}
