import { describe, expect, it } from 'vitest';
import { isBrokerError } from '../../src/core/errors.js';
import { createMessage } from '../../src/core/message.js';
import { decodeMessage, encodeMessage } from '../../src/store/message-codec.js';
import { richMessage } from './store-contract.js';

function failCode(fn: () => unknown): string | undefined {
  try { fn(); } catch (err) { return isBrokerError(err) ? err.code : `other: ${String(err)}`; }
  return undefined;
}

describe('message codec', () => {
  it('round-trips every field of a message', () => {
    const m = richMessage(3);
    const e = encodeMessage(m);
    expect(decodeMessage(e.body, e.meta)).toEqual(m);
  });

  it('keeps a minimal message minimal', () => {
    const m = createMessage('hi');
    const e = encodeMessage(m);
    expect(e.meta).toBe('{"v":1}');
    expect(decodeMessage(e.body, e.meta)).toEqual(m);
  });

  it('preserves NaN, ±Infinity and -0 in headers and properties', () => {
    const m = createMessage('', { headers: { a: Number.NaN, b: Number.NEGATIVE_INFINITY, c: -0, d: 0, e: Number.POSITIVE_INFINITY }, properties: { priority: -0 } });
    const e = encodeMessage(m);
    const d = decodeMessage(e.body, e.meta);
    expect(Number.isNaN(d.headers.a)).toBe(true);
    expect(d.headers.b).toBe(Number.NEGATIVE_INFINITY);
    expect(d.headers.e).toBe(Number.POSITIVE_INFINITY);
    expect(Object.is(d.headers.c, -0)).toBe(true);
    expect(Object.is(d.headers.d, 0)).toBe(true);
    expect(Object.is(d.properties.priority, -0)).toBe(true);
  });

  it('copies the body and decodes a Uint8Array or null body', () => {
    const body = Buffer.from('abc');
    const e = encodeMessage(createMessage(body));
    body[0] = 0x7a;
    expect(e.body.toString()).toBe('abc');
    expect(decodeMessage(new Uint8Array([104, 105]), '{"v":1}').body.toString()).toBe('hi');
    expect(decodeMessage(null, '{"v":1}').body.length).toBe(0);
  });

  it('rejects non-scalar header values with INVALID_ARGUMENT', () => {
    const m = createMessage('x', { headers: { bad: [1] as unknown as string } });
    expect(failCode(() => encodeMessage(m))).toBe('INVALID_ARGUMENT');
  });

  it.each([
    ['not json', 'x{'],
    ['not an object', '42'],
    ['unknown version', '{"v":2}'],
    ['headers not an object', '{"v":1,"h":[1]}'],
    ['bad number tag', '{"v":1,"h":{"a":{"$num":"1"}}}'],
  ])('throws STORE_FAILED on corrupt meta (%s)', (_label, meta) => {
    expect(failCode(() => decodeMessage(Buffer.alloc(0), meta))).toBe('STORE_FAILED');
  });
});
