import { describe, expect, it } from 'vitest';
import { DEFAULT_STREAM_OFFSET, InvalidStreamOffset, TIMESTAMP_MS_THRESHOLD, parseStreamOffset } from '../../../src/core/session/stream-offset.js';
import { isBrokerError } from '../../../src/core/errors.js';

describe('parseStreamOffset (the one grammar of every front-end)', () => {
  it.each([
    ['first', 'first'],
    ['last', 'last'],
    ['next', 'next'],
    ['FIRST', 'first'],
    [' Next ', 'next'],
    ['offset=0', { seq: 0 }],
    ['offset=42', { seq: 42 }],
    ['OFFSET = 42', { seq: 42 }],
    ['offset =42', { seq: 42 }],
    ['42', { seq: 42 }],
    [' 7 ', { seq: 7 }],
    ['9007199254740991', { seq: Number.MAX_SAFE_INTEGER }],
    ['timestamp=1700000000', { timestamp: 1_700_000_000_000 }],
    ['Timestamp = 1700000000', { timestamp: 1_700_000_000_000 }],
    ['timestamp=0', { timestamp: 0 }],
    ['timestamp=1700000000123', { timestamp: 1_700_000_000_123 }],
    [`timestamp=${TIMESTAMP_MS_THRESHOLD - 1}`, { timestamp: (TIMESTAMP_MS_THRESHOLD - 1) * 1000 }],
    [`timestamp=${TIMESTAMP_MS_THRESHOLD}`, { timestamp: TIMESTAMP_MS_THRESHOLD }],
  ] as const)('%j → %j', (value, expected) => {
    expect(parseStreamOffset(value)).toEqual(expected);
  });

  it('takes typed values: a Date is a timestamp, an integer an offset; absent is next', () => {
    expect(parseStreamOffset(new Date(99))).toEqual({ timestamp: 99 });
    expect(parseStreamOffset(12)).toEqual({ seq: 12 });
    expect(parseStreamOffset(12n)).toEqual({ seq: 12 });
    expect(parseStreamOffset(undefined)).toBe('next');
    expect(DEFAULT_STREAM_OFFSET).toBe('next');
  });

  it.each([
    '', ' ', 'latest', 'beginning', '-1', '1.5', 'offset=', 'offset=-3', 'offset=abc', 'offset=1e3',
    'timestamp=', 'timestamp=-5', 'timestamp=2024-01-01', 'timestamp=1.5', 'interval=1h', '=5',
    '99999999999999999', 'offset=9007199254740993', -1, 1.5, null, {}, new Date(NaN),
  ])('%s is rejected with InvalidStreamOffset (INVALID_ARGUMENT)', (value) => {
    let err: unknown;
    try {
      parseStreamOffset(value);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidStreamOffset);
    expect(isBrokerError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as InvalidStreamOffset).detail.length).toBeGreaterThan(0);
  });

  it('rejects a bigint offset beyond the safe integers', () => {
    expect(() => parseStreamOffset(2n ** 64n)).toThrow(InvalidStreamOffset);
  });
});
