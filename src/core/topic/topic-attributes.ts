/**
 * Topic attributes (SNS CreateTopic attributes that matter to the core).
 *
 * A topic is FIFO exactly when its name ends with `.fifo` (as SNS requires of FIFO topics), so
 * `fifo` is derived from the name; an explicit value that contradicts the name is an error.
 * `contentBasedDeduplication` (SNS ContentBasedDeduplication) is only valid on FIFO topics: when
 * true, a publish without a dedup id is deduplicated by the SHA-256 of its body.
 *
 * Accepted spellings: the core's (`fifo`, `contentBasedDeduplication`) and SNS's (`FifoTopic`,
 * `ContentBasedDeduplication`); values are booleans or the strings "true" / "false" (SNS sends
 * strings). The output round-trips: parseTopicAttributes(name, { ...parsed }) returns the same.
 */
import { BrokerError } from '../errors.js';
import { isFifoName } from '../names.js';

export interface TopicAttributes {
  fifo: boolean;
  contentBasedDeduplication: boolean;
  /** Largest message (body plus headers) a publish may carry; absent = the broker's limit. 1..the broker's limit. */
  maxMessageBytes?: number;
}

export interface TopicAttributeLimits {
  /** Upper bound for maxMessageBytes (the broker's configured limit). Default 100 MiB. */
  maxMessageBytes?: number;
}

/** Absolute ceiling for maxMessageBytes when the broker passes no limit. */
const MAX_MESSAGE_BYTES_CEILING = 100 * 1024 * 1024;

const ALIASES: Record<string, keyof TopicAttributes> = {
  fifo: 'fifo',
  FifoTopic: 'fifo',
  contentBasedDeduplication: 'contentBasedDeduplication',
  ContentBasedDeduplication: 'contentBasedDeduplication',
  maxMessageBytes: 'maxMessageBytes',
};

export const TOPIC_ATTRIBUTE_NAMES: readonly string[] = Object.keys(ALIASES);

export function defaultTopicAttributes(name: string): TopicAttributes {
  return { fifo: isFifoName(name), contentBasedDeduplication: false };
}

/** Validate topic attributes for the topic `name`. Throws BrokerError('INVALID_ATTRIBUTE'). */
export function parseTopicAttributes(name: string, input?: Record<string, unknown> | null, limits: TopicAttributeLimits = {}): TopicAttributes {
  if (input !== undefined && input !== null && (typeof input !== 'object' || Array.isArray(input))) {
    throw new BrokerError('INVALID_ATTRIBUTE', `topic "${name}": attributes must be an object`);
  }
  const given: Partial<Record<'fifo' | 'contentBasedDeduplication', { key: string; value: boolean }>> = {};
  let maxMessageBytes: number | undefined;
  for (const [key, raw] of Object.entries(input ?? {})) {
    if (raw === undefined) continue;
    const attr = ALIASES[key];
    if (!attr) {
      throw new BrokerError('INVALID_ATTRIBUTE', `topic "${name}": unknown attribute "${key}" (known: ${TOPIC_ATTRIBUTE_NAMES.join(', ')})`);
    }
    if (attr === 'maxMessageBytes') {
      const max = limits.maxMessageBytes ?? MAX_MESSAGE_BYTES_CEILING;
      if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > max) {
        throw new BrokerError('INVALID_ATTRIBUTE', `topic "${name}": maxMessageBytes must be an integer between 1 and ${max}, got ${JSON.stringify(raw) ?? typeof raw}`);
      }
      maxMessageBytes = raw;
      continue;
    }
    const value = toBoolean(raw);
    if (value === undefined) {
      throw new BrokerError('INVALID_ATTRIBUTE', `topic "${name}": ${key} must be true or false, got ${JSON.stringify(raw) ?? typeof raw}`);
    }
    const previous = given[attr];
    if (previous && previous.value !== value) {
      throw new BrokerError('INVALID_ATTRIBUTE', `topic "${name}": ${previous.key} and ${key} disagree`);
    }
    given[attr] = { key, value };
  }

  const fifo = isFifoName(name);
  const fifoGiven = given.fifo;
  if (fifoGiven && fifoGiven.value !== fifo) {
    throw new BrokerError(
      'INVALID_ATTRIBUTE',
      fifo
        ? `topic "${name}": a name ending in ".fifo" is a FIFO topic; ${fifoGiven.key} cannot be false`
        : `topic "${name}": FIFO topic names must end in ".fifo"`,
    );
  }
  const cbd = given.contentBasedDeduplication;
  if (cbd?.value && !fifo) {
    throw new BrokerError('INVALID_ATTRIBUTE', `topic "${name}": ${cbd.key} is only valid on FIFO topics (names ending in ".fifo")`);
  }
  return { fifo, contentBasedDeduplication: cbd?.value ?? false, ...(maxMessageBytes !== undefined ? { maxMessageBytes } : {}) };
}

function toBoolean(x: unknown): boolean | undefined {
  if (typeof x === 'boolean') return x;
  if (typeof x === 'string') {
    const s = x.trim().toLowerCase();
    if (s === 'true') return true;
    if (s === 'false') return false;
  }
  return undefined;
}
