import { describe, expect, it } from 'vitest';
import { isBrokerError } from '../../src/core/errors.js';
import { createMessage } from '../../src/core/message.js';
import { typed } from '../../src/core/values.js';
import { decodeMessage, encodeMessage, upgradeMeta } from '../../src/store/message-codec.js';
import { richMessage, typedMessage } from './store-contract.js';

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
    expect(e.meta).toBe('{"v":3}');
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
    expect(decodeMessage(new Uint8Array([104, 105]), '{"v":3}').body.toString()).toBe('hi');
    expect(decodeMessage(null, '{"v":3}').body.length).toBe(0);
  });

  it('rejects non-scalar header values with INVALID_ARGUMENT', () => {
    const m = createMessage('x', { headers: { bad: [1] as unknown as string } });
    expect(failCode(() => encodeMessage(m))).toBe('INVALID_ARGUMENT');
    const outOfRange = createMessage('x', { headers: { bad: { type: 'ubyte', value: 256 } } });
    expect(failCode(() => encodeMessage(outOfRange))).toBe('INVALID_ARGUMENT');
    const unknownType = createMessage('x', { headers: { bad: { type: 'quad', value: 1 } as unknown as string } });
    expect(failCode(() => encodeMessage(unknownType))).toBe('INVALID_ARGUMENT');
  });

  it('round-trips every typed value exactly', () => {
    const m = typedMessage(1);
    const e = encodeMessage(m);
    expect(e.meta.startsWith('{"v":3,')).toBe(true);
    const d = decodeMessage(e.body, e.meta);
    expect(d).toEqual(m);
    expect(typeof (d.headers.ulong as { value: unknown }).value).toBe('bigint');
    expect(Buffer.isBuffer((d.headers.binary as { value: unknown }).value)).toBe(true);
    expect(Object.is((d.headers.double as { value: number }).value, -0)).toBe(true);
  });

  it('writes typed values in the documented JSON form', () => {
    const e = encodeMessage(createMessage('', { headers: { l: typed.long(-5), b: typed.binary(Buffer.from('hi')), n: Number.NaN, s: 'x' } }));
    expect(JSON.parse(e.meta)).toEqual({
      v: 3,
      h: { l: { type: 'long', value: '-5' }, b: { type: 'binary', value: 'aGk=' }, n: { $num: 'NaN' }, s: 'x' },
    });
  });

  it('reads v1 meta unchanged and upgrades it to the current version', () => {
    const v1 = '{"v":1,"p":{"priority":{"$num":"-0"},"messageId":"m"},"h":{"a":1,"b":"x","c":null,"d":{"$num":"Infinity"}},"t":1,"g":"g","d":"d","k":"k"}';
    const expected = createMessage('', {
      properties: { priority: -0, messageId: 'm' }, headers: { a: 1, b: 'x', c: null, d: Number.POSITIVE_INFINITY },
      persistent: false, groupId: 'g', dedupId: 'd', partitionKey: 'k',
    });
    expect(decodeMessage(null, v1)).toEqual(expected);
    const up = upgradeMeta(v1);
    expect(up).toBeDefined();
    expect(up!.startsWith('{"v":3,')).toBe(true);
    expect(decodeMessage(null, up!)).toEqual(expected);
    expect(Object.is(decodeMessage(null, up!).properties.priority, -0)).toBe(true);
    expect(upgradeMeta(up!)).toBeUndefined();
    expect(upgradeMeta('{"v":1}')).toBe('{"v":3}');
    expect(upgradeMeta('{"v":2}')).toBe('{"v":3}');
    expect(upgradeMeta('{"v":3}')).toBeUndefined();
  });

  it('persists the protocol slot, and moves the protocol details older versions kept as headers into it', () => {
    const m = createMessage('x', {
      headers: { k: 'v' },
      protocol: { amqp10: { bodyKind: 'amqp-value', messageIdType: 'uuid' }, mqtt: { publishQos: 2, topic: 'a/b' }, future: { n: typed.long(1) } },
    });
    const e = encodeMessage(m);
    expect(JSON.parse(e.meta).x).toEqual({
      amqp10: { bodyKind: 'amqp-value', messageIdType: 'uuid' }, mqtt: { publishQos: 2, topic: 'a/b' }, future: { n: { type: 'long', value: '1' } },
    });
    expect(decodeMessage(e.body, e.meta)).toEqual(m);
    expect(encodeMessage(createMessage('x', { protocol: { amqp10: {} } })).meta).toBe('{"v":3}');
    for (const v of [1, 2]) {
      const legacy = decodeMessage(null, `{"v":${v},"h":{"x-amqp-body":"string","x-mqtt-publish-qos":1,"x-mqtt-topic":"t","k":"v"}}`);
      expect(legacy.headers).toEqual({ k: 'v' });
      expect(legacy.protocol).toEqual({ amqp10: { bodyKind: 'string' }, mqtt: { publishQos: 1, topic: 't' } });
    }
    // in the current version such headers are ordinary headers (set by a client)
    const current = decodeMessage(null, '{"v":3,"h":{"x-mqtt-topic":"t"}}');
    expect(current.headers).toEqual({ 'x-mqtt-topic': 't' });
    expect(current.protocol).toBeUndefined();
  });

  it.each([
    ['not json', 'x{'],
    ['not an object', '42'],
    ['unknown version', '{"v":4}'],
    ['slot not an object', '{"v":3,"x":[1]}'],
    ['slot entry not an object', '{"v":3,"x":{"mqtt":1}}'],
    ['bad slot value', '{"v":3,"x":{"mqtt":{"publishQos":{"type":"ubyte","value":-1}}}}'],
    ['bad typed value', '{"v":2,"h":{"a":{"type":"ubyte","value":300}}}'],
    ['bad long text', '{"v":2,"h":{"a":{"type":"long","value":"1.5"}}}'],
    ['long out of range', '{"v":2,"h":{"a":{"type":"long","value":"9223372036854775808"}}}'],
    ['bad base64', '{"v":2,"h":{"a":{"type":"binary","value":"!!"}}}'],
    ['extra key', '{"v":2,"h":{"a":{"type":"int","value":1,"x":1}}}'],
    ['array header', '{"v":2,"h":{"a":[1]}}'],
    ['headers not an object', '{"v":1,"h":[1]}'],
    ['bad number tag', '{"v":1,"h":{"a":{"$num":"1"}}}'],
  ])('throws STORE_FAILED on corrupt meta (%s)', (_label, meta) => {
    expect(failCode(() => decodeMessage(Buffer.alloc(0), meta))).toBe('STORE_FAILED');
  });
});
