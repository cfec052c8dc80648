/**
 * The durable-state contract, owned by the core (src/store implements it). Only the core calls it;
 * front-ends never see it.
 *
 * Write methods return a promise that resolves once the write is durably committed
 * (group commit: an implementation batches many writes into one transaction / fsync).
 * Writes are applied in the order they are called. A write issued after another write's
 * call (not its resolution) sees that write: e.g. putMessage then deleteMessage in the
 * same tick leaves no row. Implementations may coalesce such pairs inside a batch.
 *
 * Loaders are only called while the core is starting (or on an explicit reload) and read
 * committed state plus every write already issued.
 */
import type { DestinationKind } from './names.js';
import type { Message } from './message.js';

export interface DestinationRecord {
  kind: DestinationKind;
  name: string;
  /** Destination attributes as the core validated them (JSON-serialisable). */
  attributes: Record<string, unknown>;
  createdAt: number;
}

/** A message sitting in a queue. `seq` is assigned by the core, strictly increasing per queue. */
export interface StoredMessage {
  queue: string;
  seq: number;
  /** Broker message id (unique). */
  id: string;
  message: Message;
  enqueuedAt: number;
  /** Not deliverable before this time (queue or per-message delay). */
  availableAt: number;
  /** How many times it has been delivered so far. */
  receiveCount: number;
}

/** A durable topic subscription that delivers into a queue (SNS → SQS fan-out). */
export interface SubscriptionRecord {
  id: string;
  /** Core topic name or pattern (`*`, `>`). */
  pattern: string;
  /** Target queue name. */
  queue: string;
  /** SNS filter policy JSON text, or null for none. */
  filterPolicy: string | null;
  createdAt: number;
  /** Extra attributes (e.g. which front-end created it, client id). JSON-serialisable. */
  attributes: Record<string, unknown>;
}

export interface RetainedRecord {
  topic: string;
  id: string;
  message: Message;
  publishedAt: number;
}

export interface DedupRecord {
  /** Destination name the window belongs to. */
  scope: string;
  dedupId: string;
  expiresAt: number;
  /** Broker message id of the first message with this dedup id (returned again on duplicate sends). */
  messageId: string;
}

export interface ShardRecord {
  stream: string;
  shardId: string;
  parentShardId: string | null;
  adjacentParentShardId: string | null;
  /** Inclusive 128-bit hash key range, as decimal strings. */
  hashKeyStart: string;
  hashKeyEnd: string;
  /** First sequence number that can be in this shard. */
  startingSeq: number;
  /** Last sequence number once the shard is closed (split/merge), else null. */
  endingSeq: number | null;
  createdAt: number;
}

export interface StreamRecord {
  stream: string;
  shardId: string;
  /** Stream-wide increasing sequence number (so also increasing per shard). */
  seq: number;
  partitionKey: string;
  arrivedAt: number;
  message: Message;
}

export interface CheckpointRecord {
  stream: string;
  group: string;
  shardId: string;
  /** Last processed sequence number. */
  seq: number;
  updatedAt: number;
}

/** Observations a store reports, for metrics. */
export interface StoreObserver {
  onCommit?(durationMs: number, operations: number): void;
  onError?(err: Error): void;
}

export interface Store {
  readonly kind: string;
  open(): Promise<void>;
  /** Commit everything issued so far. */
  flush(): Promise<void>;
  /** Flush and release the store. Writes after close reject with STORE_CLOSED. */
  close(): Promise<void>;

  // destinations
  loadDestinations(): Promise<DestinationRecord[]>;
  putDestination(rec: DestinationRecord): Promise<void>;
  /** Remove the destination and everything that belongs to it (messages, records, shards, checkpoints, dedup, retained). */
  deleteDestination(kind: DestinationKind, name: string): Promise<void>;

  // queue messages
  /** All messages of one queue, ordered by seq. */
  loadMessages(queue: string): Promise<StoredMessage[]>;
  putMessage(msg: StoredMessage): Promise<void>;
  setReceiveCount(queue: string, seq: number, receiveCount: number): Promise<void>;
  deleteMessage(queue: string, seq: number): Promise<void>;
  purgeQueue(queue: string): Promise<void>;

  // deduplication windows
  loadDedup(scope: string): Promise<DedupRecord[]>;
  putDedup(rec: DedupRecord): Promise<void>;
  /** Drop entries with expiresAt <= now (all scopes). */
  expireDedup(now: number): Promise<void>;

  // topic subscriptions (durable ones only) and retained messages
  loadSubscriptions(): Promise<SubscriptionRecord[]>;
  putSubscription(rec: SubscriptionRecord): Promise<void>;
  deleteSubscription(id: string): Promise<void>;
  loadRetained(): Promise<RetainedRecord[]>;
  putRetained(rec: RetainedRecord): Promise<void>;
  deleteRetained(topic: string): Promise<void>;

  // streams
  loadShards(stream: string): Promise<ShardRecord[]>;
  putShard(rec: ShardRecord): Promise<void>;
  appendRecord(rec: StreamRecord): Promise<void>;
  /** Records of one shard with seq >= fromSeq, ascending, at most `limit`. */
  readRecords(stream: string, shardId: string, fromSeq: number, limit: number): Promise<StreamRecord[]>;
  /** Smallest seq in the shard with arrivedAt >= timestamp, or null if none. */
  seqAtTimestamp(stream: string, shardId: string, timestamp: number): Promise<number | null>;
  /** Highest seq ever appended to the stream (0 if none). */
  maxStreamSeq(stream: string): Promise<number>;
  /** Delete records with arrivedAt < olderThan; resolves to how many were removed. */
  trimRecords(stream: string, olderThan: number): Promise<number>;
  loadCheckpoints(stream: string, group: string): Promise<CheckpointRecord[]>;
  putCheckpoint(rec: CheckpointRecord): Promise<void>;

  // small keyed state for front-ends (MQTT sessions, QoS 2 inbound ids, ...), reached through the core
  loadState(namespace: string): Promise<Array<{ key: string; value: Buffer }>>;
  putState(namespace: string, key: string, value: Buffer): Promise<void>;
  deleteState(namespace: string, key: string): Promise<void>;
}
