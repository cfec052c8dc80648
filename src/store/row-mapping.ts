/**
 * Row shapes the SQL stores' reads return and their mapping to Store records, shared by the SQLite
 * (./sqlite/rows.ts) and PostgreSQL (./postgres/rows.ts) stores: numbers are JS numbers as they were
 * written (SQLite INTEGER/REAL, PostgreSQL double precision), bodies Buffers (BLOB / bytea).
 */
import type { DestinationKind } from '../core/names.js';
import { decodeMessage } from './message-codec.js';
import type {
  CheckpointRecord, DedupRecord, DestinationRecord, RetainedRecord, ShardRecord, StoredMessage, StreamRecord, SubscriptionRecord,
} from '../core/store.js';

export interface DestinationRow { kind: DestinationKind; name: string; attributes: string; created_at: number }
export interface MessageRow {
  queue: string; seq: number; id: string; body: Buffer; meta: string; enqueued_at: number; available_at: number; receive_count: number;
}
export interface DedupRow { scope: string; dedup_id: string; expires_at: number; message_id: string }
export interface SubscriptionRow { id: string; pattern: string; queue: string; filter_policy: string | null; created_at: number; attributes: string }
export interface RetainedRow { topic: string; id: string; body: Buffer; meta: string; published_at: number }
export interface ShardRow {
  stream: string; shard_id: string; parent_shard_id: string | null; adjacent_parent_shard_id: string | null;
  hash_key_start: string; hash_key_end: string; starting_seq: number; ending_seq: number | null; created_at: number;
}
export interface RecordRow { stream: string; shard_id: string; seq: number; partition_key: string; arrived_at: number; body: Buffer; meta: string }
export interface CheckpointRow { stream: string; grp: string; shard_id: string; seq: number; updated_at: number }

export const toDestination = (r: DestinationRow): DestinationRecord => ({
  kind: r.kind, name: r.name, attributes: JSON.parse(r.attributes) as Record<string, unknown>, createdAt: r.created_at,
});

export const toStoredMessage = (r: MessageRow): StoredMessage => ({
  queue: r.queue, seq: r.seq, id: r.id, message: decodeMessage(r.body, r.meta),
  enqueuedAt: r.enqueued_at, availableAt: r.available_at, receiveCount: r.receive_count,
});

export const toDedup = (r: DedupRow): DedupRecord => ({ scope: r.scope, dedupId: r.dedup_id, expiresAt: r.expires_at, messageId: r.message_id });

export const toSubscription = (r: SubscriptionRow): SubscriptionRecord => ({
  id: r.id, pattern: r.pattern, queue: r.queue, filterPolicy: r.filter_policy, createdAt: r.created_at,
  attributes: JSON.parse(r.attributes) as Record<string, unknown>,
});

export const toRetained = (r: RetainedRow): RetainedRecord => ({
  topic: r.topic, id: r.id, message: decodeMessage(r.body, r.meta), publishedAt: r.published_at,
});

export const toShard = (r: ShardRow): ShardRecord => ({
  stream: r.stream, shardId: r.shard_id, parentShardId: r.parent_shard_id, adjacentParentShardId: r.adjacent_parent_shard_id,
  hashKeyStart: r.hash_key_start, hashKeyEnd: r.hash_key_end, startingSeq: r.starting_seq, endingSeq: r.ending_seq, createdAt: r.created_at,
});

export const toStreamRecord = (r: RecordRow): StreamRecord => ({
  stream: r.stream, shardId: r.shard_id, seq: r.seq, partitionKey: r.partition_key, arrivedAt: r.arrived_at,
  message: decodeMessage(r.body, r.meta),
});

export const toCheckpoint = (r: CheckpointRow): CheckpointRecord => ({
  stream: r.stream, group: r.grp, shardId: r.shard_id, seq: r.seq, updatedAt: r.updated_at,
});
