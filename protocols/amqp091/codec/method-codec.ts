/**
 * Method frame payloads ↔ { method, args }, driven by the method table (spec/method-table.ts):
 * class id, method id, then the fields in table order; consecutive bits share octets (low bit
 * first), any other field ends a run of bits.
 */
import { AmqpError } from '../errors.js';
import type { FieldType } from '../spec/domains.js';
import { isKnownClass, methodById, methodByName, type MethodDef } from '../spec/method-table.js';
import { readTable, writeTable, type FieldTable } from './field-table.js';
import { WireReader } from './wire-reader.js';
import { WireWriter } from './wire-writer.js';

/** bit → boolean; octet/short/long/longlong/timestamp → number; shortstr → string; longstr → Buffer (string accepted when encoding); table → FieldTable. */
export type ArgValue = boolean | number | string | Buffer | FieldTable;
export type MethodArgs = Record<string, ArgValue>;

export interface DecodedMethod {
  readonly def: MethodDef;
  readonly args: MethodArgs;
}

function readField(r: WireReader, type: Exclude<FieldType, 'bit'>): ArgValue {
  switch (type) {
    case 'octet': return r.octet();
    case 'short': return r.short();
    case 'long': return r.long();
    case 'longlong': return r.longlong();
    case 'timestamp': return r.longlong();
    case 'shortstr': return r.shortstr();
    case 'longstr': return Buffer.from(r.longstrBytes());
    case 'table': return readTable(r);
  }
}

/** Decode a method frame's payload. Unknown class or method ids are NOT_IMPLEMENTED (540). */
export function decodeMethod(payload: Buffer): DecodedMethod {
  const r = new WireReader(payload);
  const classId = r.short();
  const methodId = r.short();
  const def = methodById(classId, methodId);
  if (!def) {
    const what = isKnownClass(classId) ? `unknown method ${methodId} of class ${classId}` : `unknown class ${classId}`;
    throw new AmqpError('NOT_IMPLEMENTED', what, { classId, methodId });
  }
  const args: MethodArgs = {};
  let bits = 0;
  let bitIndex = 8;
  try {
    for (const f of def.fields) {
      if (f.type === 'bit') {
        if (bitIndex === 8) {
          bits = r.octet();
          bitIndex = 0;
        }
        args[f.key] = (bits & (1 << bitIndex)) !== 0;
        bitIndex += 1;
      } else {
        bitIndex = 8;
        args[f.key] = readField(r, f.type);
      }
    }
  } catch (err) {
    if (err instanceof AmqpError) throw err.at({ classId, methodId });
    throw err;
  }
  if (r.remaining !== 0) throw new AmqpError('SYNTAX_ERROR', `${def.name}: ${r.remaining} bytes after the last field`, { classId, methodId });
  return { def, args };
}

function defaultFor(type: FieldType): ArgValue {
  switch (type) {
    case 'bit': return false;
    case 'shortstr': return '';
    case 'longstr': return Buffer.alloc(0);
    case 'table': return {};
    default: return 0;
  }
}

function writeField(w: WireWriter, type: Exclude<FieldType, 'bit'>, v: ArgValue, where: string): void {
  switch (type) {
    case 'octet': case 'short': case 'long': case 'longlong': case 'timestamp': {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new TypeError(`${where}: expected a non-negative integer`);
      if (type === 'octet') w.octet(v);
      else if (type === 'short') w.short(v);
      else if (type === 'long') w.long(v);
      else w.longlong(v);
      return;
    }
    case 'shortstr':
      if (typeof v !== 'string') throw new TypeError(`${where}: expected a string`);
      return w.shortstr(v);
    case 'longstr':
      if (typeof v !== 'string' && !Buffer.isBuffer(v)) throw new TypeError(`${where}: expected a string or Buffer`);
      return w.longstr(v);
    case 'table':
      if (typeof v !== 'object' || v === null || Buffer.isBuffer(v)) throw new TypeError(`${where}: expected a field table`);
      return writeTable(w, v);
  }
}

/** Encode a method's payload (class id, method id, fields); missing fields take their zero value. */
export function encodeMethod(def: MethodDef, args: Readonly<Partial<MethodArgs>> = {}, w = new WireWriter()): Buffer {
  w.short(def.classId);
  w.short(def.methodId);
  let bits = 0;
  let bitIndex = -1;
  const flushBits = (): void => {
    if (bitIndex >= 0) w.octet(bits);
    bits = 0;
    bitIndex = -1;
  };
  for (const f of def.fields) {
    const v = args[f.key] ?? defaultFor(f.type);
    if (f.type === 'bit') {
      if (bitIndex === 7) flushBits();
      bitIndex += 1;
      if (v === true) bits |= 1 << bitIndex;
    } else {
      flushBits();
      writeField(w, f.type, v, `${def.name}.${f.name}`);
    }
  }
  flushBits();
  return w.result();
}

export function encodeMethodByName(name: string, args: Readonly<Partial<MethodArgs>> = {}): Buffer {
  return encodeMethod(methodByName(name), args);
}

// ------------------------------------------------------------------ typed accessors

export function argString(m: DecodedMethod, key: string): string {
  const v = m.args[key];
  if (typeof v !== 'string') throw new TypeError(`${m.def.name}: ${key} is not a string`);
  return v;
}

export function argNumber(m: DecodedMethod, key: string): number {
  const v = m.args[key];
  if (typeof v !== 'number') throw new TypeError(`${m.def.name}: ${key} is not a number`);
  return v;
}

export function argBool(m: DecodedMethod, key: string): boolean {
  const v = m.args[key];
  if (typeof v !== 'boolean') throw new TypeError(`${m.def.name}: ${key} is not a bit`);
  return v;
}

export function argBytes(m: DecodedMethod, key: string): Buffer {
  const v = m.args[key];
  if (!Buffer.isBuffer(v)) throw new TypeError(`${m.def.name}: ${key} is not a longstr`);
  return v;
}

export function argTable(m: DecodedMethod, key: string): FieldTable {
  const v = m.args[key];
  if (typeof v !== 'object' || v === null || Buffer.isBuffer(v)) throw new TypeError(`${m.def.name}: ${key} is not a table`);
  return v;
}

