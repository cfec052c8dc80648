import rhea from 'rhea';
import { describe, expect, it } from 'vitest';
import { createMessage } from '../../../src/core/message.js';
import { typed, valueEquals, type Value } from '../../../src/core/values.js';
import { Descriptor, sectionValue } from '../../../protocols/amqp10/amqp-codec.js';
import { fromAmqp } from '../../../protocols/amqp10/message-in.js';
import { toAmqp } from '../../../protocols/amqp10/message-out.js';
import { decodeMapEntries, toRheaValue } from '../../../protocols/amqp10/typed-codec.js';

const ctx = { userId: 'u', now: 1_000_000 };
const decode = (b: Buffer) => rhea.message.decode(b) as unknown as Parameters<typeof fromAmqp>[0];

function appEntries(encoded: Buffer): Array<[string, Value | undefined]> {
  const pos = sectionValue(encoded, Descriptor.applicationProperties)!;
  return decodeMapEntries(encoded, pos, encoded.length);
}

const EXACT: Record<string, Value> = {
  byte: typed.byte(-128), short: typed.short(32767), int: typed.int(-2147483648), long: typed.long(-(2n ** 63n)), smallLong: typed.long(-3),
  ubyte: typed.ubyte(255), ushort: typed.ushort(65535), uint: typed.uint(4294967295), uint0: typed.uint(0),
  ulong: typed.ulong(2n ** 64n - 1n), ulong0: typed.ulong(0), ulongSmall: typed.ulong(9),
  float: typed.float(-0.5), floatNaN: typed.float(Number.NaN), double: typed.double(-0), doubleInf: typed.double(Number.POSITIVE_INFINITY),
  timestamp: typed.timestamp(-5), uuid: typed.uuid('0f8fad5b-d9cb-469f-a165-70867728950e'), binary: typed.binary(Buffer.alloc(300, 7)),
  decimal: typed.decimal('-12345678901234567890.000001'), decimalNaN: typed.decimal('NaN'),
  symbol: typed.symbol('s'), char: typed.char('😀'), string: 'é'.repeat(200), t: true, f: false, n: null,
  list: typed.list([typed.long(1), 'two', typed.list([]), typed.map({ k: typed.binary(Buffer.from('x')) })]),
  map: typed.map({ a: typed.ubyte(1), b: typed.map({ c: typed.list([null, true]) }) }),
};

describe('AMQP 1.0 typed codec', () => {
  it('every core type goes out with its own AMQP type and comes back identical', () => {
    const encoded = toAmqp(createMessage('x', { headers: EXACT }), { now: 0 });
    const back = Object.fromEntries(appEntries(encoded));
    expect(Object.keys(back)).toEqual(Object.keys(EXACT));
    for (const [k, v] of Object.entries(EXACT)) expect(valueEquals(back[k]!, v), k).toBe(true);
    const core = fromAmqp(decode(encoded), encoded, ctx).message;
    for (const [k, v] of Object.entries(EXACT)) expect(valueEquals(core.headers[k]!, v), k).toBe(true);
  });

  it('plain numbers go out as int, long or double; decimals as decimal128, or their text when too long', () => {
    const headers = { i: 5, l: 2 ** 40, d: 1.5, dec: typed.decimal('1.50'), long: typed.decimal('1'.repeat(40)) };
    const encoded = toAmqp(createMessage('x', { headers }), { now: 0 });
    const entries = Object.fromEntries(appEntries(encoded));
    expect(entries).toEqual({ i: typed.int(5), l: typed.long(2 ** 40), d: typed.double(1.5), dec: typed.decimal('1.50'), long: '1'.repeat(40) });
    const out = rhea.message.decode(encoded);
    expect(out.application_properties).toMatchObject({ i: 5, l: 2 ** 40, d: 1.5, long: '1'.repeat(40) });
    expect((out.application_properties as Record<string, Buffer>).dec!.toString('hex')).toBe('303c0000000000000000000000000096');
  });

  it('arrays become lists, non-string map keys their text, decimal32/64 decimals; described values are dropped', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const t = rhea.types as any;
    const encoded = rhea.message.encode({
      body: 'x',
      application_properties: {
        arr: t.wrap_array([1, 2, 3], 0x71, undefined),
        keys: { toRheaTyped: () => t.Map32([t.wrap_int(1), t.wrap_string('one'), t.wrap_symbol('s'), t.wrap_string('sym')]) },
        dec: t.Decimal64(Buffer.from('31c0000000000001', 'hex')),
        withDec: t.wrap_list([t.wrap_int(1), t.Decimal32(Buffer.from('32800001', 'hex'))]),
        described: t.described(t.wrap_symbol('x:y'), t.wrap_string('v')),
        withDescribed: t.wrap_list([t.wrap_int(1), t.described(t.wrap_symbol('x:y'), t.wrap_string('v'))]),
        ok: t.wrap_ushort(7),
      },
    } as never);
    const core = fromAmqp(decode(encoded), encoded, ctx).message;
    expect(core.headers).toEqual({
      arr: typed.list([typed.int(1), typed.int(2), typed.int(3)]),
      keys: typed.map({ 1: 'one', s: 'sym' }),
      dec: typed.decimal('1'),
      withDec: typed.list([typed.int(1), typed.decimal('1')]),
      ok: typed.ushort(7),
    });
  });

  it('toRheaValue writes 64-bit values exactly', () => {
    const w = new (rhea.types as unknown as { Writer: new () => { write(o: unknown): void; toBuffer(): Buffer } }).Writer();
    w.write(toRheaValue(typed.ulong(2n ** 64n - 2n)));
    expect(w.toBuffer().toString('hex')).toBe('80fffffffffffffffe');
  });
});
