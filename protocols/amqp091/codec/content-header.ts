/**
 * Content header frame payloads: class id, weight (0), body size (64-bit), property flags and the
 * present properties. Flags come in 16-bit words: bits 15..1 flag 15 properties in order, bit 0
 * says another flags word follows (basic has 14 properties, so one word, but a peer may send
 * continuation words; flags for properties the class does not have are a SYNTAX_ERROR).
 */
import { syntaxError } from '../errors.js';
import { CLASS_PROPERTIES, type BasicPropertyKey } from '../spec/properties.js';
import { readTable, writeTable, type FieldTable } from './field-table.js';
import { WireReader } from './wire-reader.js';
import { WireWriter } from './wire-writer.js';

export interface BasicProperties {
  contentType?: string;
  contentEncoding?: string;
  headers?: FieldTable;
  deliveryMode?: number;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  expiration?: string;
  messageId?: string;
  /** Seconds since the epoch (the wire unit). */
  timestamp?: number;
  type?: string;
  userId?: string;
  appId?: string;
  clusterId?: string;
}

export interface ContentHeader {
  classId: number;
  bodySize: number;
  properties: BasicProperties;
}

/** Largest body size we accept: 2^53 - 1 (the size must be exact as a number). */
const MAX_BODY = Number.MAX_SAFE_INTEGER;

export function decodeContentHeader(payload: Buffer): ContentHeader {
  const r = new WireReader(payload);
  const classId = r.short();
  const defs = CLASS_PROPERTIES[classId];
  if (!defs) throw syntaxError(`content header for class ${classId}, which has no content`);
  r.short(); // weight, unused
  const size = r.ulonglong();
  if (size > BigInt(MAX_BODY)) throw syntaxError(`content body size ${size} too large`);
  const flags: number[] = [];
  for (;;) {
    const word = r.short();
    flags.push(word);
    if ((word & 1) === 0) break;
  }
  const props: Record<string, unknown> = {};
  for (let i = 0; i < flags.length * 15; i += 1) {
    const word = flags[Math.floor(i / 15)]!;
    if ((word & (1 << (15 - (i % 15)))) === 0) continue;
    const def = defs[i];
    if (!def) throw syntaxError(`content header flags property ${i + 1}, class ${classId} has ${defs.length}`);
    switch (def.type) {
      case 'shortstr': props[def.key] = r.shortstr(); break;
      case 'octet': props[def.key] = r.octet(); break;
      case 'timestamp': props[def.key] = r.longlong(); break;
      case 'table': props[def.key] = readTable(r); break;
      default: throw syntaxError(`property type ${def.type} not supported`);
    }
  }
  if (r.remaining !== 0) throw syntaxError(`${r.remaining} bytes after the content header's properties`);
  return { classId, bodySize: Number(size), properties: props as BasicProperties };
}

export function encodeContentHeader(h: ContentHeader, w = new WireWriter()): Buffer {
  const defs = CLASS_PROPERTIES[h.classId];
  if (!defs) throw new TypeError(`class ${h.classId} has no content`);
  w.short(h.classId);
  w.short(0);
  w.longlong(h.bodySize);
  const words = Math.max(1, Math.ceil(defs.length / 15));
  const flagAt = w.pos;
  for (let i = 0; i < words; i += 1) w.short(0);
  const flags = new Array<number>(words).fill(0);
  const props = h.properties as Record<BasicPropertyKey, unknown>;
  defs.forEach((def, i) => {
    const v = props[def.key];
    if (v === undefined) return;
    flags[Math.floor(i / 15)]! |= 1 << (15 - (i % 15));
    switch (def.type) {
      case 'shortstr': w.shortstr(v as string); break;
      case 'octet': w.octet(v as number); break;
      case 'timestamp': w.longlong(v as number); break;
      case 'table': writeTable(w, v as FieldTable); break;
      default: throw new TypeError(`property type ${def.type} not supported`);
    }
  });
  for (let i = 0; i < words; i += 1) w.patchShort(flagAt + 2 * i, flags[i]! | (i < words - 1 ? 1 : 0));
  return w.result();
}
