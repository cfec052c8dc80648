/**
 * Public shapes of the stream API (records, shards, positions, readers, consumer groups).
 */
import type { Clock } from '../clock.js';
import type { Message } from '../message.js';
import type { Logger } from '../../log.js';
import type { Store } from '../store.js';
import type { StreamAttributes } from './stream-attributes.js';

/** One record as readers see it. Every delivery is a fresh copy: mutating it changes nothing stored. */
export interface StreamRecordView {
  shardId: string;
  /** Stream-wide sequence number (strictly increasing per shard). */
  seq: number;
  /** `seq` as a decimal string (Kinesis SequenceNumber). */
  sequenceNumber: string;
  partitionKey: string;
  /** When the broker accepted the record, ms since the epoch (non-decreasing with seq). */
  arrivedAt: number;
  message: Message;
}

/** Kinesis shard iterator types. */
export type StartPosition =
  | { type: 'TRIM_HORIZON' }
  | { type: 'LATEST' }
  | { type: 'AT_SEQUENCE_NUMBER'; seq: number }
  | { type: 'AFTER_SEQUENCE_NUMBER'; seq: number }
  | { type: 'AT_TIMESTAMP'; timestamp: number };

/**
 * Where a push reader starts (the offsets of RabbitMQ streams / x-stream-offset):
 * 'first' = TRIM_HORIZON of every shard; 'last' = the last record currently in each open shard,
 * then follow; 'next' = only records committed after subscribing; { seq } = records with seq >= N
 * in every shard; { timestamp } = records that arrived at or after the time (AT_TIMESTAMP).
 * Shards created after subscribing (split/merge children) are always read from their start.
 */
export type SubscribeStart = 'first' | 'last' | 'next' | { seq: number } | { timestamp: number };

export interface ShardInfo {
  shardId: string;
  parentShardId: string | null;
  adjacentParentShardId: string | null;
  /** Inclusive, decimal strings. */
  hashKeyRange: { start: string; end: string };
  /** Decimal strings; `end` is set once the shard is closed by a split or merge. */
  sequenceNumberRange: { start: string; end: string | null };
  open: boolean;
}

export interface SubscribeOptions {
  start: SubscribeStart;
  onRecord(record: StreamRecordView): void;
  /** Read only these shards (a listed child waits for a listed parent); default: all shards, following lineage. */
  shards?: string[];
  /**
   * Called once per closed shard when every record in it (from the reader's start) has been
   * delivered. `lastDeliveredSeq` is null if this reader delivered nothing from that shard.
   */
  onShardEnd?(shardId: string, lastDeliveredSeq: number | null): void;
}

/** A push reader following the stream's tail. */
export interface StreamReader {
  /** Stop delivering after the current record (flow control); records are not lost. */
  pause(): void;
  resume(): void;
  close(): void;
  readonly paused: boolean;
  readonly closed: boolean;
  /** Next sequence number to deliver, per shard the reader has started. */
  readonly position: Map<string, number>;
}

export interface JoinGroupOptions {
  onRecord(record: StreamRecordView): void;
  /** Called with the member's full shard list whenever it changes. */
  onAssignment?(shards: string[]): void;
  /**
   * Where to start a shard that has no checkpoint and no parent (default 'first').
   * Children of split/merged shards always start at their beginning.
   */
  start?: 'first' | 'last' | 'next';
}

/** A member of a consumer group (KCL worker). */
export interface GroupMember {
  readonly group: string;
  readonly memberId: string;
  /** Shards currently assigned to this member, sorted. */
  readonly shards: string[];
  /**
   * Record `seq` as processed in `shardId` (durably, via the store). Checkpoints never move
   * backwards (a lower seq is ignored). Rejects SHARD_INVALID if the shard is not assigned to this member.
   */
  checkpoint(shardId: string, seq: number): Promise<void>;
  /** Flow control over all of the member's shard readers. */
  pause(): void;
  resume(): void;
  /** Leave the group: its shards are rebalanced to the remaining members. */
  leave(): void;
}

export interface StreamStats {
  shards: number;
  openShards: number;
  /** Records committed since this Stream was opened. */
  records: number;
  /** Highest sequence number assigned so far (0 if none). */
  lastSeq: number;
  readers: number;
  /** Consumer groups with at least one member. */
  groups: number;
}

export interface StreamDeps {
  name: string;
  attributes: StreamAttributes;
  store: Store;
  clock: Clock;
  logger?: Logger;
}

export interface PutOptions {
  /** Defaults to message.partitionKey; one of the two is required. */
  partitionKey?: string;
  /** Decimal 128-bit hash key that overrides MD5(partitionKey) for routing. */
  explicitHashKey?: string;
}

export interface PutResult {
  shardId: string;
  seq: number;
  sequenceNumber: string;
}

export interface GetRecordsResult {
  records: StreamRecordView[];
  /** Null once the shard is closed and fully read. */
  nextIterator: string | null;
  millisBehindLatest: number;
}
