import { describe, expect, it } from 'vitest';
import { BrokerError } from '../../../src/core/errors.js';
import { defaultTopicAttributes, parseTopicAttributes } from '../../../src/core/topic/topic-attributes.js';

describe('parseTopicAttributes', () => {
  it('derives fifo from the name and defaults the rest', () => {
    expect(parseTopicAttributes('orders', {})).toEqual({ fifo: false, contentBasedDeduplication: false });
    expect(parseTopicAttributes('orders.fifo', undefined)).toEqual({ fifo: true, contentBasedDeduplication: false });
    expect(parseTopicAttributes('orders.fifo', null)).toEqual(defaultTopicAttributes('orders.fifo'));
  });

  it('accepts core and SNS spellings, booleans and "true"/"false" strings', () => {
    expect(parseTopicAttributes('o.fifo', { fifo: true, contentBasedDeduplication: true })).toEqual({ fifo: true, contentBasedDeduplication: true });
    expect(parseTopicAttributes('o.fifo', { FifoTopic: 'true', ContentBasedDeduplication: 'TRUE' })).toEqual({ fifo: true, contentBasedDeduplication: true });
    expect(parseTopicAttributes('o', { FifoTopic: 'false', ContentBasedDeduplication: false })).toEqual({ fifo: false, contentBasedDeduplication: false });
    expect(parseTopicAttributes('o', { fifo: undefined })).toEqual({ fifo: false, contentBasedDeduplication: false });
  });

  it('round-trips its own output', () => {
    const parsed = parseTopicAttributes('o.fifo', { ContentBasedDeduplication: 'true' });
    expect(parseTopicAttributes('o.fifo', { ...parsed })).toEqual(parsed);
  });

  const INVALID: Array<[string, string, unknown, string]> = [
    ['fifo on a standard name', 'orders', { fifo: true }, 'must end in ".fifo"'],
    ['fifo false on a .fifo name', 'orders.fifo', { FifoTopic: 'false' }, 'FifoTopic cannot be false'],
    ['content dedup on a standard topic', 'orders', { contentBasedDeduplication: true }, 'only valid on FIFO topics'],
    ['unknown attribute', 'orders', { DisplayName: 'x' }, 'unknown attribute "DisplayName"'],
    ['non-boolean value', 'orders.fifo', { fifo: 1 }, 'fifo must be true or false, got 1'],
    ['non-boolean string', 'orders.fifo', { ContentBasedDeduplication: 'yes' }, 'must be true or false, got "yes"'],
    ['conflicting spellings', 'orders.fifo', { contentBasedDeduplication: true, ContentBasedDeduplication: 'false' }, 'disagree'],
    ['not an object', 'orders', ['fifo'], 'attributes must be an object'],
  ];

  it.each(INVALID)('rejects %s', (_d, name, input, fragment) => {
    let caught: unknown;
    try {
      parseTopicAttributes(name, input as Record<string, unknown>);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(BrokerError);
    expect((caught as BrokerError).code).toBe('INVALID_ATTRIBUTE');
    expect((caught as BrokerError).message).toContain(fragment);
  });
});

describe('topic maxMessageBytes', () => {
  it('is absent by default (the broker limit applies), kept when given, and bounded by the broker limit', () => {
    expect(parseTopicAttributes('t', {})).not.toHaveProperty('maxMessageBytes');
    expect(parseTopicAttributes('t', { maxMessageBytes: 100 }, { maxMessageBytes: 4096 })).toEqual({ fifo: false, contentBasedDeduplication: false, maxMessageBytes: 100 });
    const parsed = parseTopicAttributes('t', { maxMessageBytes: 4096 }, { maxMessageBytes: 4096 });
    expect(parseTopicAttributes('t', { ...parsed })).toEqual(parsed);
    for (const bad of [0, 4097, 1.5, '100', null]) {
      expect(() => parseTopicAttributes('t', { maxMessageBytes: bad }, { maxMessageBytes: 4096 }), String(bad)).toThrow(/maxMessageBytes must be an integer between 1 and 4096/);
    }
  });
});
