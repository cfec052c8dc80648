import { describe, expect, it } from 'vitest';
import { isBrokerError } from '../../src/core/errors.js';
import { createMessage, messageSize } from '../../src/core/message.js';
import { valueFromJson, valueToJson } from '../../src/core/value-json.js';
import {
  isTypedValue, isValue, typed, valueEquals, valueProblem, valueSize, valueToNumber, valueToPlain, valueToStringLike, valueToText,
  type Value,
} from '../../src/core/values.js';
import { typedHeaders } from '../store/store-contract.js';

function failCode(fn: () => unknown): string | undefined {
  try { fn(); } catch (err) { return isBrokerError(err) ? err.code : `other: ${String(err)}`; }
  return undefined;
}

describe('typed values', () => {
  it('constructors check ranges and build tagged objects', () => {
    expect(typed.long(5)).toEqual({ type: 'long', value: 5n });
    expect(typed.ubyte(255)).toEqual({ type: 'ubyte', value: 255 });
    expect(typed.float(0.1).value).toBe(Math.fround(0.1));
    expect(typed.uuid('0F8FAD5B-D9CB-469F-A165-70867728950E').value).toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
    expect(typed.timestamp(new Date(7))).toEqual({ type: 'timestamp', value: 7 });
    for (const bad of [
      () => typed.byte(128), () => typed.short(-32769), () => typed.int(2 ** 31), () => typed.ubyte(-1), () => typed.uint(1.5),
      () => typed.long(2n ** 63n), () => typed.ulong(-1n), () => typed.long(2 ** 60), () => typed.decimal('1,5'),
      () => typed.uuid('nope'), () => typed.symbol('é'), () => typed.char('ab'), () => typed.timestamp(1.5),
    ]) expect(failCode(bad)).toBe('INVALID_ARGUMENT');
  });

  it('isValue accepts primitives and typed values, rejects everything else', () => {
    for (const v of ['s', 1, Number.NaN, true, null, ...Object.values(typedHeaders())]) expect(isValue(v)).toBe(true);
    for (const v of [undefined, [1], {}, { type: 'int' }, { type: 'int', value: 1, x: 2 }, { type: 'bogus', value: 1 }, Buffer.from('x'), 1n]) {
      expect(isValue(v)).toBe(false);
    }
    expect(valueProblem({ type: 'list', value: [{ type: 'int', value: 'x' }] })).toMatch(/list element/);
    let deep: Value = 1;
    for (let i = 0; i < 40; i++) deep = { type: 'list', value: [deep] };
    expect(isValue(deep)).toBe(false);
  });

  it('equality is by type and value', () => {
    expect(valueEquals(typed.long(1), typed.long(1n))).toBe(true);
    expect(valueEquals(typed.long(1), typed.int(1))).toBe(false);
    expect(valueEquals(typed.int(1), 1)).toBe(false);
    expect(valueEquals(typed.double(Number.NaN), typed.double(Number.NaN))).toBe(true);
    expect(valueEquals(typed.double(-0), typed.double(0))).toBe(false);
    expect(valueEquals(typed.binary(Buffer.from('ab')), typed.binary(Buffer.from('ab')))).toBe(true);
    expect(valueEquals(typed.map({ a: typed.list([1, 'x']) }), typed.map({ a: typed.list([1, 'x']) }))).toBe(true);
    expect(valueEquals(typed.map({ a: 1 }), typed.map({ b: 1 }))).toBe(false);
    expect(valueEquals(typed.list([1]), typed.list([1, 2]))).toBe(false);
    const h = typedHeaders();
    for (const v of Object.values(h)) expect(valueEquals(v, v)).toBe(true);
  });

  it('text forms (STOMP) and plain forms', () => {
    expect(valueToText(typed.long(-(2n ** 63n)))).toBe('-9223372036854775808');
    expect(valueToText(typed.ulong(2n ** 64n - 1n))).toBe('18446744073709551615');
    expect(valueToText(typed.ubyte(7))).toBe('7');
    expect(valueToText(typed.double(-0))).toBe('-0');
    expect(valueToText(typed.float(Number.NaN))).toBe('NaN');
    expect(valueToText(typed.timestamp(1700000000123))).toBe('1700000000123');
    expect(valueToText(typed.binary(Buffer.from('hi')))).toBe('aGk=');
    expect(valueToText(typed.symbol('sym'))).toBe('sym');
    expect(valueToText(typed.decimal('1.50'))).toBe('1.50');
    expect(valueToText(typed.list([1, typed.long(2), 'x', typed.map({ k: typed.ulong(2n ** 64n - 1n) })]))).toBe('[1,2,"x",{"k":"18446744073709551615"}]');
    expect(valueToText(null)).toBe('');
    expect(valueToText(false)).toBe('false');
    expect(valueToPlain(typed.long(12))).toBe(12);
    expect(valueToPlain(typed.long(2n ** 60n))).toBe('1152921504606846976');
  });

  it('numeric and string views for filters', () => {
    expect(valueToNumber(typed.long(2n ** 40n))).toBe(2 ** 40);
    expect(valueToNumber(typed.ubyte(3))).toBe(3);
    expect(valueToNumber(typed.float(1.5))).toBe(1.5);
    expect(valueToNumber(typed.decimal('2.25'))).toBe(2.25);
    expect(valueToNumber(5)).toBe(5);
    expect(valueToNumber('5')).toBeUndefined();
    expect(valueToNumber(typed.symbol('5'))).toBeUndefined();
    expect(valueToStringLike(typed.symbol('s'))).toBe('s');
    expect(valueToStringLike('s')).toBe('s');
    expect(valueToStringLike(typed.uuid('00000000-0000-0000-0000-000000000000'))).toBeUndefined();
    expect(isTypedValue('s')).toBe(false);
  });

  it('sizes count fixed widths, text and bytes; messageSize counts typed headers', () => {
    expect(valueSize(typed.ubyte(1))).toBe(1);
    expect(valueSize(typed.long(1))).toBe(8);
    expect(valueSize(typed.uuid('00000000-0000-0000-0000-000000000000'))).toBe(16);
    expect(valueSize(typed.binary(Buffer.alloc(1000)))).toBe(1000);
    expect(valueSize(typed.symbol('abc'))).toBe(3);
    expect(valueSize(typed.list([typed.binary(Buffer.alloc(10)), 'ab']))).toBe(12);
    expect(valueSize(typed.map({ key: typed.int(1) }))).toBe(7);
    expect(valueSize(5)).toBe(8);
    expect(messageSize(createMessage('12345', { headers: { b: typed.binary(Buffer.alloc(100)) } }))).toBe(5 + 1 + 100);
  });

  it('JSON form round-trips every value exactly and is strict', () => {
    for (const v of Object.values(typedHeaders())) {
      const back = valueFromJson(JSON.parse(JSON.stringify(valueToJson(v))), 'v');
      expect(valueEquals(back, v)).toBe(true);
    }
    expect(valueToJson(typed.long(-1))).toEqual({ type: 'long', value: '-1' });
    expect(valueToJson(Number.NEGATIVE_INFINITY)).toEqual({ $num: '-Infinity' });
    const proto = valueFromJson(JSON.parse('{"type":"map","value":{"__proto__":1}}'), 'v') as { value: Record<string, Value> };
    expect(Object.keys(proto.value)).toEqual(['__proto__']);
    for (const bad of [
      [1], { type: 'long', value: 1 }, { type: 'double', value: 'x' }, { type: 'binary', value: 'a' }, { type: 'int', value: 2 ** 40 },
      { $num: 'x' }, { type: 'list', value: {} }, { type: 'map', value: [] },
    ]) expect(failCode(() => valueFromJson(bad, 'v'))).toBe('INVALID_ARGUMENT');
  });
});
