/**
 * Writes AMQP 0-9-1 primitive types into a growing buffer. Values out of their type's range are a
 * TypeError (a broker bug, not client input).
 */
export class WireWriter {
  private buf: Buffer;
  pos = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** The bytes written so far (a view; copy it if the writer is reused). */
  result(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  octet(v: number): void { this.room(1); this.buf.writeUInt8(v, this.pos); this.pos += 1; }
  short(v: number): void { this.room(2); this.buf.writeUInt16BE(v, this.pos); this.pos += 2; }
  long(v: number): void { this.room(4); this.buf.writeUInt32BE(v, this.pos); this.pos += 4; }
  longlong(v: number | bigint): void { this.room(8); this.buf.writeBigUInt64BE(BigInt(v), this.pos); this.pos += 8; }
  int8(v: number): void { this.room(1); this.buf.writeInt8(v, this.pos); this.pos += 1; }
  int16(v: number): void { this.room(2); this.buf.writeInt16BE(v, this.pos); this.pos += 2; }
  int32(v: number): void { this.room(4); this.buf.writeInt32BE(v, this.pos); this.pos += 4; }
  int64(v: bigint): void { this.room(8); this.buf.writeBigInt64BE(v, this.pos); this.pos += 8; }
  float(v: number): void { this.room(4); this.buf.writeFloatBE(v, this.pos); this.pos += 4; }
  double(v: number): void { this.room(8); this.buf.writeDoubleBE(v, this.pos); this.pos += 8; }

  bytes(b: Buffer): void {
    this.room(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  shortstr(s: string): void {
    const n = Buffer.byteLength(s);
    if (n > 255) throw new TypeError(`shortstr longer than 255 bytes (${n})`);
    this.room(1 + n);
    this.buf[this.pos] = n;
    this.buf.write(s, this.pos + 1, 'utf8');
    this.pos += 1 + n;
  }

  longstr(v: string | Buffer): void {
    if (typeof v === 'string') {
      const n = Buffer.byteLength(v);
      this.room(4 + n);
      this.buf.writeUInt32BE(n, this.pos);
      this.buf.write(v, this.pos + 4, 'utf8');
      this.pos += 4 + n;
    } else {
      this.long(v.length);
      this.bytes(v);
    }
  }

  /** Reserve a 4-byte length slot; returns its position for patchLength. */
  reserveLength(): number {
    this.room(4);
    const at = this.pos;
    this.pos += 4;
    return at;
  }

  /** Fill a reserved slot with the bytes written since it. */
  patchLength(at: number): void {
    this.buf.writeUInt32BE(this.pos - at - 4, at);
  }

  patchShort(at: number, v: number): void {
    this.buf.writeUInt16BE(v, at);
  }
}
