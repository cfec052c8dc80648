/**
 * Incremental frame parser: bytes in, whole frames out. A frame is type (octet), channel
 * (short), payload size (long), payload, and the frame-end octet 0xCE. A frame larger than
 * frame-max (header and end octet included), a wrong frame-end octet, an unknown frame type or a
 * heartbeat on a channel other than 0 is a FRAME_ERROR (501): the parser throws an AmqpError and
 * must not be fed again.
 */
import { frameError } from '../errors.js';
import { FRAME_END, FRAME_HEADER_BYTES, FRAME_OVERHEAD, FrameType, type FrameTypeId } from '../spec/constants.js';

export interface Frame {
  type: FrameTypeId;
  channel: number;
  payload: Buffer;
}

const TYPES = new Set<number>(Object.values(FrameType));

export class FrameParser {
  private pending: Buffer = Buffer.alloc(0);

  /** @param frameMax largest frame accepted, overhead included; 0 means no limit beyond 2^32. */
  constructor(public frameMax: number) {}

  /** Bytes held waiting for the rest of a frame. */
  get buffered(): number {
    return this.pending.length;
  }

  push(chunk: Buffer): Frame[] {
    const buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    let pos = 0;
    while (buf.length - pos >= FRAME_HEADER_BYTES) {
      const type = buf[pos]!;
      const channel = buf.readUInt16BE(pos + 1);
      const size = buf.readUInt32BE(pos + 3);
      if (!TYPES.has(type)) throw frameError(`unknown frame type ${type}`);
      if (this.frameMax > 0 && size + FRAME_OVERHEAD > this.frameMax) {
        throw frameError(`frame size ${size + FRAME_OVERHEAD} larger than negotiated frame-max ${this.frameMax}`);
      }
      const total = size + FRAME_OVERHEAD;
      if (buf.length - pos < total) break;
      if (buf[pos + total - 1] !== FRAME_END) {
        throw frameError(`frame end octet 0x${buf[pos + total - 1]!.toString(16)} instead of 0xce`);
      }
      if (type === FrameType.HEARTBEAT && channel !== 0) throw frameError(`heartbeat frame on channel ${channel}`);
      frames.push({ type: type as FrameTypeId, channel, payload: buf.subarray(pos + FRAME_HEADER_BYTES, pos + FRAME_HEADER_BYTES + size) });
      pos += total;
    }
    this.pending = pos === buf.length ? Buffer.alloc(0) : buf.subarray(pos);
    return frames;
  }
}
