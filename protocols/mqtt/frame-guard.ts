/**
 * Maximum packet size for MQTT 3.1.1 (which has no way to announce one): follows the packet
 * boundaries of the incoming byte stream (fixed header: 1 type byte + a 1–4 byte "remaining
 * length" varint) without parsing packets, and reports the first packet whose total size
 * exceeds the limit — as soon as its header is read, before its body is buffered.
 * Cost: a few operations per packet, not per byte.
 */
export class FrameGuard {
  /** 0 = at a packet start, 1 = inside the length varint, 2 = skipping the body. */
  private state = 0;
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(readonly maxPacketBytes: number) {}

  /** Feed the next chunk. Returns an error message for the first bad packet, else null. */
  check(buf: Buffer): string | null {
    let i = 0;
    const n = buf.length;
    while (i < n) {
      if (this.state === 2) {
        const take = Math.min(this.remaining, n - i);
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = 0;
        continue;
      }
      if (this.state === 0) {
        i += 1; // packet type and flags; the parser validates them
        this.state = 1;
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        continue;
      }
      const b = buf[i++]!;
      this.length += (b & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes += 1;
      const total = 1 + this.lengthBytes + this.length;
      if (total > this.maxPacketBytes) {
        return `packet of at least ${total} bytes exceeds the maximum packet size of ${this.maxPacketBytes} bytes`;
      }
      if ((b & 0x80) === 0) {
        this.remaining = this.length;
        this.state = this.remaining > 0 ? 2 : 0;
      } else if (this.lengthBytes === 4) {
        return 'malformed remaining length (more than 4 bytes)';
      }
    }
    return null;
  }
}
