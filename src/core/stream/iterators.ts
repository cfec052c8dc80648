/**
 * Shard iterators (Kinesis GetShardIterator / GetRecords): an opaque token carrying the stream,
 * the shard and the next sequence number to read. Tokens expire five minutes after they are
 * issued (ITERATOR_INVALID), like Kinesis; every GetRecords answer carries a fresh one.
 * Tokens are self-contained (no server state), so they survive a failover to the standby.
 */
import { BrokerError } from '../errors.js';
import type { StartPosition } from './types.js';

export const ITERATOR_TTL_MS = 5 * 60 * 1000;
export const GET_RECORDS_MAX = 10_000;
export const GET_RECORDS_DEFAULT = 1000;

const VERSION = 1;

export interface IteratorState {
  stream: string;
  shardId: string;
  /** Next sequence number to read. */
  nextSeq: number;
  issuedAt: number;
  /** AT_TIMESTAMP: skip records that arrived before this (null once passed or for other types). */
  minArrivedAt: number | null;
}

export function encodeIterator(state: IteratorState): string {
  const payload = [VERSION, state.stream, state.shardId, state.nextSeq, state.issuedAt, state.minArrivedAt];
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** Decode and check a token for `stream` at time `now`. Throws ITERATOR_INVALID. */
export function decodeIterator(token: unknown, stream: string, now: number): IteratorState {
  if (typeof token !== 'string' || token.length === 0 || token.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(token)) {
    throw new BrokerError('ITERATOR_INVALID', 'malformed shard iterator');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch (err) {
    throw new BrokerError('ITERATOR_INVALID', 'malformed shard iterator', { cause: err });
  }
  if (!Array.isArray(parsed) || parsed.length !== 6) throw new BrokerError('ITERATOR_INVALID', 'malformed shard iterator');
  const [version, s, shardId, nextSeq, issuedAt, minArrivedAt] = parsed as unknown[];
  if (
    version !== VERSION || typeof s !== 'string' || typeof shardId !== 'string' ||
    !isSeq(nextSeq) || typeof issuedAt !== 'number' || !Number.isFinite(issuedAt) ||
    !(minArrivedAt === null || (typeof minArrivedAt === 'number' && Number.isFinite(minArrivedAt)))
  ) {
    throw new BrokerError('ITERATOR_INVALID', 'malformed shard iterator');
  }
  if (s !== stream) throw new BrokerError('ITERATOR_INVALID', `shard iterator belongs to stream ${s}, not ${stream}`);
  if (now - issuedAt > ITERATOR_TTL_MS) {
    throw new BrokerError('ITERATOR_INVALID', `shard iterator expired (issued ${Math.round((now - issuedAt) / 1000)} s ago, valid for ${ITERATOR_TTL_MS / 1000} s)`);
  }
  return { stream: s, shardId, nextSeq, issuedAt, minArrivedAt };
}

/** A non-negative safe integer usable as a sequence number. */
export function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Check a StartPosition received from outside. Throws INVALID_ARGUMENT. */
export function validateStartPosition(position: unknown): StartPosition {
  if (typeof position !== 'object' || position === null) throw new BrokerError('INVALID_ARGUMENT', 'start position must be an object');
  const p = position as Record<string, unknown>;
  switch (p.type) {
    case 'TRIM_HORIZON':
    case 'LATEST':
      return { type: p.type };
    case 'AT_SEQUENCE_NUMBER':
    case 'AFTER_SEQUENCE_NUMBER':
      if (!isSeq(p.seq)) throw new BrokerError('INVALID_ARGUMENT', `${p.type} needs a non-negative integer seq`);
      return { type: p.type, seq: p.seq };
    case 'AT_TIMESTAMP':
      if (typeof p.timestamp !== 'number' || !Number.isFinite(p.timestamp)) {
        throw new BrokerError('INVALID_ARGUMENT', 'AT_TIMESTAMP needs a finite timestamp (ms since the epoch)');
      }
      return { type: 'AT_TIMESTAMP', timestamp: p.timestamp };
    default:
      throw new BrokerError('INVALID_ARGUMENT', `unknown shard iterator type ${JSON.stringify(p.type)}`);
  }
}

/** Check a GetRecords limit (1..10000, default 1000). Throws INVALID_ARGUMENT. */
export function validateLimit(limit: unknown, max = GET_RECORDS_MAX): number {
  if (limit === undefined) return Math.min(GET_RECORDS_DEFAULT, max);
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new BrokerError('INVALID_ARGUMENT', `limit must be an integer in 1..${max}`);
  }
  return limit;
}

export type { StartPosition } from './types.js';
