/**
 * The embedded durable store: one SQLite file (better-sqlite3), WAL mode, synchronous = FULL,
 * so a resolved write survives kill -9 and power loss. Writes go through group commit
 * (./group-commit.ts): many operations per transaction, one commit (fsync) per batch.
 *
 * Queue-message writes coalesce inside the open batch (./sqlite/message-ops.ts): put then delete
 * of one message writes nothing, setReceiveCount folds into a pending put. The publish → deliver
 * → ack path often fits in one batch window. Every caller's promise still settles at the commit.
 *
 * Arguments are checked and messages encoded when a write is queued, so a bad call is rejected
 * on its own (INVALID_ARGUMENT) and later mutation of the caller's objects does not leak in.
 * Loaders first commit the open batch, so they see every write already issued.
 * better-sqlite3 is synchronous: a batch executes on the event loop (rows plus one fsync),
 * bounded by maxBatch.
 */
import { BrokerError } from '../core/errors.js';
import type { DestinationKind } from '../core/names.js';
import { silentLogger, type Logger } from '../log.js';
import { attributesJson, optNumber, optString, reqBuffer, reqNumber, reqString } from './arg-checks.js';
import { encodeMessage } from './message-codec.js';
import { connectionSettings, openConnection, type Connection, type ConnectionSettings, type Op } from './sqlite/connection.js';
import { deleteMessageOp, purgeQueueOp, putMessageOp, setReceiveCountOp } from './sqlite/message-ops.js';
import {
  toCheckpoint, toDedup, toDestination, toRetained, toShard, toStoredMessage, toStreamRecord, toSubscription,
  type CheckpointRow, type DedupRow, type DestinationRow, type MessageRow, type RecordRow, type RetainedRow, type ShardRow, type SubscriptionRow,
} from './sqlite/rows.js';
import type { Statements } from './sqlite/statements.js';
import { StoreStatsTally, type StoreStats } from './store-stats.js';
import type {
  CheckpointRecord, DedupRecord, DestinationRecord, RetainedRecord, ShardRecord, Store, StoreObserver,
  StoredMessage, StreamRecord, SubscriptionRecord,
} from '../core/store.js';

export interface SqliteStoreOptions {
  /** Database file; its directory is created if missing. */
  path: string;
  logger?: Logger;
  observer?: StoreObserver;
  /** Operations per batch before it commits without waiting (default 2000). */
  maxBatch?: number;
  /** Longest wait between a batch's first write and its commit; 0 = next setImmediate (default 2). */
  maxDelayMs?: number;
  /** How long a writer waits for another connection's lock (default 5000). */
  busyTimeoutMs?: number;
}

/** Counters since construction (across open/close cycles). */
export type SqliteStoreStats = StoreStats;

const KINDS: ReadonlySet<string> = new Set(['queue', 'topic', 'stream']);

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly path: string;
  private readonly logger: Logger;
  private readonly opts: SqliteStoreOptions;
  private conn: Connection | null = null;
  private closing: Promise<void> | null = null;
  private readonly tally = new StoreStatsTally();

  constructor(opts: SqliteStoreOptions) {
    if (typeof opts.path !== 'string' || opts.path.length === 0) throw new BrokerError('CONFIG_INVALID', 'sqlite store needs a path');
    this.opts = opts;
    this.path = opts.path;
    this.logger = (opts.logger ?? silentLogger).child({ component: 'store', store: 'sqlite' });
  }

  async open(): Promise<void> {
    if (this.closing) await this.closing;
    if (this.conn) return;
    this.conn = openConnection({
      ...this.opts,
      logger: this.logger,
      onRowChanges: (n) => { this.tally.addRowChanges(n); },
    });
    this.logger.info({ path: this.path }, 'sqlite store opened');
  }

  flush(): Promise<void> {
    if (!this.conn) return Promise.reject(new BrokerError('STORE_CLOSED'));
    return this.conn.gc.flush();
  }

  close(): Promise<void> {
    const conn = this.conn;
    if (!conn) return Promise.resolve();
    this.closing ??= this.shutdown(conn).finally(() => { this.closing = null; });
    return this.closing;
  }

  private async shutdown(conn: Connection): Promise<void> {
    try {
      await conn.gc.close();
    } finally {
      this.tally.retire(conn.gc.stats);
      this.conn = null;
      conn.db.close();
      this.logger.info({ path: this.path }, 'sqlite store closed');
    }
  }

  /** Counters since construction (across open/close cycles). */
  stats(): SqliteStoreStats {
    return this.tally.snapshot(this.conn?.gc.stats);
  }

  /** Effective connection settings, for diagnostics and tests. Throws STORE_CLOSED when not open. */
  settings(): ConnectionSettings {
    if (!this.conn) throw new BrokerError('STORE_CLOSED');
    return connectionSettings(this.conn.db);
  }

  // ---- plumbing ----

  /** Queue a write: `build` checks arguments and returns the operation (it may coalesce via the batch state). */
  private write<T = void>(build: (stmts: Statements, conn: Connection) => Op): Promise<T> {
    const conn = this.conn;
    if (!conn || conn.gc.isClosed) return Promise.reject(new BrokerError('STORE_CLOSED'));
    let op: Op;
    try {
      op = build(conn.stmts, conn);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new BrokerError('INVALID_ARGUMENT', String(err)));
    }
    return conn.gc.submit<T>(op);
  }

  /** Run a read after committing every write already issued. */
  private async read<T>(fn: (stmts: Statements) => T): Promise<T> {
    const first = this.conn;
    if (!first || first.gc.isClosed) throw new BrokerError('STORE_CLOSED');
    if (first.gc.pending > 0) await first.gc.flush();
    const conn = this.conn;
    if (!conn || conn.gc.isClosed) throw new BrokerError('STORE_CLOSED');
    try {
      return fn(conn.stmts);
    } catch (err) {
      if (err instanceof BrokerError) throw err;
      throw new BrokerError('STORE_FAILED', (err as Error).message, { cause: err });
    }
  }

  // ---- destinations ----

  loadDestinations(): Promise<DestinationRecord[]> {
    return this.read((s) => (s.loadDestinations.all() as DestinationRow[]).map(toDestination));
  }

  putDestination(rec: DestinationRecord): Promise<void> {
    return this.write((s) => {
      const kind = checkKind(rec.kind);
      const name = reqString('name', rec.name);
      const attributes = attributesJson('attributes', rec.attributes);
      const createdAt = reqNumber('createdAt', rec.createdAt);
      return (b) => { b.changes += s.putDestination.run(kind, name, attributes, createdAt).changes; };
    });
  }

  deleteDestination(kind: DestinationKind, name: string): Promise<void> {
    return this.write((s, { gc }) => {
      checkKind(kind);
      reqString('name', name);
      if (kind === 'queue') gc.openState().puts.delete(name);
      return (b) => {
        let n = s.deleteDestination.run(kind, name).changes;
        // A queue's dedup window is scoped by its bare name; other kinds scope theirs themselves
        // (e.g. `topic:<name>`), so deleting a topic never touches a same-named queue's window.
        if (kind === 'queue') n += s.purgeQueue.run(name).changes + s.deleteDedupScope.run(name).changes;
        if (kind === 'topic') n += s.deleteRetainedTopic.run(name).changes;
        if (kind === 'stream') {
          b.streamMax.delete(name);
          n += s.deleteShards.run(name).changes + s.deleteRecords.run(name).changes
            + s.deleteStreamSeq.run(name).changes + s.deleteCheckpoints.run(name).changes;
        }
        b.changes += n;
      };
    });
  }

  // ---- queue messages ----

  loadMessages(queue: string): Promise<StoredMessage[]> {
    return this.read((s) => (s.loadMessages.all(queue) as MessageRow[]).map(toStoredMessage));
  }

  putMessage(msg: StoredMessage): Promise<void> {
    return this.write((s, { gc }) => putMessageOp(s, gc.openState(), msg));
  }

  setReceiveCount(queue: string, seq: number, receiveCount: number): Promise<void> {
    return this.write((s, { gc }) => setReceiveCountOp(s, gc.openState(), queue, seq, receiveCount));
  }

  deleteMessage(queue: string, seq: number): Promise<void> {
    return this.write((s, { gc }) => deleteMessageOp(s, gc.openState(), queue, seq));
  }

  purgeQueue(queue: string): Promise<void> {
    return this.write((s, { gc }) => purgeQueueOp(s, gc.openState(), queue));
  }

  // ---- dedup ----

  loadDedup(scope: string): Promise<DedupRecord[]> {
    return this.read((s) => (s.loadDedup.all(scope) as DedupRow[]).map(toDedup));
  }

  putDedup(rec: DedupRecord): Promise<void> {
    return this.write((s) => {
      const scope = reqString('scope', rec.scope);
      const dedupId = reqString('dedupId', rec.dedupId);
      const expiresAt = reqNumber('expiresAt', rec.expiresAt);
      const messageId = reqString('messageId', rec.messageId);
      return (b) => { b.changes += s.putDedup.run(scope, dedupId, expiresAt, messageId).changes; };
    });
  }

  expireDedup(now: number): Promise<void> {
    return this.write((s) => {
      reqNumber('now', now);
      return (b) => { b.changes += s.expireDedup.run(now).changes; };
    });
  }

  // ---- subscriptions and retained ----

  loadSubscriptions(): Promise<SubscriptionRecord[]> {
    return this.read((s) => (s.loadSubscriptions.all() as SubscriptionRow[]).map(toSubscription));
  }

  putSubscription(rec: SubscriptionRecord): Promise<void> {
    return this.write((s) => {
      const id = reqString('id', rec.id);
      const pattern = reqString('pattern', rec.pattern);
      const queue = reqString('queue', rec.queue);
      const filterPolicy = optString('filterPolicy', rec.filterPolicy);
      const createdAt = reqNumber('createdAt', rec.createdAt);
      const attributes = attributesJson('attributes', rec.attributes);
      return (b) => { b.changes += s.putSubscription.run(id, pattern, queue, filterPolicy, createdAt, attributes).changes; };
    });
  }

  deleteSubscription(id: string): Promise<void> {
    return this.write((s) => {
      reqString('id', id);
      return (b) => { b.changes += s.deleteSubscription.run(id).changes; };
    });
  }

  loadRetained(): Promise<RetainedRecord[]> {
    return this.read((s) => (s.loadRetained.all() as RetainedRow[]).map(toRetained));
  }

  putRetained(rec: RetainedRecord): Promise<void> {
    return this.write((s) => {
      const { body, meta } = encodeMessage(rec.message);
      const topic = reqString('topic', rec.topic);
      const id = reqString('id', rec.id);
      const publishedAt = reqNumber('publishedAt', rec.publishedAt);
      return (b) => { b.changes += s.putRetained.run(topic, id, body, meta, publishedAt).changes; };
    });
  }

  deleteRetained(topic: string): Promise<void> {
    return this.write((s) => {
      reqString('topic', topic);
      return (b) => { b.changes += s.deleteRetained.run(topic).changes; };
    });
  }

  // ---- streams ----

  loadShards(stream: string): Promise<ShardRecord[]> {
    return this.read((s) => (s.loadShards.all(stream) as ShardRow[]).map(toShard));
  }

  putShard(rec: ShardRecord): Promise<void> {
    return this.write((s) => {
      const row = [
        reqString('stream', rec.stream), reqString('shardId', rec.shardId), optString('parentShardId', rec.parentShardId),
        optString('adjacentParentShardId', rec.adjacentParentShardId), reqString('hashKeyStart', rec.hashKeyStart),
        reqString('hashKeyEnd', rec.hashKeyEnd), reqNumber('startingSeq', rec.startingSeq), optNumber('endingSeq', rec.endingSeq),
        reqNumber('createdAt', rec.createdAt),
      ];
      return (b) => { b.changes += s.putShard.run(...row).changes; };
    });
  }

  appendRecord(rec: StreamRecord): Promise<void> {
    return this.write((s) => {
      const { body, meta } = encodeMessage(rec.message);
      const stream = reqString('stream', rec.stream);
      const shardId = reqString('shardId', rec.shardId);
      const seq = reqNumber('seq', rec.seq);
      const partitionKey = reqString('partitionKey', rec.partitionKey);
      const arrivedAt = reqNumber('arrivedAt', rec.arrivedAt);
      return (b) => {
        b.changes += s.appendRecord.run(stream, shardId, seq, partitionKey, arrivedAt, body, meta).changes;
        const max = b.streamMax.get(stream);
        if (max === undefined || seq > max) b.streamMax.set(stream, seq);
      };
    });
  }

  readRecords(stream: string, shardId: string, fromSeq: number, limit: number): Promise<StreamRecord[]> {
    if (!(limit > 0)) return this.read(() => []);
    return this.read((s) => (s.readRecords.all(stream, shardId, fromSeq, Math.floor(limit)) as RecordRow[]).map(toStreamRecord));
  }

  seqAtTimestamp(stream: string, shardId: string, timestamp: number): Promise<number | null> {
    return this.read((s) => (s.seqAtTimestamp.get(stream, shardId, timestamp) as { seq: number | null }).seq);
  }

  maxStreamSeq(stream: string): Promise<number> {
    return this.read((s) => (s.maxStreamSeq.get(stream) as { seq: number } | undefined)?.seq ?? 0);
  }

  trimRecords(stream: string, olderThan: number): Promise<number> {
    return this.write<number>((s) => {
      reqString('stream', stream);
      reqNumber('olderThan', olderThan);
      return (b) => {
        let removed = 0;
        for (const { id } of s.recordShards.all({ stream }) as Array<{ id: string }>) {
          removed += s.trimShard.run(stream, id, olderThan).changes;
        }
        b.changes += removed;
        return removed;
      };
    });
  }

  loadCheckpoints(stream: string, group: string): Promise<CheckpointRecord[]> {
    return this.read((s) => (s.loadCheckpoints.all(stream, group) as CheckpointRow[]).map(toCheckpoint));
  }

  putCheckpoint(rec: CheckpointRecord): Promise<void> {
    return this.write((s) => {
      const row = [
        reqString('stream', rec.stream), reqString('group', rec.group), reqString('shardId', rec.shardId),
        reqNumber('seq', rec.seq), reqNumber('updatedAt', rec.updatedAt),
      ];
      return (b) => { b.changes += s.putCheckpoint.run(...row).changes; };
    });
  }

  // ---- front-end state ----

  loadState(namespace: string): Promise<Array<{ key: string; value: Buffer }>> {
    return this.read((s) => (s.loadState.all(namespace) as Array<{ key: string; value: Buffer }>).map((r) => ({ key: r.key, value: r.value })));
  }

  putState(namespace: string, key: string, value: Buffer): Promise<void> {
    return this.write((s) => {
      reqString('namespace', namespace);
      reqString('key', key);
      const copy = Buffer.from(reqBuffer('value', value));
      return (b) => { b.changes += s.putState.run(namespace, key, copy).changes; };
    });
  }

  deleteState(namespace: string, key: string): Promise<void> {
    return this.write((s) => {
      reqString('namespace', namespace);
      reqString('key', key);
      return (b) => { b.changes += s.deleteState.run(namespace, key).changes; };
    });
  }
}

function checkKind(kind: unknown): DestinationKind {
  if (typeof kind !== 'string' || !KINDS.has(kind)) throw new BrokerError('INVALID_ARGUMENT', `unknown destination kind ${String(kind)}`);
  return kind as DestinationKind;
}

