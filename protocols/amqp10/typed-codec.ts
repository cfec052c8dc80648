/**
 * AMQP 1.0 typed values ↔ core Values (src/core/values.ts), exactly.
 *
 * rhea decodes application-properties and message-annotations into plain JavaScript values, which
 * lose the wire type (a long and an int both become a number, a ubyte too). So the inbound side
 * decodes those two sections from the raw message bytes itself; the outbound side builds rhea's
 * typed wrappers (`rhea.types.wrap_*`) so each value is encoded with its own type code.
 *
 * | AMQP type                    | core Value                  | notes |
 * |------------------------------|-----------------------------|-------|
 * | string, boolean, null        | plain string / boolean / null | |
 * | byte short int               | byte short int              | |
 * | ubyte ushort uint            | ubyte ushort uint           | |
 * | long ulong                   | long ulong (bigint)         | |
 * | float double                 | float double                | NaN, ±Infinity, -0 kept |
 * | timestamp                    | timestamp (ms)              | beyond ±2^53 ms: long |
 * | uuid                         | uuid (canonical text)       | |
 * | binary                       | binary                      | |
 * | symbol                       | symbol                      | non-ASCII bytes: string |
 * | char                         | char                        | |
 * | list, array                  | list                        | an array comes back as a list |
 * | map                          | map                         | keys: string and symbol as their text, other scalar keys as their string form |
 * | decimal32/64/128             | decimal (exact text)        | BID encoding (amqp-decimal.ts); out as decimal128 |
 * | described                    | (dropped)                   | not carried |
 *
 * A value that contains a dropped element is dropped as a whole. Outbound, a core decimal is sent
 * as decimal128, or as its text (string) when it does not fit decimal128 exactly.
 */
import rhea from 'rhea';
import { isTypedValue, MAX_VALUE_DEPTH, valueToText, type Value } from '../../src/core/values.js';
import { decodeDecimal, encodeDecimal128 } from './amqp-decimal.js';
import { skipValue } from './amqp-codec.js';

interface Decoded {
  /** undefined: a type this mapping does not carry (the caller drops the entry). */
  value: Value | undefined;
  next: number;
}

function hexUuid(buf: Buffer, pos: number): string {
  const h = buf.toString('hex', pos, pos + 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function need(buf: Buffer, pos: number, n: number, end: number): void {
  if (pos + n > end || pos + n > buf.length) throw new RangeError('AMQP value runs past its section');
}

function symbolOrString(bytes: Buffer): Value {
  for (const b of bytes) if (b > 0x7f) return bytes.toString('utf8');
  return { type: 'symbol', value: bytes.toString('latin1') };
}

/** Decode one value whose constructor `code` was read already; `pos` is just after it. */
function decodeBody(code: number, buf: Buffer, pos: number, end: number, depth: number): Decoded {
  switch (code) {
    case 0x40: return { value: null, next: pos };
    case 0x41: return { value: true, next: pos };
    case 0x42: return { value: false, next: pos };
    case 0x56: need(buf, pos, 1, end); return { value: buf[pos] !== 0, next: pos + 1 };
    case 0x50: need(buf, pos, 1, end); return { value: { type: 'ubyte', value: buf[pos]! }, next: pos + 1 };
    case 0x60: need(buf, pos, 2, end); return { value: { type: 'ushort', value: buf.readUInt16BE(pos) }, next: pos + 2 };
    case 0x70: need(buf, pos, 4, end); return { value: { type: 'uint', value: buf.readUInt32BE(pos) }, next: pos + 4 };
    case 0x52: need(buf, pos, 1, end); return { value: { type: 'uint', value: buf[pos]! }, next: pos + 1 };
    case 0x43: return { value: { type: 'uint', value: 0 }, next: pos };
    case 0x80: need(buf, pos, 8, end); return { value: { type: 'ulong', value: buf.readBigUInt64BE(pos) }, next: pos + 8 };
    case 0x53: need(buf, pos, 1, end); return { value: { type: 'ulong', value: BigInt(buf[pos]!) }, next: pos + 1 };
    case 0x44: return { value: { type: 'ulong', value: 0n }, next: pos };
    case 0x51: need(buf, pos, 1, end); return { value: { type: 'byte', value: buf.readInt8(pos) }, next: pos + 1 };
    case 0x61: need(buf, pos, 2, end); return { value: { type: 'short', value: buf.readInt16BE(pos) }, next: pos + 2 };
    case 0x71: need(buf, pos, 4, end); return { value: { type: 'int', value: buf.readInt32BE(pos) }, next: pos + 4 };
    case 0x54: need(buf, pos, 1, end); return { value: { type: 'int', value: buf.readInt8(pos) }, next: pos + 1 };
    case 0x81: need(buf, pos, 8, end); return { value: { type: 'long', value: buf.readBigInt64BE(pos) }, next: pos + 8 };
    case 0x55: need(buf, pos, 1, end); return { value: { type: 'long', value: BigInt(buf.readInt8(pos)) }, next: pos + 1 };
    case 0x72: need(buf, pos, 4, end); return { value: { type: 'float', value: buf.readFloatBE(pos) }, next: pos + 4 };
    case 0x82: need(buf, pos, 8, end); return { value: { type: 'double', value: buf.readDoubleBE(pos) }, next: pos + 8 };
    case 0x83: {
      need(buf, pos, 8, end);
      const ms = buf.readBigInt64BE(pos);
      const n = Number(ms);
      return { value: Number.isSafeInteger(n) ? { type: 'timestamp', value: n } : { type: 'long', value: ms }, next: pos + 8 };
    }
    case 0x73: {
      need(buf, pos, 4, end);
      const cp = buf.readUInt32BE(pos);
      const ok = cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
      return { value: ok ? { type: 'char', value: String.fromCodePoint(cp) } : undefined, next: pos + 4 };
    }
    case 0x74: case 0x84: case 0x94: {
      const width = code === 0x74 ? 4 : code === 0x84 ? 8 : 16;
      need(buf, pos, width, end);
      return { value: { type: 'decimal', value: decodeDecimal(buf.subarray(pos, pos + width)) }, next: pos + width };
    }
    case 0x98: need(buf, pos, 16, end); return { value: { type: 'uuid', value: hexUuid(buf, pos) }, next: pos + 16 };
    case 0xa0: case 0xa1: case 0xa3: case 0xb0: case 0xb1: case 0xb3: {
      const wide = code >= 0xb0;
      need(buf, pos, wide ? 4 : 1, end);
      const len = wide ? buf.readUInt32BE(pos) : buf[pos]!;
      const start = pos + (wide ? 4 : 1);
      need(buf, start, len, end);
      const bytes = buf.subarray(start, start + len);
      const kind = code & 0x0f;
      const value: Value = kind === 0x0 ? { type: 'binary', value: Buffer.from(bytes) } : kind === 0x1 ? bytes.toString('utf8') : symbolOrString(bytes);
      return { value, next: start + len };
    }
    case 0x45: return { value: { type: 'list', value: [] }, next: pos };
    case 0xc0: case 0xd0: case 0xc1: case 0xd1:
      return decodeCompound(code, buf, pos, end, depth);
    case 0xe0: case 0xf0:
      return decodeArray(code, buf, pos, end, depth);
    default:
      // described values and anything unknown: skip by size, carry nothing
      return { value: undefined, next: skipValue(buf, pos - 1, end) };
  }
}

function sizeAndCount(code: number, buf: Buffer, pos: number, end: number): { count: number; start: number; stop: number } {
  const wide = (code & 0xf0) === 0xd0 || (code & 0xf0) === 0xf0;
  need(buf, pos, wide ? 8 : 2, end);
  const size = wide ? buf.readUInt32BE(pos) : buf[pos]!;
  const count = wide ? buf.readUInt32BE(pos + 4) : buf[pos + 1]!;
  const stop = pos + (wide ? 4 : 1) + size;
  need(buf, pos, stop - pos, end);
  return { count, start: pos + (wide ? 8 : 2), stop };
}

function mapKey(k: Value): string | undefined {
  if (typeof k === 'string') return k;
  if (k === null) return undefined;
  if (isTypedValue(k) && (k.type === 'list' || k.type === 'map')) return undefined;
  return isTypedValue(k) && k.type === 'symbol' ? k.value : valueToText(k);
}

function decodeCompound(code: number, buf: Buffer, pos: number, end: number, depth: number): Decoded {
  const { count, start, stop } = sizeAndCount(code, buf, pos, end);
  const deep = depth >= MAX_VALUE_DEPTH;
  let p = start;
  let ok = !deep;
  const items: Value[] = [];
  for (let i = 0; i < count; i++) {
    const d = decodeValue(buf, p, stop, depth + 1);
    p = d.next;
    if (d.value === undefined) ok = false;
    else items.push(d.value);
  }
  if (!ok) return { value: undefined, next: stop };
  if ((code & 0x0f) === 0x0) return { value: { type: 'list', value: items }, next: stop };
  const map: Record<string, Value> = {};
  for (let i = 0; i + 1 < items.length; i += 2) {
    const key = mapKey(items[i]!);
    if (key === undefined) return { value: undefined, next: stop };
    Object.defineProperty(map, key, { value: items[i + 1]!, enumerable: true, writable: true, configurable: true });
  }
  return { value: { type: 'map', value: map }, next: stop };
}

function decodeArray(code: number, buf: Buffer, pos: number, end: number, depth: number): Decoded {
  const { count, start, stop } = sizeAndCount(code, buf, pos, end);
  need(buf, start, 1, stop);
  const elementCode = buf[start]!;
  if (elementCode === 0x00 || depth >= MAX_VALUE_DEPTH) return { value: undefined, next: stop }; // described elements
  let p = start + 1;
  const items: Value[] = [];
  for (let i = 0; i < count; i++) {
    const d = decodeBody(elementCode, buf, p, stop, depth + 1);
    p = d.next;
    if (d.value === undefined) return { value: undefined, next: stop };
    items.push(d.value);
  }
  return { value: { type: 'list', value: items }, next: stop };
}

/** Decode the value at `pos`. Throws RangeError (or AmqpDecodeError) on malformed input. */
export function decodeValue(buf: Buffer, pos: number, end: number, depth = 0): Decoded {
  need(buf, pos, 1, end);
  return decodeBody(buf[pos]!, buf, pos + 1, end, depth);
}

/**
 * The entries of the map encoded at `pos` (application-properties, message-annotations), with
 * their keys as text. Entries whose value is not carried have value undefined.
 */
export function decodeMapEntries(buf: Buffer, pos: number, end: number): Array<[string, Value | undefined]> {
  const code = buf[pos];
  if (code !== 0xc1 && code !== 0xd1) throw new RangeError('expected an AMQP map');
  const { count, start, stop } = sizeAndCount(code, buf, pos + 1, end);
  const out: Array<[string, Value | undefined]> = [];
  let p = start;
  for (let i = 0; i + 1 < count; i += 2) {
    const k = decodeValue(buf, p, stop, 0);
    const v = decodeValue(buf, k.next, stop, 0);
    p = v.next;
    const key = k.value === undefined ? undefined : mapKey(k.value);
    if (key !== undefined) out.push([key, v.value]);
  }
  return out;
}

function bigBytes(v: bigint, signed: boolean): Buffer {
  const b = Buffer.alloc(8);
  if (signed) b.writeBigInt64BE(v);
  else b.writeBigUInt64BE(v);
  return b;
}

/** Signed AMQP types for plain numbers (JMS has no unsigned property types): int, long, or double. */
function plainNumber(v: number): unknown {
  if (Number.isInteger(v) && v >= -0x8000_0000 && v <= 0x7fff_ffff) return rhea.types.wrap_int(v);
  if (Number.isSafeInteger(v)) return rhea.types.wrap_long(v);
  return rhea.types.wrap_double(v);
}

/** A core Value as something rhea's encoder writes with the right type code. */
export function toRheaValue(v: Value): unknown {
  if (typeof v === 'number') return plainNumber(v);
  if (!isTypedValue(v)) return v;
  const t = rhea.types;
  switch (v.type) {
    case 'byte': return t.wrap_byte(v.value);
    case 'short': return t.wrap_short(v.value);
    case 'int': return t.wrap_int(v.value);
    case 'ubyte': return t.wrap_ubyte(v.value);
    case 'ushort': return t.wrap_ushort(v.value);
    case 'uint': return t.wrap_uint(v.value);
    case 'long': return t.wrap_long(bigBytes(v.value, true) as unknown as number);
    case 'ulong': return t.wrap_ulong(bigBytes(v.value, false) as unknown as number);
    case 'float': return t.wrap_float(v.value);
    case 'double': return t.wrap_double(v.value);
    case 'timestamp': return t.wrap_timestamp(v.value);
    case 'uuid': return t.wrap_uuid(Buffer.from(v.value.replace(/-/g, ''), 'hex'));
    case 'binary': return t.wrap_binary(v.value);
    case 'symbol': return t.wrap_symbol(v.value);
    case 'char': return t.wrap_char(v.value.codePointAt(0)!);
    case 'decimal': {
      const bytes = encodeDecimal128(v.value);
      return bytes ? (t as unknown as { Decimal128(b: Buffer): unknown }).Decimal128(bytes) : t.wrap_string(v.value);
    }
    case 'list': return t.wrap_list(v.value.map(toRheaValue));
    case 'map': {
      const m: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v.value)) Object.defineProperty(m, k, { value: toRheaValue(x), enumerable: true, writable: true, configurable: true });
      return t.wrap_map(m);
    }
    default:
      return null;
  }
}
