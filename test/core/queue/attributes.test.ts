import { describe, expect, it } from 'vitest';
import { isBrokerError } from '../../../src/core/errors.js';
import { DEFAULT_QUEUE_ATTRIBUTES, parseQueueAttributes } from '../../../src/core/queue/queue-attributes.js';

function invalid(fn: () => unknown, key: string): void {
  try {
    fn();
  } catch (err) {
    expect(isBrokerError(err, 'INVALID_ATTRIBUTE')).toBe(true);
    expect((err as Error).message).toContain(key);
    return;
  }
  throw new Error(`expected INVALID_ATTRIBUTE for ${key}`);
}

describe('parseQueueAttributes', () => {
  it('fills defaults and derives fifo from the name', () => {
    expect(parseQueueAttributes('orders', {})).toEqual(DEFAULT_QUEUE_ATTRIBUTES);
    expect(DEFAULT_QUEUE_ATTRIBUTES).toMatchObject({
      fifo: false, visibilityTimeoutMs: 30_000, retentionMs: 345_600_000, delayMs: 0, maxMessageBytes: 262_144,
      receiveWaitMs: 0, deadLetterQueue: null, maxReceiveCount: null, contentBasedDeduplication: false, durable: true,
    });
    expect(parseQueueAttributes('orders.fifo', {}).fifo).toBe(true);
  });

  it('accepts seconds aliases', () => {
    const a = parseQueueAttributes('q', { visibilityTimeoutSeconds: 5, retentionSeconds: 120, delaySeconds: 3, receiveWaitSeconds: 20 });
    expect(a).toMatchObject({ visibilityTimeoutMs: 5_000, retentionMs: 120_000, delayMs: 3_000, receiveWaitMs: 20_000 });
    invalid(() => parseQueueAttributes('q', { delaySeconds: 1, delayMs: 1000 }), 'delaySeconds');
    invalid(() => parseQueueAttributes('q', { delaySeconds: 901 }), 'delaySeconds');
  });

  it('is strict about types and ranges', () => {
    invalid(() => parseQueueAttributes('q', { visibilityTimeoutMs: '30' }), 'visibilityTimeoutMs');
    invalid(() => parseQueueAttributes('q', { visibilityTimeoutMs: 1.5 }), 'visibilityTimeoutMs');
    invalid(() => parseQueueAttributes('q', { visibilityTimeoutMs: 43_200_001 }), 'visibilityTimeoutMs');
    invalid(() => parseQueueAttributes('q', { retentionMs: 59_999 }), 'retentionMs');
    invalid(() => parseQueueAttributes('q', { retentionMs: 14 * 86_400_000 + 1 }), 'retentionMs');
    invalid(() => parseQueueAttributes('q', { delayMs: 900_001 }), 'delayMs');
    invalid(() => parseQueueAttributes('q', { receiveWaitMs: 20_001 }), 'receiveWaitMs');
    invalid(() => parseQueueAttributes('q', { maxMessageBytes: 0 }), 'maxMessageBytes');
    invalid(() => parseQueueAttributes('q', { maxMessageBytes: 100 * 1024 * 1024 + 1 }), 'maxMessageBytes');
    invalid(() => parseQueueAttributes('q', { maxMessageBytes: 2048 }, undefined, { maxMessageBytes: 1024 }), 'maxMessageBytes');
    invalid(() => parseQueueAttributes('q', { durable: 'yes' }), 'durable');
    invalid(() => parseQueueAttributes('q', { bogus: 1 }), 'bogus');
    expect(parseQueueAttributes('q', { maxMessageBytes: 100 * 1024 * 1024 }).maxMessageBytes).toBe(100 * 1024 * 1024);
  });

  it('checks fifo against the name and FIFO-only options', () => {
    invalid(() => parseQueueAttributes('q', { fifo: true }), 'fifo');
    invalid(() => parseQueueAttributes('q.fifo', { fifo: false }), 'fifo');
    invalid(() => parseQueueAttributes('q', { contentBasedDeduplication: true }), 'contentBasedDeduplication');
    expect(parseQueueAttributes('q.fifo', { fifo: true, contentBasedDeduplication: true }).contentBasedDeduplication).toBe(true);
  });

  it('requires maxReceiveCount iff deadLetterQueue, of the same kind, not itself', () => {
    invalid(() => parseQueueAttributes('q', { deadLetterQueue: 'dlq' }), 'maxReceiveCount');
    invalid(() => parseQueueAttributes('q', { maxReceiveCount: 3 }), 'maxReceiveCount');
    invalid(() => parseQueueAttributes('q', { deadLetterQueue: 'dlq', maxReceiveCount: 0 }), 'maxReceiveCount');
    invalid(() => parseQueueAttributes('q', { deadLetterQueue: 'dlq', maxReceiveCount: 1001 }), 'maxReceiveCount');
    invalid(() => parseQueueAttributes('q', { deadLetterQueue: 'q', maxReceiveCount: 3 }), 'deadLetterQueue');
    invalid(() => parseQueueAttributes('q', { deadLetterQueue: 'dlq.fifo', maxReceiveCount: 3 }), 'deadLetterQueue');
    invalid(() => parseQueueAttributes('q.fifo', { deadLetterQueue: 'dlq', maxReceiveCount: 3 }), 'deadLetterQueue');
    invalid(() => parseQueueAttributes('q', { deadLetterQueue: 'bad..name', maxReceiveCount: 3 }), 'deadLetterQueue');
    invalid(() => parseQueueAttributes('q', { deadLetterQueue: 7, maxReceiveCount: 3 }), 'deadLetterQueue');
    const a = parseQueueAttributes('q', { deadLetterQueue: 'dlq', maxReceiveCount: 3 });
    expect(a).toMatchObject({ deadLetterQueue: 'dlq', maxReceiveCount: 3 });
    // clearing the target clears the count
    expect(parseQueueAttributes('q', { deadLetterQueue: null }, a)).toMatchObject({ deadLetterQueue: null, maxReceiveCount: null });
  });

  it('merges over a base and round-trips a stored record', () => {
    const base = parseQueueAttributes('q', { visibilityTimeoutMs: 1000, deadLetterQueue: 'dlq', maxReceiveCount: 2 });
    const merged = parseQueueAttributes('q', { delayMs: 5 }, base);
    expect(merged).toEqual({ ...base, delayMs: 5 });
    expect(parseQueueAttributes('q', { ...merged })).toEqual(merged);
    expect(parseQueueAttributes('q', JSON.parse(JSON.stringify(merged)) as Record<string, unknown>)).toEqual(merged);
  });
});
