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
      messageTtlMs: null, maxLength: null, maxLengthBytes: null, overflow: 'drop-head', deadLetterExchange: null,
      deadLetterRoutingKey: null, maxPriority: null, singleActiveConsumer: false, expiresMs: null, autoDelete: false,
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

  it('requires maxReceiveCount with deadLetterQueue, of the same kind, not itself', () => {
    invalid(() => parseQueueAttributes('q', { deadLetterQueue: 'dlq' }), 'maxReceiveCount');
    // alone, maxReceiveCount is a delivery limit (quorum x-delivery-limit + 1)
    expect(parseQueueAttributes('q', { maxReceiveCount: 3 }).maxReceiveCount).toBe(3);
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

  it('validates the RabbitMQ-argument attributes', () => {
    const a = parseQueueAttributes('q', {
      messageTtlMs: 0, maxLength: 0, maxLengthBytes: 1024, overflow: 'reject-publish-dlx', deadLetterExchange: '',
      deadLetterRoutingKey: 'rk', maxPriority: 255, singleActiveConsumer: true, expiresMs: 1, autoDelete: true,
    });
    expect(a).toMatchObject({ messageTtlMs: 0, maxLength: 0, deadLetterExchange: '', maxPriority: 255, expiresMs: 1 });
    expect(parseQueueAttributes('q', { ...a })).toEqual(a);
    invalid(() => parseQueueAttributes('q', { messageTtlMs: -1 }), 'messageTtlMs');
    invalid(() => parseQueueAttributes('q', { messageTtlMs: 2 ** 32 }), 'messageTtlMs');
    invalid(() => parseQueueAttributes('q', { messageTtlMs: '1000' }), 'messageTtlMs');
    invalid(() => parseQueueAttributes('q', { maxLength: 1.5 }), 'maxLength');
    invalid(() => parseQueueAttributes('q', { maxLengthBytes: -1 }), 'maxLengthBytes');
    invalid(() => parseQueueAttributes('q', { overflow: 'drop-tail' }), 'overflow');
    invalid(() => parseQueueAttributes('q', { maxPriority: 256 }), 'maxPriority');
    invalid(() => parseQueueAttributes('q', { expiresMs: 0 }), 'expiresMs');
    invalid(() => parseQueueAttributes('q', { singleActiveConsumer: 'true' }), 'singleActiveConsumer');
    invalid(() => parseQueueAttributes('q', { autoDelete: 1 }), 'autoDelete');
    invalid(() => parseQueueAttributes('q', { deadLetterExchange: 7 }), 'deadLetterExchange');
    invalid(() => parseQueueAttributes('q', { deadLetterExchange: 'x'.repeat(256) }), 'deadLetterExchange');
    invalid(() => parseQueueAttributes('q', { deadLetterRoutingKey: 'rk' }), 'deadLetterRoutingKey');
    invalid(() => parseQueueAttributes('q', { deadLetterExchange: 'dlx', deadLetterQueue: 'dlq', maxReceiveCount: 3 }), 'deadLetterExchange');
    invalid(() => parseQueueAttributes('q.fifo', { maxLength: 10 }), 'maxLength');
    invalid(() => parseQueueAttributes('q.fifo', { maxLengthBytes: 10 }), 'maxLengthBytes');
    invalid(() => parseQueueAttributes('q.fifo', { maxPriority: 10 }), 'maxPriority');
    // clearing the exchange clears its routing key
    expect(parseQueueAttributes('q', { deadLetterExchange: null }, a)).toMatchObject({ deadLetterExchange: null, deadLetterRoutingKey: null });
  });

  it('reads a record stored before these attributes existed', () => {
    const old = { fifo: false, visibilityTimeoutMs: 30_000, retentionMs: 345_600_000, delayMs: 0, maxMessageBytes: 262_144,
      receiveWaitMs: 0, deadLetterQueue: null, maxReceiveCount: null, contentBasedDeduplication: false, durable: true };
    expect(parseQueueAttributes('q', old)).toEqual(DEFAULT_QUEUE_ATTRIBUTES);
  });
});
