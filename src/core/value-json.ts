/**
 * The JSON form of a core Value (src/core/values.ts), shared by the store's message codec and the
 * admin API, so a value decodes to exactly what was encoded:
 *
 *   plain string / boolean / null     → itself
 *   plain finite number (not -0)      → itself
 *   plain NaN / ±Infinity / -0        → {"$num": "NaN" | "Infinity" | "-Infinity" | "-0"}
 *   byte short int ubyte ushort uint  → {"type": "<type>", "value": <number>}
 *   timestamp                         → {"type": "timestamp", "value": <ms number>}
 *   long ulong                        → {"type": "long", "value": "<decimal text>"}   (64 bits do not fit a JSON number)
 *   float double                      → {"type": "double", "value": <number> | "NaN" | "Infinity" | "-Infinity" | "-0"}
 *   decimal uuid symbol char          → {"type": "<type>", "value": "<text>"}
 *   binary                            → {"type": "binary", "value": "<base64>"}
 *   list                              → {"type": "list", "value": [<JSON form>, ...]}
 *   map                               → {"type": "map", "value": {"key": <JSON form>, ...}}
 *
 * valueFromJson is strict (exact keys, ranges, canonical base64) and throws BrokerError
 * INVALID_ARGUMENT naming what is wrong; the codec rewraps that as STORE_FAILED.
 */
import { BrokerError } from './errors.js';
import { isTypedValue, MAX_VALUE_DEPTH, typedValueProblem, type TypedValue, type Value } from './values.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

const SPECIAL_TEXT = new Set(['NaN', 'Infinity', '-Infinity', '-0']);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isSpecial(n: number): boolean {
  return !Number.isFinite(n) || Object.is(n, -0);
}

function specialText(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
}

function specialNumber(text: unknown): number | undefined {
  switch (text) {
    case 'NaN': return Number.NaN;
    case 'Infinity': return Number.POSITIVE_INFINITY;
    case '-Infinity': return Number.NEGATIVE_INFINITY;
    case '-0': return -0;
    default: return undefined;
  }
}

/** The JSON form of a plain number: itself, or the {"$num"} tag for the values JSON lacks. */
export function numberToJson(n: number): JsonValue {
  return isSpecial(n) ? { $num: specialText(n) } : n;
}

export function valueToJson(v: Value): JsonValue {
  if (typeof v === 'number') return numberToJson(v);
  if (!isTypedValue(v)) return v;
  return { type: v.type, value: typedPayload(v) };
}

function typedPayload(v: TypedValue): JsonValue {
  switch (v.type) {
    case 'long': case 'ulong':
      return v.value.toString();
    case 'float': case 'double':
      return isSpecial(v.value) ? specialText(v.value) : v.value;
    case 'binary':
      return v.value.toString('base64');
    case 'list':
      return v.value.map(valueToJson);
    case 'map': {
      const out: Record<string, JsonValue> = {};
      for (const [k, x] of Object.entries(v.value)) out[k] = valueToJson(x);
      return out;
    }
    default:
      return v.value;
  }
}

/** Where a value is, for error messages; a function so the text is only built on an error. */
export type Where = string | (() => string);

function bad(where: Where, why: string): never {
  throw new BrokerError('INVALID_ARGUMENT', `${typeof where === 'string' ? where : where()}: ${why}`);
}

function at(where: Where, suffix: string): () => string {
  return () => `${typeof where === 'string' ? where : where()}${suffix}`;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Parse the JSON form back into a Value. `where` names the value in error messages. */
export function valueFromJson(j: unknown, where: Where, depth = 0): Value {
  if (j === null || typeof j === 'string' || typeof j === 'boolean') return j;
  if (typeof j === 'number') return j;
  if (!isRecord(j)) bad(where, `unsupported JSON value (${Array.isArray(j) ? 'array' : typeof j})`);
  let keys = 0;
  for (const _ in j) keys += 1;
  if (keys === 1 && '$num' in j) {
    const n = specialNumber(j.$num);
    if (n === undefined) bad(where, 'bad $num tag');
    return n;
  }
  if (keys !== 2 || typeof j.type !== 'string' || !('value' in j)) bad(where, 'an object must be {"type", "value"} or {"$num"}');
  if (depth >= MAX_VALUE_DEPTH) bad(where, `lists and maps nest at most ${MAX_VALUE_DEPTH} deep`);
  const type = j.type;
  const x = j.value;
  let out: unknown;
  switch (type) {
    case 'long': case 'ulong':
      if (typeof x !== 'string' || !/^-?[0-9]{1,20}$/.test(x)) bad(where, `${type} value must be decimal text`);
      out = { type, value: BigInt(x) };
      break;
    case 'float': case 'double': {
      const n = typeof x === 'number' ? x : specialNumber(x);
      if (n === undefined || (typeof x === 'string' && !SPECIAL_TEXT.has(x))) bad(where, `${type} value must be a number`);
      out = { type, value: type === 'float' ? Math.fround(n) : n };
      break;
    }
    case 'binary':
      if (typeof x !== 'string' || !BASE64.test(x)) bad(where, 'binary value must be base64 text');
      out = { type, value: Buffer.from(x, 'base64') };
      break;
    case 'list':
      if (!Array.isArray(x)) bad(where, 'list value must be an array');
      out = { type, value: x.map((item, i) => valueFromJson(item, at(where, `[${i}]`), depth + 1)) };
      break;
    case 'map': {
      if (!isRecord(x)) bad(where, 'map value must be an object');
      const m: Record<string, Value> = {};
      for (const [k, item] of Object.entries(x)) {
        const v = valueFromJson(item, at(where, `.${k}`), depth + 1);
        // a key named __proto__ stays an ordinary entry
        if (k === '__proto__') Object.defineProperty(m, k, { value: v, enumerable: true, writable: true, configurable: true });
        else m[k] = v;
      }
      return { type, value: m }; // entries validated one by one above
    }
    default:
      out = { type, value: x };
  }
  if (type === 'list') return out as Value; // elements validated one by one above
  const p = typedValueProblem(type, (out as { value: unknown }).value, depth);
  if (p !== undefined) bad(where, p);
  return out as Value;
}
