/**
 * The core's typed value model: what an application header (AMQP application-property, JMS
 * property, AMQP 0-9-1 header-table entry, STOMP header) can hold, with its wire type kept.
 *
 * A `Value` is either a plain JavaScript primitive (the shorthand every front-end has always
 * used) or a small tagged object `{ type, value }` that names the exact type:
 *
 * | type                             | `value` holds                                   | range / form |
 * |----------------------------------|-------------------------------------------------|--------------|
 * | plain `string`                   | —                                               | a UTF-8 string (AMQP string) |
 * | plain `boolean`, `null`          | —                                               | |
 * | plain `number`                   | —                                               | "a number with no declared width": front-ends map an integral one to int (or long past 32 bits), any other to double |
 * | `byte`, `short`, `int`           | number                                          | signed 8 / 16 / 32-bit integer |
 * | `ubyte`, `ushort`, `uint`        | number                                          | unsigned 8 / 16 / 32-bit integer |
 * | `long`                           | bigint                                          | signed 64-bit |
 * | `ulong`                          | bigint                                          | unsigned 64-bit |
 * | `float`, `double`                | number                                          | IEEE 754 (a float holds a value rounded to 32 bits); NaN, ±Infinity and -0 allowed |
 * | `decimal`                        | string                                          | exact decimal text (`-12.50`, `1E-7`), or `NaN`, `Infinity`, `-Infinity` |
 * | `timestamp`                      | number                                          | ms since the epoch, an integer |
 * | `uuid`                           | string                                          | canonical lower-case `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` |
 * | `binary`                         | Buffer                                          | bytes |
 * | `symbol`                         | string                                          | ASCII (AMQP symbol) |
 * | `char`                           | string                                          | exactly one Unicode code point |
 * | `list`                           | Value[]                                         | ordered, any element types |
 * | `map`                            | Record<string, Value>                           | string keys, any value types |
 *
 * Typed values are immutable once built: the core shares them between copies of a message
 * (fan-out, stream reads), so nobody may change a `value` (including a binary's bytes) in place.
 * Build them with the `typed.*` constructors, which check the range; `isValue` checks a value
 * that came from elsewhere. Lists and maps nest at most MAX_VALUE_DEPTH deep.
 */
import { BrokerError } from './errors.js';

export type SmallIntegerType = 'byte' | 'short' | 'int' | 'ubyte' | 'ushort' | 'uint';
export type BigIntegerType = 'long' | 'ulong';
export type FloatType = 'float' | 'double';

export type TypedValue =
  | { readonly type: SmallIntegerType; readonly value: number }
  | { readonly type: BigIntegerType; readonly value: bigint }
  | { readonly type: FloatType; readonly value: number }
  | { readonly type: 'decimal'; readonly value: string }
  | { readonly type: 'timestamp'; readonly value: number }
  | { readonly type: 'uuid'; readonly value: string }
  | { readonly type: 'binary'; readonly value: Buffer }
  | { readonly type: 'symbol'; readonly value: string }
  | { readonly type: 'char'; readonly value: string }
  | { readonly type: 'list'; readonly value: readonly Value[] }
  | { readonly type: 'map'; readonly value: Readonly<Record<string, Value>> };

export type ValueType = TypedValue['type'];
export type Value = string | number | boolean | null | TypedValue;

export const MAX_VALUE_DEPTH = 32;

const SMALL_RANGES: Record<SmallIntegerType, readonly [number, number]> = {
  byte: [-0x80, 0x7f],
  short: [-0x8000, 0x7fff],
  int: [-0x8000_0000, 0x7fff_ffff],
  ubyte: [0, 0xff],
  ushort: [0, 0xffff],
  uint: [0, 0xffff_ffff],
};

const BIG_RANGES: Record<BigIntegerType, readonly [bigint, bigint]> = {
  long: [-(2n ** 63n), 2n ** 63n - 1n],
  ulong: [0n, 2n ** 64n - 1n],
};

export const VALUE_TYPES: readonly ValueType[] = [
  'byte', 'short', 'int', 'long', 'ubyte', 'ushort', 'uint', 'ulong', 'float', 'double', 'decimal',
  'timestamp', 'uuid', 'binary', 'symbol', 'char', 'list', 'map',
];
const TYPE_SET = new Set<string>(VALUE_TYPES);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DECIMAL = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const DECIMAL_SPECIAL = new Set(['NaN', 'Infinity', '-Infinity']);
// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

function isSmallIntegerType(t: string): t is SmallIntegerType {
  return Object.hasOwn(SMALL_RANGES, t);
}
function isBigIntegerType(t: string): t is BigIntegerType {
  return t === 'long' || t === 'ulong';
}

/** Why `v` is not a valid Value, or undefined when it is. */
export function valueProblem(v: unknown, depth = 0): string | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v)) return `unsupported value type (${typeof v})`;
  let keys = 0;
  for (const _ in v) keys += 1;
  const o = v as { type?: unknown; value?: unknown };
  if (keys !== 2 || typeof o.type !== 'string' || !('value' in o)) return 'an object value must be { type, value } with a known type';
  return typedValueProblem(o.type, o.value, depth);
}

/** Why `x` is not a valid `value` for a typed value of type `t` (nested elements checked too). */
export function typedValueProblem(t: string, x: unknown, depth = 0): string | undefined {
  if (!TYPE_SET.has(t)) return `unknown value type "${t}"`;
  if (isSmallIntegerType(t)) {
    const [lo, hi] = SMALL_RANGES[t];
    return typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi ? undefined : `${t} must be an integer ${lo}..${hi}`;
  }
  if (isBigIntegerType(t)) {
    const [lo, hi] = BIG_RANGES[t];
    return typeof x === 'bigint' && x >= lo && x <= hi ? undefined : `${t} must be a bigint ${lo}..${hi}`;
  }
  switch (t) {
    case 'float':
    case 'double':
      return typeof x === 'number' ? undefined : `${t} must be a number`;
    case 'decimal':
      return typeof x === 'string' && (DECIMAL.test(x) || DECIMAL_SPECIAL.has(x)) ? undefined : 'decimal must be decimal text';
    case 'timestamp':
      return typeof x === 'number' && Number.isSafeInteger(x) ? undefined : 'timestamp must be an integer number of ms';
    case 'uuid':
      return typeof x === 'string' && UUID.test(x) ? undefined : 'uuid must be canonical lower-case text';
    case 'binary':
      return Buffer.isBuffer(x) ? undefined : 'binary must be a Buffer';
    case 'symbol':
      return typeof x === 'string' && ASCII.test(x) ? undefined : 'symbol must be ASCII text';
    case 'char':
      return typeof x === 'string' && [...x].length === 1 ? undefined : 'char must be one code point';
    case 'list': {
      if (!Array.isArray(x)) return 'list must hold an array';
      if (depth >= MAX_VALUE_DEPTH) return `lists and maps nest at most ${MAX_VALUE_DEPTH} deep`;
      for (const item of x) {
        const p = valueProblem(item, depth + 1);
        if (p !== undefined) return `list element: ${p}`;
      }
      return undefined;
    }
    case 'map': {
      if (typeof x !== 'object' || x === null || Array.isArray(x) || Buffer.isBuffer(x)) return 'map must hold a record';
      if (depth >= MAX_VALUE_DEPTH) return `lists and maps nest at most ${MAX_VALUE_DEPTH} deep`;
      for (const [k, item] of Object.entries(x)) {
        const p = valueProblem(item, depth + 1);
        if (p !== undefined) return `map entry "${k}": ${p}`;
      }
      return undefined;
    }
    default:
      return 'unknown type';
  }
}

export function isValue(v: unknown): v is Value {
  return valueProblem(v) === undefined;
}

/** A tagged value (not a plain primitive). Assumes `v` is a Value. */
export function isTypedValue(v: Value | undefined): v is TypedValue {
  return typeof v === 'object' && v !== null;
}

function make<T extends TypedValue>(v: T): T {
  const p = valueProblem(v);
  if (p !== undefined) throw new BrokerError('INVALID_ARGUMENT', p);
  return v;
}

function big(n: bigint | number, type: BigIntegerType): bigint {
  if (typeof n === 'bigint') return n;
  if (!Number.isSafeInteger(n)) throw new BrokerError('INVALID_ARGUMENT', `${type} from a number needs a safe integer, got ${n}`);
  return BigInt(n);
}

/** Range-checked constructors (throw BrokerError INVALID_ARGUMENT when out of range). */
export const typed = {
  byte: (n: number) => make({ type: 'byte', value: n }),
  short: (n: number) => make({ type: 'short', value: n }),
  int: (n: number) => make({ type: 'int', value: n }),
  long: (n: bigint | number) => make({ type: 'long', value: big(n, 'long') }),
  ubyte: (n: number) => make({ type: 'ubyte', value: n }),
  ushort: (n: number) => make({ type: 'ushort', value: n }),
  uint: (n: number) => make({ type: 'uint', value: n }),
  ulong: (n: bigint | number) => make({ type: 'ulong', value: big(n, 'ulong') }),
  float: (n: number) => make({ type: 'float', value: Math.fround(n) }),
  double: (n: number) => make({ type: 'double', value: n }),
  decimal: (text: string) => make({ type: 'decimal', value: text }),
  timestamp: (ms: number | Date) => make({ type: 'timestamp', value: typeof ms === 'number' ? ms : ms.getTime() }),
  uuid: (text: string) => make({ type: 'uuid', value: text.toLowerCase() }),
  binary: (bytes: Buffer | Uint8Array) => make({ type: 'binary', value: Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes) }),
  symbol: (text: string) => make({ type: 'symbol', value: text }),
  char: (c: string) => make({ type: 'char', value: c }),
  list: (items: readonly Value[]) => make({ type: 'list', value: items }),
  map: (entries: Readonly<Record<string, Value>>) => make({ type: 'map', value: entries }),
} as const;

/** Type-and-value equality: `typed.long(1)` ≠ `typed.int(1)` ≠ `1`; NaN equals NaN; -0 ≠ 0. */
export function valueEquals(a: Value, b: Value): boolean {
  if (!isTypedValue(a) || !isTypedValue(b)) return Object.is(a, b);
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'binary':
      return a.value.equals(b.value as Buffer);
    case 'list': {
      const bl = b.value as readonly Value[];
      return a.value.length === bl.length && a.value.every((x, i) => valueEquals(x, bl[i]!));
    }
    case 'map': {
      const bm = b.value as Readonly<Record<string, Value>>;
      const ak = Object.keys(a.value);
      return ak.length === Object.keys(bm).length && ak.every((k) => Object.hasOwn(bm, k) && valueEquals(a.value[k]!, bm[k]!));
    }
    default:
      return Object.is(a.value, b.value);
  }
}

/**
 * The number a value stands for, for numeric comparisons (SNS numeric filters): plain numbers,
 * every integer width (long/ulong converted to the nearest double), float, double, decimal
 * (parsed) and timestamp (ms). Undefined for everything else.
 */
export function valueToNumber(v: Value | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (!isTypedValue(v)) return undefined;
  switch (v.type) {
    case 'byte': case 'short': case 'int': case 'ubyte': case 'ushort': case 'uint':
    case 'float': case 'double': case 'timestamp':
      return v.value;
    case 'long': case 'ulong':
      return Number(v.value);
    case 'decimal':
      return Number(v.value);
    default:
      return undefined;
  }
}

/** The text a value stands for in string comparisons: plain strings and symbols. Undefined otherwise. */
export function valueToStringLike(v: Value | undefined): string | undefined {
  if (typeof v === 'string') return v;
  return isTypedValue(v) && v.type === 'symbol' ? v.value : undefined;
}

function numberText(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
}

/**
 * The string form of a value, for protocols whose headers are text (STOMP, MQTT 5 user
 * properties): integers of every width, timestamps (ms) and decimals as decimal text; plain
 * numbers as JavaScript's String(n) (as before typed values); float and double as the shortest
 * round-trip text (`1.5`, `NaN`, `Infinity`, and `-0` kept); uuid
 * canonical; symbol and char as their text; binary as base64; booleans `true`/`false`; null as
 * the empty string; list and map as compact JSON of their `valueToPlain` forms (arrays and
 * objects).
 */
export function valueToText(v: Value): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  switch (v.type) {
    case 'binary':
      return v.value.toString('base64');
    case 'float': case 'double':
      return numberText(v.value);
    case 'list': case 'map':
      return JSON.stringify(valueToPlain(v));
    default:
      return String(v.value);
  }
}

type Plain = string | number | boolean | null | Plain[] | { [k: string]: Plain };

/**
 * The nearest plain JavaScript (JSON-compatible) form: numbers stay numbers except long/ulong
 * outside ±2^53 (decimal text) and non-finite floats (their text); binary as base64; every other
 * scalar as its text form; lists as arrays and maps as objects of plain forms.
 */
export function valueToPlain(v: Value): Plain {
  if (!isTypedValue(v)) return typeof v === 'number' && !Number.isFinite(v) ? numberText(v) : v;
  switch (v.type) {
    case 'long': case 'ulong': {
      const n = Number(v.value);
      return Number.isSafeInteger(n) ? n : v.value.toString();
    }
    case 'byte': case 'short': case 'int': case 'ubyte': case 'ushort': case 'uint': case 'timestamp':
      return v.value;
    case 'float': case 'double':
      return Number.isFinite(v.value) ? v.value : numberText(v.value);
    case 'list':
      return v.value.map(valueToPlain);
    case 'map': {
      const out: Record<string, Plain> = {};
      for (const [k, x] of Object.entries(v.value)) out[k] = valueToPlain(x);
      return out;
    }
    default:
      return valueToText(v);
  }
}

const FIXED_SIZES: Partial<Record<ValueType, number>> = {
  byte: 1, ubyte: 1, short: 2, ushort: 2, int: 4, uint: 4, float: 4, char: 4,
  long: 8, ulong: 8, double: 8, timestamp: 8, uuid: 16,
};

/**
 * Bytes a value counts for against the max message size: strings, symbols, decimals by their
 * UTF-8 length, binary by its length, fixed-width types by their width, plain numbers, booleans
 * and null as 8, lists and maps as the sum of their elements (map keys by their UTF-8 length).
 */
export function valueSize(v: Value): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (!isTypedValue(v)) return 8;
  const fixed = FIXED_SIZES[v.type];
  if (fixed !== undefined) return fixed;
  switch (v.type) {
    case 'binary':
      return v.value.length;
    case 'list': {
      let n = 0;
      for (const x of v.value) n += valueSize(x);
      return n;
    }
    case 'map': {
      let n = 0;
      for (const [k, x] of Object.entries(v.value)) n += Buffer.byteLength(k) + valueSize(x);
      return n;
    }
    default:
      return Buffer.byteLength(v.value as string);
  }
}
