/**
 * Stream attributes (Kinesis: shard count, retention period, record size limit): parsing and
 * validation of what a front-end, the admin API or the configuration supplies.
 */
import { BrokerError } from '../errors.js';

export interface StreamAttributes {
  /** Shards created when the stream is first created (later changed only by split/merge). 1..1024, default 1. */
  shardCount: number;
  /** Records older than this are trimmed. 24..8760 (365 days), default 24. */
  retentionHours: number;
  /** Largest record: message body + header keys/values + partition key, in bytes. 1..10 MiB, default 1 MiB. */
  maxRecordBytes: number;
}

export const DEFAULT_STREAM_ATTRIBUTES: Readonly<StreamAttributes> = Object.freeze({
  shardCount: 1,
  retentionHours: 24,
  maxRecordBytes: 1024 * 1024,
});

/** Inclusive [min, max] per attribute. */
export const STREAM_ATTRIBUTE_LIMITS: Readonly<Record<keyof StreamAttributes, readonly [number, number]>> = Object.freeze({
  shardCount: [1, 1024] as const,
  retentionHours: [24, 8760] as const,
  maxRecordBytes: [1, 10 * 1024 * 1024] as const,
});

const KEYS = Object.keys(DEFAULT_STREAM_ATTRIBUTES) as Array<keyof StreamAttributes>;

/**
 * Validate attributes for stream `name`. Missing (or null/undefined) keys take their default.
 * Values may be integers or strings of decimal digits (protocol headers carry strings).
 * Unknown keys and out-of-range values throw INVALID_ATTRIBUTE naming the key.
 */
export function parseStreamAttributes(name: string, input: Record<string, unknown>): StreamAttributes {
  const out: StreamAttributes = { ...DEFAULT_STREAM_ATTRIBUTES };
  for (const [key, raw] of Object.entries(input)) {
    if (!(KEYS as string[]).includes(key)) {
      throw new BrokerError('INVALID_ATTRIBUTE', `stream ${name}: unknown attribute '${key}' (known: ${KEYS.join(', ')})`);
    }
    if (raw === undefined || raw === null) continue;
    const k = key as keyof StreamAttributes;
    out[k] = parseInteger(name, k, raw);
  }
  return out;
}

function parseInteger(name: string, key: keyof StreamAttributes, raw: unknown): number {
  let value: number;
  if (typeof raw === 'number') value = raw;
  else if (typeof raw === 'string' && /^\s*[0-9]+\s*$/.test(raw)) value = Number(raw.trim());
  else throw new BrokerError('INVALID_ATTRIBUTE', `stream ${name}: attribute '${key}' must be an integer, got ${JSON.stringify(raw)}`);
  const [min, max] = STREAM_ATTRIBUTE_LIMITS[key];
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BrokerError('INVALID_ATTRIBUTE', `stream ${name}: attribute '${key}' must be an integer in ${min}..${max}, got ${String(raw)}`);
  }
  return value;
}
