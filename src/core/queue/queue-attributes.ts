/**
 * Queue attributes (SQS semantics, plus the RabbitMQ queue arguments as protocol-neutral
 * attributes: see README.md for the `x-*` argument table) and their validation.
 *
 * Input is JSON-ish and strict: numbers must be numbers (integers), booleans must be booleans;
 * strings are accepted only for `deadLetterQueue`, `deadLetterExchange`, `deadLetterRoutingKey`
 * and `overflow`. Besides the canonical millisecond keys, a few
 * seconds-based aliases are accepted (SQS users think in seconds):
 *   visibilityTimeoutSeconds, retentionSeconds, delaySeconds, receiveWaitSeconds.
 * Every stored record (`{ ...attributes }`) parses back to the same attributes.
 */
import { BrokerError } from '../errors.js';
import { isFifoName, validateName } from '../names.js';

export interface QueueAttributes {
  /** Must equal name.endsWith('.fifo'). */
  fifo: boolean;
  /** Default 30_000; 0..43_200_000 (12 h). */
  visibilityTimeoutMs: number;
  /** Default 4 days; 60_000 (1 min)..14 days. */
  retentionMs: number;
  /** Default 0; 0..900_000 (15 min). */
  delayMs: number;
  /** Default: the broker's limit (DEFAULT_QUEUE_ATTRIBUTES: 262_144, SQS's); 1..the broker's limit (100 MiB unless passed in). */
  maxMessageBytes: number;
  /** Default 0; 0..20_000: default long-poll wait when receive() gives none. */
  receiveWaitMs: number;
  /** Redrive target queue name. */
  deadLetterQueue: string | null;
  /**
   * 1..1000. Required with deadLetterQueue (SQS redrive: moved on the delivery attempt after this
   * many). Without one it is a delivery limit (quorum x-delivery-limit N = maxReceiveCount N+1):
   * dead-lettered to deadLetterExchange (reason delivery_limit), or dropped.
   */
  maxReceiveCount: number | null;
  /** FIFO only: dedup by SHA-256 of the body when a message has no dedupId. */
  contentBasedDeduplication: boolean;
  /** Default true; non-durable queues never touch the store (temporary queues). */
  durable: boolean;
  /** Queue-level TTL (x-message-ttl): a message expires this long after enqueue (or at its own expiresAt if earlier). 0..2^32-1. */
  messageTtlMs: number | null;
  /** At most this many ready (undelivered: ready or delayed) messages (x-max-length); standard queues only. */
  maxLength: number | null;
  /** At most this many body bytes of ready (undelivered) messages (x-max-length-bytes); standard queues only. */
  maxLengthBytes: number | null;
  /** What happens to a send past maxLength / maxLengthBytes (x-overflow). Default drop-head. */
  overflow: QueueOverflow;
  /** RabbitMQ dead-letter exchange (x-dead-letter-exchange; '' = the default exchange). Exclusive with deadLetterQueue. */
  deadLetterExchange: string | null;
  /** Routing key for dead-lettered messages (x-dead-letter-routing-key); null: the message's own. Needs deadLetterExchange. */
  deadLetterRoutingKey: string | null;
  /** x-max-priority 1..255: priorities above are capped, absent priority is 0. 0: priority ignored. null (default): core priority as is. */
  maxPriority: number | null;
  /** x-single-active-consumer: one push consumer at a time, the oldest attached. */
  singleActiveConsumer: boolean;
  /** x-expires: delete the queue after this long unused (no consumer, no receive, no redeclare). 1..2^32-1. */
  expiresMs: number | null;
  /** Delete the queue when its last push consumer goes away (after it has had one). */
  autoDelete: boolean;
}

export const QUEUE_OVERFLOW_MODES = ['drop-head', 'reject-publish', 'reject-publish-dlx'] as const;
export type QueueOverflow = (typeof QUEUE_OVERFLOW_MODES)[number];

export const MAX_VISIBILITY_TIMEOUT_MS = 43_200_000;
export const MIN_RETENTION_MS = 60_000;
export const MAX_RETENTION_MS = 14 * 24 * 3_600_000;
export const MAX_DELAY_MS = 900_000;
export const MAX_RECEIVE_WAIT_MS = 20_000;
export const MAX_RECEIVE_BATCH = 10;
export const MAX_MAX_RECEIVE_COUNT = 1000;
/** Absolute ceiling for maxMessageBytes when the broker passes no limit. */
export const MAX_MESSAGE_BYTES_CEILING = 100 * 1024 * 1024;
/** FIFO deduplication interval (SQS: 5 minutes). */
export const DEDUP_WINDOW_MS = 5 * 60_000;
/** RabbitMQ's bounds: x-message-ttl and x-expires are 32-bit unsigned millisecond counts. */
export const MAX_MESSAGE_TTL_MS = 0xffff_ffff;
export const MAX_QUEUE_EXPIRES_MS = 0xffff_ffff;
export const MAX_MAX_PRIORITY = 255;
/** Exchange names and routing keys are AMQP short strings. */
export const MAX_SHORT_STRING_BYTES = 255;

export const DEFAULT_QUEUE_ATTRIBUTES: QueueAttributes = Object.freeze({
  fifo: false,
  visibilityTimeoutMs: 30_000,
  retentionMs: 4 * 24 * 3_600_000,
  delayMs: 0,
  maxMessageBytes: 262_144,
  receiveWaitMs: 0,
  deadLetterQueue: null,
  maxReceiveCount: null,
  contentBasedDeduplication: false,
  durable: true,
  messageTtlMs: null,
  maxLength: null,
  maxLengthBytes: null,
  overflow: 'drop-head',
  deadLetterExchange: null,
  deadLetterRoutingKey: null,
  maxPriority: null,
  singleActiveConsumer: false,
  expiresMs: null,
  autoDelete: false,
}) as QueueAttributes;

export interface QueueAttributeLimits {
  /** Upper bound for maxMessageBytes (the broker's configured limit). Default 100 MiB. */
  maxMessageBytes?: number;
}

type NumericKey = 'visibilityTimeoutMs' | 'retentionMs' | 'delayMs' | 'maxMessageBytes' | 'receiveWaitMs';

const SECONDS_ALIASES: Record<string, NumericKey> = {
  visibilityTimeoutSeconds: 'visibilityTimeoutMs',
  retentionSeconds: 'retentionMs',
  delaySeconds: 'delayMs',
  receiveWaitSeconds: 'receiveWaitMs',
};

const NUMERIC_KEYS: readonly NumericKey[] = ['visibilityTimeoutMs', 'retentionMs', 'delayMs', 'maxMessageBytes', 'receiveWaitMs'];

function rangeOf(key: NumericKey, maxBytesLimit: number): [number, number] {
  switch (key) {
    case 'visibilityTimeoutMs': return [0, MAX_VISIBILITY_TIMEOUT_MS];
    case 'retentionMs': return [MIN_RETENTION_MS, MAX_RETENTION_MS];
    case 'delayMs': return [0, MAX_DELAY_MS];
    case 'maxMessageBytes': return [1, maxBytesLimit];
    case 'receiveWaitMs': return [0, MAX_RECEIVE_WAIT_MS];
  }
}

const KNOWN_KEYS = new Set<string>([...Object.keys(DEFAULT_QUEUE_ATTRIBUTES), ...Object.keys(SECONDS_ALIASES)]);

function fail(key: string, why: string): never {
  throw new BrokerError('INVALID_ATTRIBUTE', `${key}: ${why}`);
}

function integer(key: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(key, `must be an integer, got ${describe(v)}`);
  if (v < min || v > max) fail(key, `must be between ${min} and ${max}, got ${v}`);
  return v;
}

function bool(key: string, v: unknown): boolean {
  if (typeof v !== 'boolean') fail(key, `must be a boolean, got ${describe(v)}`);
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `string "${v.length > 40 ? `${v.slice(0, 40)}...` : v}"`;
  if (typeof v === 'number') return String(v);
  return typeof v;
}

/**
 * Validate user input and merge it over `base` (or the defaults). `fifo` is derived from the
 * name; if given it must agree. Throws BrokerError('INVALID_ATTRIBUTE', '<key>: <why>').
 */
export function parseQueueAttributes(
  name: string,
  input: Record<string, unknown>,
  base: QueueAttributes = DEFAULT_QUEUE_ATTRIBUTES,
  limits: QueueAttributeLimits = {},
): QueueAttributes {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new BrokerError('INVALID_ATTRIBUTE', 'attributes must be an object');
  }
  const fifo = isFifoName(name);
  const out: QueueAttributes = { ...base, fifo };
  const maxBytesLimit = limits.maxMessageBytes ?? MAX_MESSAGE_BYTES_CEILING;

  for (const [key, value] of Object.entries(input)) {
    if (!KNOWN_KEYS.has(key)) fail(key, 'unknown queue attribute');
    if (value === undefined) continue;
    const alias = SECONDS_ALIASES[key];
    if (alias !== undefined) {
      if (input[alias] !== undefined) fail(key, `given together with ${alias}`);
      const [min, max] = rangeOf(alias, maxBytesLimit);
      out[alias] = integer(key, value, Math.ceil(min / 1000), Math.floor(max / 1000)) * 1000;
      continue;
    }
    switch (key) {
      case 'fifo':
        if (bool(key, value) !== fifo) fail(key, fifo ? `"${name}" ends with .fifo, so fifo must be true` : 'FIFO queue names must end with .fifo');
        break;
      case 'visibilityTimeoutMs':
      case 'retentionMs':
      case 'delayMs':
      case 'maxMessageBytes':
      case 'receiveWaitMs':
        out[key] = integer(key, value, ...rangeOf(key, maxBytesLimit));
        break;
      case 'deadLetterQueue':
        if (value === null) {
          out.deadLetterQueue = null;
          // Clearing the redrive target clears its count unless the input sets it explicitly.
          if (!('maxReceiveCount' in input)) out.maxReceiveCount = null;
        } else if (typeof value === 'string') {
          try {
            out.deadLetterQueue = validateName(value, 'deadLetterQueue');
          } catch (err) {
            throw new BrokerError('INVALID_ATTRIBUTE', err instanceof Error ? err.message : String(err), { cause: err });
          }
        } else {
          fail(key, `must be a queue name or null, got ${describe(value)}`);
        }
        break;
      case 'maxReceiveCount':
        out.maxReceiveCount = value === null ? null : integer(key, value, 1, MAX_MAX_RECEIVE_COUNT);
        break;
      case 'contentBasedDeduplication':
      case 'durable':
      case 'singleActiveConsumer':
      case 'autoDelete':
        out[key] = bool(key, value);
        break;
      case 'messageTtlMs':
        out.messageTtlMs = nullableInteger(key, value, 0, MAX_MESSAGE_TTL_MS);
        break;
      case 'maxLength':
      case 'maxLengthBytes':
        out[key] = nullableInteger(key, value, 0, Number.MAX_SAFE_INTEGER);
        break;
      case 'maxPriority':
        out.maxPriority = nullableInteger(key, value, 0, MAX_MAX_PRIORITY);
        break;
      case 'expiresMs':
        out.expiresMs = nullableInteger(key, value, 1, MAX_QUEUE_EXPIRES_MS);
        break;
      case 'overflow':
        if (typeof value !== 'string' || !(QUEUE_OVERFLOW_MODES as readonly string[]).includes(value)) {
          fail(key, `must be one of ${QUEUE_OVERFLOW_MODES.join(', ')}, got ${describe(value)}`);
        }
        out.overflow = value as QueueOverflow;
        break;
      case 'deadLetterExchange':
        out.deadLetterExchange = nullableShortString(key, value);
        // Clearing the exchange clears its routing key unless the input sets it explicitly.
        if (value === null && !('deadLetterRoutingKey' in input)) out.deadLetterRoutingKey = null;
        break;
      case 'deadLetterRoutingKey':
        out.deadLetterRoutingKey = nullableShortString(key, value);
        break;
    }
  }

  // Range checks on the merged result too: `base` may come from anywhere.
  for (const key of NUMERIC_KEYS) integer(key, out[key], ...rangeOf(key, maxBytesLimit));

  if (out.contentBasedDeduplication && !fifo) fail('contentBasedDeduplication', 'only FIFO queues (name ending .fifo) deduplicate');
  if (out.deadLetterQueue !== null) {
    if (out.maxReceiveCount === null) fail('maxReceiveCount', 'required when deadLetterQueue is set');
    if (out.deadLetterQueue === name) fail('deadLetterQueue', 'cannot be the queue itself');
    if (isFifoName(out.deadLetterQueue) !== fifo) {
      fail('deadLetterQueue', `"${out.deadLetterQueue}" must be ${fifo ? 'a FIFO' : 'a standard'} queue like "${name}"`);
    }
    if (out.deadLetterExchange !== null) fail('deadLetterExchange', 'cannot be combined with deadLetterQueue (one dead-letter target)');
  }
  // Without a dead-letter queue, maxReceiveCount is a delivery limit (x-delivery-limit + 1):
  // past it the message goes to the dead-letter exchange, or is dropped.
  if (out.deadLetterRoutingKey !== null && out.deadLetterExchange === null) fail('deadLetterRoutingKey', 'needs deadLetterExchange');
  if (fifo) {
    if (out.maxLength !== null) fail('maxLength', 'not supported on FIFO queues');
    if (out.maxLengthBytes !== null) fail('maxLengthBytes', 'not supported on FIFO queues');
    if (out.maxPriority !== null) fail('maxPriority', 'FIFO queues ignore priority');
  }
  return out;
}

function nullableInteger(key: string, v: unknown, min: number, max: number): number | null {
  return v === null ? null : integer(key, v, min, max);
}

function nullableShortString(key: string, v: unknown): string | null {
  if (v === null) return null;
  if (typeof v !== 'string') fail(key, `must be a string or null, got ${describe(v)}`);
  if (Buffer.byteLength(v) > MAX_SHORT_STRING_BYTES) fail(key, `must be at most ${MAX_SHORT_STRING_BYTES} bytes`);
  return v;
}
