import { describe, expect, it } from 'vitest';
import { BrokerError } from '../../../src/core/errors.js';
import { DEFAULT_STREAM_ATTRIBUTES, parseStreamAttributes } from '../../../src/core/stream/stream-attributes.js';

function failure(input: Record<string, unknown>): BrokerError {
  try {
    parseStreamAttributes('s1', input);
  } catch (err) {
    if (err instanceof BrokerError) return err;
    throw err;
  }
  throw new Error('expected INVALID_ATTRIBUTE');
}

describe('parseStreamAttributes', () => {
  it('fills defaults', () => {
    expect(parseStreamAttributes('s1', {})).toEqual({ shardCount: 1, retentionHours: 24, maxRecordBytes: 1048576 });
    expect(DEFAULT_STREAM_ATTRIBUTES.retentionHours).toBe(24);
    expect(parseStreamAttributes('s1', { shardCount: undefined, retentionHours: null })).toEqual(DEFAULT_STREAM_ATTRIBUTES);
  });

  it('accepts integers and decimal strings within limits', () => {
    expect(parseStreamAttributes('s1', { shardCount: '4', retentionHours: 8760, maxRecordBytes: 10 })).toEqual({ shardCount: 4, retentionHours: 8760, maxRecordBytes: 10 });
    expect(parseStreamAttributes('s1', { shardCount: 1024 }).shardCount).toBe(1024);
  });

  it.each([
    [{ shardCount: 0 }, 'shardCount'],
    [{ shardCount: 1025 }, 'shardCount'],
    [{ shardCount: 1.5 }, 'shardCount'],
    [{ shardCount: 'four' }, 'shardCount'],
    [{ retentionHours: 23 }, 'retentionHours'],
    [{ retentionHours: 8761 }, 'retentionHours'],
    [{ maxRecordBytes: 0 }, 'maxRecordBytes'],
    [{ maxRecordBytes: true }, 'maxRecordBytes'],
    [{ shards: 2 }, 'shards'],
  ])('rejects %j naming %s', (input, key) => {
    const err = failure(input);
    expect(err.code).toBe('INVALID_ATTRIBUTE');
    expect(err.message).toContain(`'${key}'`);
    expect(err.message).toContain('s1');
  });
});
