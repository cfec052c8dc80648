/**
 * The x-stream-offset header: the grammar is the session layer's (test/core/session/stream-offset.test.ts);
 * here, that STOMP passes the header through it and reports a bad value as INVALID_STREAM_OFFSET.
 */
import { describe, expect, it } from 'vitest';
import { streamOffsetHeader } from '../../../protocols/stomp/subscribe.js';
import { isStompProtocolError } from '../../../protocols/stomp/errors.js';
import { TIMESTAMP_MS_THRESHOLD } from '../../../src/core/session/stream-offset.js';

describe('x-stream-offset header', () => {
  it.each([
    ['first', 'first'],
    ['last', 'last'],
    ['next', 'next'],
    ['FIRST', 'first'],
    [' Next ', 'next'],
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
    expect(streamOffsetHeader(value)).toEqual(expected);
  });

  it('an absent header means next', () => {
    expect(streamOffsetHeader(undefined)).toBe('next');
  });

  it.each([
    '', ' ', 'latest', 'beginning', '-1', '1.5', 'offset=', 'offset=-3', 'offset=abc', 'offset=1e3',
    'timestamp=', 'timestamp=-5', 'timestamp=2024-01-01', 'timestamp=1.5', 'interval=1h', '=5',
    '99999999999999999', 'offset=9007199254740993',
  ])('%j is rejected with INVALID_STREAM_OFFSET', (value) => {
    let err: unknown;
    try {
      streamOffsetHeader(value);
    } catch (e) {
      err = e;
    }
    expect(isStompProtocolError(err, 'INVALID_STREAM_OFFSET')).toBe(true);
    expect((err as Error).message).toContain('x-stream-offset');
  });
});
