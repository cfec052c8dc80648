/**
 * Every SQL statement the SQLite store runs, prepared once per connection (row shapes: ./rows.ts).
 * Writes are idempotent upserts / deletes so that a batch can only fail for storage reasons
 * (I/O, disk full, corruption), never because of one caller's data.
 */
import type Database from 'better-sqlite3';

export function prepareStatements(db: Database.Database) {
  const p = (sql: string) => db.prepare(sql);
  return {
    // destinations
    loadDestinations: p('SELECT kind, name, attributes, created_at FROM destinations ORDER BY kind, name'),
    putDestination: p(`INSERT INTO destinations (kind, name, attributes, created_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (kind, name) DO UPDATE SET attributes = excluded.attributes, created_at = excluded.created_at`),
    deleteDestination: p('DELETE FROM destinations WHERE kind = ? AND name = ?'),
    deleteDedupScope: p('DELETE FROM dedup WHERE scope = ?'),
    deleteRetainedTopic: p('DELETE FROM retained WHERE topic = ?'),
    deleteShards: p('DELETE FROM shards WHERE stream = ?'),
    deleteRecords: p('DELETE FROM stream_records WHERE stream = ?'),
    deleteStreamSeq: p('DELETE FROM stream_seq WHERE stream = ?'),
    deleteCheckpoints: p('DELETE FROM checkpoints WHERE stream = ?'),

    // queue messages
    loadMessages: p(`SELECT queue, seq, id, body, meta, enqueued_at, available_at, receive_count
      FROM messages WHERE queue = ? ORDER BY seq`),
    putMessage: p(`INSERT INTO messages (queue, seq, id, body, meta, enqueued_at, available_at, receive_count)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (queue, seq) DO UPDATE SET id = excluded.id, body = excluded.body, meta = excluded.meta,
        enqueued_at = excluded.enqueued_at, available_at = excluded.available_at, receive_count = excluded.receive_count`),
    setReceiveCount: p('UPDATE messages SET receive_count = ? WHERE queue = ? AND seq = ?'),
    deleteMessage: p('DELETE FROM messages WHERE queue = ? AND seq = ?'),
    purgeQueue: p('DELETE FROM messages WHERE queue = ?'),

    // dedup
    loadDedup: p('SELECT scope, dedup_id, expires_at, message_id FROM dedup WHERE scope = ? ORDER BY dedup_id'),
    putDedup: p(`INSERT INTO dedup (scope, dedup_id, expires_at, message_id) VALUES (?, ?, ?, ?)
      ON CONFLICT (scope, dedup_id) DO UPDATE SET expires_at = excluded.expires_at, message_id = excluded.message_id`),
    expireDedup: p('DELETE FROM dedup WHERE expires_at <= ?'),

    // subscriptions, retained
    loadSubscriptions: p('SELECT id, pattern, queue, filter_policy, created_at, attributes FROM subscriptions ORDER BY created_at, id'),
    putSubscription: p(`INSERT INTO subscriptions (id, pattern, queue, filter_policy, created_at, attributes) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET pattern = excluded.pattern, queue = excluded.queue, filter_policy = excluded.filter_policy,
        created_at = excluded.created_at, attributes = excluded.attributes`),
    deleteSubscription: p('DELETE FROM subscriptions WHERE id = ?'),
    loadRetained: p('SELECT topic, id, body, meta, published_at FROM retained ORDER BY topic'),
    putRetained: p(`INSERT INTO retained (topic, id, body, meta, published_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (topic) DO UPDATE SET id = excluded.id, body = excluded.body, meta = excluded.meta, published_at = excluded.published_at`),
    deleteRetained: p('DELETE FROM retained WHERE topic = ?'),

    // streams
    loadShards: p(`SELECT stream, shard_id, parent_shard_id, adjacent_parent_shard_id, hash_key_start, hash_key_end,
      starting_seq, ending_seq, created_at FROM shards WHERE stream = ? ORDER BY starting_seq, shard_id`),
    putShard: p(`INSERT INTO shards (stream, shard_id, parent_shard_id, adjacent_parent_shard_id, hash_key_start, hash_key_end,
        starting_seq, ending_seq, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (stream, shard_id) DO UPDATE SET parent_shard_id = excluded.parent_shard_id,
        adjacent_parent_shard_id = excluded.adjacent_parent_shard_id, hash_key_start = excluded.hash_key_start,
        hash_key_end = excluded.hash_key_end, starting_seq = excluded.starting_seq, ending_seq = excluded.ending_seq,
        created_at = excluded.created_at`),
    // Records are immutable: a second append of the same (stream, shard, seq) keeps the first.
    appendRecord: p(`INSERT INTO stream_records (stream, shard_id, seq, partition_key, arrived_at, body, meta)
      VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (stream, shard_id, seq) DO NOTHING`),
    upsertStreamSeq: p(`INSERT INTO stream_seq (stream, seq) VALUES (?, ?)
      ON CONFLICT (stream) DO UPDATE SET seq = max(seq, excluded.seq)`),
    readRecords: p(`SELECT stream, shard_id, seq, partition_key, arrived_at, body, meta FROM stream_records
      INDEXED BY stream_records_shard_seq WHERE stream = ? AND shard_id = ? AND seq >= ? ORDER BY seq LIMIT ?`),
    seqAtTimestamp: p(`SELECT min(seq) AS seq FROM stream_records INDEXED BY stream_records_shard_time
      WHERE stream = ? AND shard_id = ? AND arrived_at >= ?`),
    maxStreamSeq: p('SELECT seq FROM stream_seq WHERE stream = ?'),
    // Distinct shard ids of a stream by hopping through the index (a loose index scan).
    recordShards: p(`WITH RECURSIVE s(id) AS (
        SELECT (SELECT min(shard_id) FROM stream_records WHERE stream = @stream)
        UNION ALL
        SELECT (SELECT min(shard_id) FROM stream_records WHERE stream = @stream AND shard_id > s.id) FROM s WHERE s.id IS NOT NULL
      ) SELECT id FROM s WHERE id IS NOT NULL`),
    trimShard: p(`DELETE FROM stream_records WHERE stream = ? AND shard_id = ? AND arrived_at < ?`),
    loadCheckpoints: p('SELECT stream, grp, shard_id, seq, updated_at FROM checkpoints WHERE stream = ? AND grp = ? ORDER BY shard_id'),
    putCheckpoint: p(`INSERT INTO checkpoints (stream, grp, shard_id, seq, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (stream, grp, shard_id) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at`),

    // front-end state
    loadState: p('SELECT key, value FROM state WHERE namespace = ? ORDER BY key'),
    putState: p(`INSERT INTO state (namespace, key, value) VALUES (?, ?, ?)
      ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value`),
    deleteState: p('DELETE FROM state WHERE namespace = ? AND key = ?'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
