/** Streams (Kinesis semantics): public surface of src/core/stream. */
export { Stream, TRIM_INTERVAL_MS, MAX_OPEN_SHARDS, MAX_PARTITION_KEY_LENGTH } from './stream.js';
export type { StreamDeps, PutOptions, PutResult, GetRecordsResult } from './types.js';
export { parseStreamAttributes, DEFAULT_STREAM_ATTRIBUTES, STREAM_ATTRIBUTE_LIMITS } from './stream-attributes.js';
export type { StreamAttributes } from './stream-attributes.js';
export { HASH_KEY_MAX, md5HashKey, parseHashKey, evenRanges, splitRange, mergeRanges, formatShardId } from './hash-range.js';
export type { HashRange } from './hash-range.js';
export { ITERATOR_TTL_MS, GET_RECORDS_MAX, validateStartPosition } from './iterators.js';
export { validateSubscribeStart } from './stream-reader.js';
export type {
  StreamRecordView, StartPosition, SubscribeStart, ShardInfo, SubscribeOptions, StreamReader, JoinGroupOptions, GroupMember, StreamStats,
} from './types.js';
