/**
 * AMQP 0-9-1 field tables and arrays ↔ the core's typed values (src/core/values.ts).
 *
 * Type tags are RabbitMQ's, not the 0-9-1 grammar's (RabbitMQ's "amqp0-9-1 errata": `s` is a
 * signed 16-bit short, not a short string; `l` a signed 64-bit long; `x` a byte array; no `U`;
 * `b` signed), which is also what amqplib, pika and the Java client encode. `L` (unsigned 64) is
 * read but only written for a ulong above 2^63 - 1:
 *
 * | tag | wire                         | core value                      |
 * |-----|------------------------------|---------------------------------|
 * | t   | boolean octet                | boolean                         |
 * | b/B | int8 / uint8                 | byte / ubyte                    |
 * | s/u | int16 / uint16               | short / ushort                  |
 * | I/i | int32 / uint32               | int / uint                      |
 * | l/L | int64 / uint64               | long / ulong                    |
 * | f/d | float / double               | float / double                  |
 * | D   | scale octet + uint32 digits  | decimal (text, e.g. `12.50`)    |
 * | S   | longstr                      | string (UTF-8), binary when not valid UTF-8 |
 * | x   | byte array                   | binary                          |
 * | A   | field array                  | list                            |
 * | T   | uint64 seconds               | timestamp (ms = seconds × 1000) |
 * | F   | nested table                 | map                             |
 * | V   | void                         | null                            |
 *
 * Encoding picks the tag from the core type; the lossy cases are: a plain number (int `I` when
 * it is an integer in 32 bits, long `l` in 64, else double `d`); ulong as `l` when it fits
 * (amqplib cannot read `L`); a decimal that is not `digits[.digits]` within 255 places and 2^32
 * as its text (`S`); a timestamp's milliseconds below a second are cut; uuid, symbol and char as
 * their text (`S`).
 */
import { MAX_VALUE_DEPTH, typed, type Value } from '../../../src/core/values.js';
import { syntaxError } from '../errors.js';
import { tryUtf8, type WireReader } from './wire-reader.js';
import type { WireWriter } from './wire-writer.js';

export type FieldTable = Record<string, Value>;

const INT64_MAX = 2n ** 63n - 1n;

export function readTable(r: WireReader, depth = 0): FieldTable {
  const size = r.long();
  if (size > r.remaining) throw syntaxError('field table longer than its frame');
  const end = r.pos + size;
  const out: FieldTable = {};
  while (r.pos < end) {
    const key = r.shortstr();
    const value = readValue(r, depth);
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  if (r.pos !== end) throw syntaxError('field table entry overruns the table');
  return out;
}

function readArray(r: WireReader, depth: number): Value[] {
  const size = r.long();
  if (size > r.remaining) throw syntaxError('field array longer than its frame');
  const end = r.pos + size;
  const out: Value[] = [];
  while (r.pos < end) out.push(readValue(r, depth));
  if (r.pos !== end) throw syntaxError('field array entry overruns the array');
  return out;
}

function decimalText(scale: number, digits: number): string {
  if (scale === 0) return String(digits);
  const s = String(digits).padStart(scale + 1, '0');
  return `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
}

export function readValue(r: WireReader, depth: number): Value {
  const tag = r.octet();
  switch (tag) {
    case 0x74: return r.octet() !== 0; // t
    case 0x62: return typed.byte(r.int8()); // b
    case 0x42: return typed.ubyte(r.octet()); // B
    case 0x73: return typed.short(r.int16()); // s
    case 0x75: return typed.ushort(r.short()); // u
    case 0x49: return typed.int(r.int32()); // I
    case 0x69: return typed.uint(r.long()); // i
    case 0x6c: return typed.long(r.int64()); // l
    case 0x4c: return typed.ulong(r.ulonglong()); // L
    case 0x66: return { type: 'float', value: r.float() }; // f
    case 0x64: return { type: 'double', value: r.double() }; // d
    case 0x44: { // D
      const scale = r.octet();
      return typed.decimal(decimalText(scale, r.long()));
    }
    case 0x53: { // S
      const b = r.longstrBytes();
      const s = tryUtf8(b);
      return s !== undefined ? s : typed.binary(Buffer.from(b));
    }
    case 0x78: return typed.binary(Buffer.from(r.longstrBytes())); // x
    case 0x41: // A
      if (depth >= MAX_VALUE_DEPTH) throw syntaxError(`field arrays and tables nest at most ${MAX_VALUE_DEPTH} deep`);
      return { type: 'list', value: readArray(r, depth + 1) };
    case 0x46: // F
      if (depth >= MAX_VALUE_DEPTH) throw syntaxError(`field arrays and tables nest at most ${MAX_VALUE_DEPTH} deep`);
      return { type: 'map', value: readTable(r, depth + 1) };
    case 0x54: { // T
      const seconds = r.ulonglong();
      const ms = Number(seconds) * 1000;
      return Number.isSafeInteger(ms) ? typed.timestamp(ms) : typed.ulong(seconds);
    }
    case 0x56: return null; // V
    default:
      throw syntaxError(`unknown field value type '${String.fromCharCode(tag)}' (0x${tag.toString(16)})`);
  }
}

export function writeTable(w: WireWriter, table: Readonly<Record<string, Value>>): void {
  const at = w.reserveLength();
  for (const [k, v] of Object.entries(table)) {
    w.shortstr(k);
    writeValue(w, v);
  }
  w.patchLength(at);
}

const DECIMAL_PLAIN = /^(\d*)(?:\.(\d+))?$/;

/** `digits[.digits]` with at most 255 places and digits below 2^32 → [scale, digits]. */
function decimalParts(text: string): [number, number] | undefined {
  const m = DECIMAL_PLAIN.exec(text);
  if (!m || (m[1] === '' && m[2] === undefined)) return undefined;
  const frac = m[2] ?? '';
  if (frac.length > 255) return undefined;
  const digits = Number(`${m[1]}${frac}`);
  if (!Number.isSafeInteger(digits) || digits > 0xffff_ffff) return undefined;
  return [frac.length, digits];
}

function tag(w: WireWriter, c: string): void {
  w.octet(c.charCodeAt(0));
}

export function writeValue(w: WireWriter, v: Value): void {
  if (v === null) return tag(w, 'V');
  if (typeof v === 'boolean') {
    tag(w, 't');
    return w.octet(v ? 1 : 0);
  }
  if (typeof v === 'string') {
    tag(w, 'S');
    return w.longstr(v);
  }
  if (typeof v === 'number') {
    const integral = Number.isInteger(v) && !Object.is(v, -0);
    if (integral && v >= -0x8000_0000 && v <= 0x7fff_ffff) {
      tag(w, 'I');
      return w.int32(v);
    }
    if (integral && Number.isSafeInteger(v)) {
      tag(w, 'l');
      return w.int64(BigInt(v));
    }
    tag(w, 'd');
    return w.double(v);
  }
  switch (v.type) {
    case 'byte': tag(w, 'b'); return w.int8(v.value);
    case 'ubyte': tag(w, 'B'); return w.octet(v.value);
    case 'short': tag(w, 's'); return w.int16(v.value);
    case 'ushort': tag(w, 'u'); return w.short(v.value);
    case 'int': tag(w, 'I'); return w.int32(v.value);
    case 'uint': tag(w, 'i'); return w.long(v.value);
    case 'long': tag(w, 'l'); return w.int64(v.value);
    case 'ulong':
      if (v.value <= INT64_MAX) {
        tag(w, 'l');
        return w.int64(v.value);
      }
      tag(w, 'L');
      return w.longlong(v.value);
    case 'float': tag(w, 'f'); return w.float(v.value);
    case 'double': tag(w, 'd'); return w.double(v.value);
    case 'decimal': {
      const parts = decimalParts(v.value);
      if (!parts) {
        tag(w, 'S');
        return w.longstr(v.value);
      }
      tag(w, 'D');
      w.octet(parts[0]);
      return w.long(parts[1]);
    }
    case 'timestamp':
      tag(w, 'T');
      return w.longlong(BigInt(Math.max(0, Math.floor(v.value / 1000))));
    case 'binary':
      tag(w, 'x');
      return w.longstr(v.value);
    case 'uuid': case 'symbol': case 'char':
      tag(w, 'S');
      return w.longstr(v.value);
    case 'list': {
      tag(w, 'A');
      const at = w.reserveLength();
      for (const x of v.value) writeValue(w, x);
      return w.patchLength(at);
    }
    case 'map':
      tag(w, 'F');
      return writeTable(w, v.value);
  }
}
