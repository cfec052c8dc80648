/**
 * Reads AMQP 0-9-1 primitive types from a buffer, bounds-checked: running past the end is a
 * SYNTAX_ERROR (502), never a RangeError. Consecutive bits share an octet (the caller tracks
 * that through readBit's bit index).
 */
import { syntaxError } from '../errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class WireReader {
  pos: number;

  constructor(readonly buf: Buffer, start = 0, readonly end = buf.length) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.end) throw syntaxError(`truncated ${what}`);
  }

  octet(): number {
    this.need(1, 'octet');
    return this.buf[this.pos++]!;
  }

  short(): number {
    this.need(2, 'short');
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  long(): number {
    this.need(4, 'long');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Unsigned 64-bit as a number; past 2^53 it is rounded (delivery tags never get there). */
  longlong(): number {
    return Number(this.ulonglong());
  }

  ulonglong(): bigint {
    this.need(8, 'longlong');
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  int8(): number { this.need(1, 'byte'); const v = this.buf.readInt8(this.pos); this.pos += 1; return v; }
  int16(): number { this.need(2, 'short'); const v = this.buf.readInt16BE(this.pos); this.pos += 2; return v; }
  int32(): number { this.need(4, 'int'); const v = this.buf.readInt32BE(this.pos); this.pos += 4; return v; }
  int64(): bigint { this.need(8, 'long'); const v = this.buf.readBigInt64BE(this.pos); this.pos += 8; return v; }
  float(): number { this.need(4, 'float'); const v = this.buf.readFloatBE(this.pos); this.pos += 4; return v; }
  double(): number { this.need(8, 'double'); const v = this.buf.readDoubleBE(this.pos); this.pos += 8; return v; }

  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  shortstr(): string {
    const n = this.octet();
    return decodeUtf8(this.bytes(n, 'shortstr'), 'shortstr');
  }

  longstrBytes(): Buffer {
    const n = this.long();
    return this.bytes(n, 'longstr');
  }
}

export function decodeUtf8(b: Buffer, what: string): string {
  try {
    return utf8.decode(b);
  } catch {
    throw syntaxError(`${what} is not valid UTF-8`);
  }
}

/** UTF-8 text of `b`, or undefined when it is not valid UTF-8. */
export function tryUtf8(b: Buffer): string | undefined {
  try {
    return utf8.decode(b);
  } catch {
    return undefined;
  }
}
