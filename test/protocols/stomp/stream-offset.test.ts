import { describe, expect, it } from 'vitest';
import { DEFAULT_STREAM_OFFSET, TIMESTAMP_MS_THRESHOLD, parseStreamOffset } from '../../../protocols/stomp/stream-offset.js';
import { isStompProtocolError } from '../../../protocols/stomp/errors.js';

describe('parseStreamOffset', () => {
  it.each([
    ['first', { kind: 'first' }],
    ['last', { kind: 'last' }],
    ['next', { kind: 'next' }],
    ['FIRST', { kind: 'first' }],
    [' Next ', { kind: 'next' }],
    ['offset=0', { seq: 0 }],
    ['offset=42', { seq: 42 }],
    ['OFFSET = 42', { seq: 42 }],
    ['42', { seq: 42 }],
    ['0', { seq: 0 }],
    ['9007199254740991', { seq: Number.MAX_SAFE_INTEGER }],
    ['timestamp=1700000000', { timestamp: 1_700_000_000_000 }],
    ['timestamp=0', { timestamp: 0 }],
    ['timestamp=1700000000123', { timestamp: 1_700_000_000_123 }],
    [`timestamp=${TIMESTAMP_MS_THRESHOLD - 1}`, { timestamp: (TIMESTAMP_MS_THRESHOLD - 1) * 1000 }],
    [`timestamp=${TIMESTAMP_MS_THRESHOLD}`, { timestamp: TIMESTAMP_MS_THRESHOLD }],
  ] as const)('%j → %j', (value, expected) => {
    expect(parseStreamOffset(value)).toEqual(expected);
  });

  it('an absent header means next', () => {
    expect(parseStreamOffset(undefined)).toEqual({ kind: 'next' });
    expect(DEFAULT_STREAM_OFFSET).toEqual({ kind: 'next' });
  });

  it.each([
    '', ' ', 'latest', 'beginning', '-1', '1.5', 'offset=', 'offset=-3', 'offset=abc', 'offset=1e3',
    'timestamp=', 'timestamp=-5', 'timestamp=2024-01-01', 'timestamp=1.5', 'interval=1h', '=5',
    '99999999999999999', 'offset=9007199254740993',
  ])('%j is rejected with INVALID_STREAM_OFFSET', (value) => {
    let err: unknown;
    try {
      parseStreamOffset(value);
    } catch (e) {
      err = e;
    }
    expect(isStompProtocolError(err, 'INVALID_STREAM_OFFSET')).toBe(true);
    expect((err as Error).message).toContain('x-stream-offset');
  });
});
