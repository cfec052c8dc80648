/**
 * SQS MessageAttributes ↔ core typed headers, and MD5OfMessageAttributes.
 *
 * | SQS DataType     | core header value                   | back to SQS                          |
 * |------------------|-------------------------------------|--------------------------------------|
 * | `String`         | plain string                        | `String`                             |
 * | `Number`         | `decimal` typed value (exact text)  | `Number`, the same text              |
 * | `Binary`         | `binary` typed value                | `Binary`                             |
 * | `<base>.<custom>`| as its base; the full DataType is kept in the message's `sqs` protocol slot (`dataTypes`) | the full DataType |
 *
 * Headers other protocols set: numbers of every width, finite floats, decimals and timestamps
 * (ms) become `Number` (their text), binary `Binary`, everything else (booleans, uuid, symbol,
 * char, lists and maps as JSON) `String` by its text form (valueToText); null headers are left out.
 */
import { createHash } from 'node:crypto';
import type { Headers, Message } from '../../../src/core/message.js';
import { isTypedValue, typed, valueToText, type Value } from '../../../src/core/values.js';
import type { Input } from './params.js';
import { sqsError } from './sqs-errors.js';

export const MAX_MESSAGE_ATTRIBUTES = 10;

export type BaseDataType = 'String' | 'Number' | 'Binary';

export interface SqsAttribute {
  dataType: string;
  base: BaseDataType;
  /** String and Number: the text; Binary: the bytes. */
  value: string | Buffer;
}

/** Characters SQS allows in message bodies and string attribute values (XML 1.0's Char production). */
// eslint-disable-next-line no-control-regex
const INVALID_CHARS = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const DECIMAL = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;

export function hasInvalidChars(s: string): boolean {
  return INVALID_CHARS.test(s);
}

function invalid(what: string, reason: string): never {
  throw sqsError('invalidParameterValue', `Value for parameter ${what} is invalid. Reason: ${reason}`);
}

function nameProblem(name: string): string | undefined {
  if (!ATTRIBUTE_NAME.test(name)) return 'Message attribute names can contain only A-Z, a-z, 0-9, underscore, hyphen and period, up to 256 characters.';
  if (name.startsWith('.') || name.endsWith('.') || name.includes('..')) return 'Message attribute names cannot start or end with a period or contain two periods in a row.';
  if (/^(aws|amazon)\./i.test(name)) return 'Message attribute names starting with AWS. or Amazon. are reserved.';
  return undefined;
}

function baseOf(dataType: string): BaseDataType | undefined {
  const base = dataType.split('.', 1)[0];
  return base === 'String' || base === 'Number' || base === 'Binary' ? base : undefined;
}

/** Validate a request's MessageAttributes (JSON shape: BinaryValue in base64). Sorted by name. */
export function parseMessageAttributes(raw: Record<string, Input>, what = 'MessageAttributes'): Map<string, SqsAttribute> {
  const names = Object.keys(raw).sort();
  if (names.length > MAX_MESSAGE_ATTRIBUTES) invalid(what, `Number of message attributes [${names.length}] exceeds the allowed maximum [${MAX_MESSAGE_ATTRIBUTES}].`);
  const out = new Map<string, SqsAttribute>();
  for (const name of names) {
    const problem = nameProblem(name);
    if (problem) invalid(`${what}.${name}`, problem);
    const v = raw[name]!;
    const dataType = v['DataType'];
    if (typeof dataType !== 'string' || dataType === '') invalid(`${what}.${name}`, 'The message attribute must have a DataType.');
    const base = baseOf(dataType);
    if (!base || dataType.length > 256 || (dataType !== base && dataType.length <= base.length + 1)) {
      invalid(`${what}.${name}`, `The type of message attribute is invalid: ${dataType}. Types are String, Number or Binary, with an optional .suffix.`);
    }
    if (base === 'Binary') {
      const b = v['BinaryValue'];
      if (typeof b !== 'string' || b === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(b)) invalid(`${what}.${name}`, 'A Binary message attribute needs a non-empty base64 BinaryValue.');
      out.set(name, { dataType, base, value: Buffer.from(b, 'base64') });
      continue;
    }
    const s = v['StringValue'];
    if (typeof s !== 'string' || s === '') invalid(`${what}.${name}`, `A ${base} message attribute needs a non-empty StringValue.`);
    if (hasInvalidChars(s)) invalid(`${what}.${name}`, 'The message attribute value contains characters outside the allowed set.');
    if (base === 'Number' && !DECIMAL.test(s)) invalid(`${what}.${name}`, `Can't convert "${s}" to a number.`);
    out.set(name, { dataType, base, value: s });
  }
  return out;
}

/** Bytes the attributes count for against MaximumMessageSize (name + DataType + value, as SQS counts). */
export function attributesSize(attrs: ReadonlyMap<string, SqsAttribute>): number {
  let n = 0;
  for (const [name, a] of attrs) {
    n += Buffer.byteLength(name) + Buffer.byteLength(a.dataType) + (typeof a.value === 'string' ? Buffer.byteLength(a.value) : a.value.length);
  }
  return n;
}

/** Core headers and the slot's custom DataTypes for a request's attributes. */
export function attributesToHeaders(attrs: ReadonlyMap<string, SqsAttribute>): { headers: Headers; dataTypes: Record<string, Value> | undefined } {
  const headers: Headers = {};
  let dataTypes: Record<string, Value> | undefined;
  for (const [name, a] of attrs) {
    headers[name] = a.base === 'String' ? (a.value as string) : a.base === 'Number' ? typed.decimal(a.value as string) : typed.binary(a.value as Buffer);
    if (a.dataType !== a.base) (dataTypes ??= {})[name] = a.dataType;
  }
  return { headers, dataTypes };
}

function headerToAttribute(v: Value): Omit<SqsAttribute, 'dataType'> | undefined {
  if (v === null) return undefined;
  if (typeof v === 'string') return { base: 'String', value: v };
  if (typeof v === 'number') return Number.isFinite(v) ? { base: 'Number', value: String(v) } : { base: 'String', value: valueToText(v) };
  if (!isTypedValue(v)) return { base: 'String', value: valueToText(v) };
  switch (v.type) {
    case 'binary':
      return { base: 'Binary', value: v.value };
    case 'byte': case 'short': case 'int': case 'long': case 'ubyte': case 'ushort': case 'uint': case 'ulong': case 'timestamp':
      return { base: 'Number', value: valueToText(v) };
    case 'float': case 'double':
      return Number.isFinite(v.value) ? { base: 'Number', value: valueToText(v) } : { base: 'String', value: valueToText(v) };
    case 'decimal':
      return DECIMAL.test(v.value) ? { base: 'Number', value: v.value } : { base: 'String', value: v.value };
    default:
      return { base: 'String', value: valueToText(v) };
  }
}

/** Does `name` pass a ReceiveMessage MessageAttributeNames filter (`All`, `.*`, `prefix.*`, exact names)? */
export function attributeFilter(names: readonly string[]): (name: string) => boolean {
  if (names.some((n) => n === 'All' || n === '.*')) return () => true;
  const exact = new Set(names.filter((n) => !n.endsWith('.*')));
  const prefixes = names.filter((n) => n.endsWith('.*')).map((n) => n.slice(0, -1));
  return (name) => exact.has(name) || prefixes.some((p) => name.startsWith(p));
}

/** A core message's headers as SQS attributes (sorted by name), those passing `keep`. */
export function messageToAttributes(message: Message, keep: (name: string) => boolean): Map<string, SqsAttribute> {
  const slot = message.protocol?.['sqs']?.['dataTypes'];
  const custom = isTypedValue(slot ?? null) && (slot as { type: string }).type === 'map' ? (slot as { value: Record<string, Value> }).value : {};
  const out = new Map<string, SqsAttribute>();
  for (const name of Object.keys(message.headers).sort()) {
    if (!keep(name)) continue;
    const a = headerToAttribute(message.headers[name]!);
    if (!a) continue;
    const declared = custom[name];
    const dataType = typeof declared === 'string' && baseOf(declared) === a.base ? declared : a.base;
    out.set(name, { ...a, dataType });
  }
  return out;
}

/** The JSON shape of attributes (BinaryValue in base64). */
export function attributesToJson(attrs: ReadonlyMap<string, SqsAttribute>): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [name, a] of attrs) {
    out[name] = a.base === 'Binary'
      ? { DataType: a.dataType, BinaryValue: (a.value as Buffer).toString('base64') }
      : { DataType: a.dataType, StringValue: a.value as string };
  }
  return out;
}

function lengthPrefixed(hash: ReturnType<typeof createHash>, bytes: Buffer): void {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  hash.update(len).update(bytes);
}

/**
 * MD5OfMessageAttributes as AWS computes it: attributes sorted by name; per attribute the
 * length-prefixed (4-byte big-endian) UTF-8 name, the length-prefixed DataType, one transport
 * byte (1 for String and Number, 2 for Binary) and the length-prefixed value. Undefined when
 * there are none (AWS leaves the field out).
 */
export function md5OfAttributes(attrs: ReadonlyMap<string, SqsAttribute>): string | undefined {
  if (attrs.size === 0) return undefined;
  const hash = createHash('md5');
  for (const name of [...attrs.keys()].sort()) {
    const a = attrs.get(name)!;
    lengthPrefixed(hash, Buffer.from(name, 'utf8'));
    lengthPrefixed(hash, Buffer.from(a.dataType, 'utf8'));
    hash.update(Buffer.from([a.base === 'Binary' ? 2 : 1]));
    lengthPrefixed(hash, typeof a.value === 'string' ? Buffer.from(a.value, 'utf8') : a.value);
  }
  return hash.digest('hex');
}

export function md5Hex(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex');
}
