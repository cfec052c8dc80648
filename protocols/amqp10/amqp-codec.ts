/**
 * Minimal AMQP 1.0 wire-level helpers for what rhea does not expose: measuring encoded values
 * without decoding them, peeking at the head of a transfer or sasl-outcome frame, locating the
 * body sections of an encoded message, and encoding the few frames the frame guard writes
 * itself (open, close with an error). Everything else is encoded and decoded by rhea.
 */

export const AMQP_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0x00, 0x01, 0x00, 0x00]);
export const SASL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0x03, 0x01, 0x00, 0x00]);
/** Smallest max-frame-size a peer may announce (AMQP 1.0 §2.7.1 MIN-MAX-FRAME-SIZE). */
export const MIN_MAX_FRAME_SIZE = 512;

export const FRAME_TYPE_AMQP = 0x00;
export const FRAME_TYPE_SASL = 0x01;

/** Performative and section descriptor codes (smallulong form). */
export const Descriptor = {
  open: 0x10,
  transfer: 0x14,
  close: 0x18,
  error: 0x1d,
  saslOutcome: 0x44,
  messageAnnotations: 0x72,
  applicationProperties: 0x74,
  data: 0x75,
  amqpSequence: 0x76,
  amqpValue: 0x77,
  footer: 0x78,
} as const;

export class AmqpDecodeError extends Error {
  override readonly name = 'AmqpDecodeError';
}

/** 'AMQP' at `offset`. */
export function startsWithAmqp(buf: Buffer, offset = 0): boolean {
  return buf.length >= offset + 4 && buf[offset] === 0x41 && buf[offset + 1] === 0x4d && buf[offset + 2] === 0x51 && buf[offset + 3] === 0x50;
}

/** The position just after the encoded value that starts at `pos`. Throws AmqpDecodeError past `end`. */
export function skipValue(buf: Buffer, pos: number, end = buf.length): number {
  if (pos >= end) throw new AmqpDecodeError('truncated value');
  const code = buf[pos]!;
  let next: number;
  if (code === 0x00) {
    next = skipValue(buf, skipValue(buf, pos + 1, end), end);
  } else {
    switch (code >> 4) {
      case 0x4: next = pos + 1; break;
      case 0x5: next = pos + 2; break;
      case 0x6: next = pos + 3; break;
      case 0x7: next = pos + 5; break;
      case 0x8: next = pos + 9; break;
      case 0x9: next = pos + 17; break;
      case 0xa: case 0xc: case 0xe:
        if (pos + 2 > end) throw new AmqpDecodeError('truncated size');
        next = pos + 2 + buf[pos + 1]!;
        break;
      case 0xb: case 0xd: case 0xf:
        if (pos + 5 > end) throw new AmqpDecodeError('truncated size');
        next = pos + 5 + buf.readUInt32BE(pos + 1);
        break;
      default:
        throw new AmqpDecodeError(`invalid type code 0x${code.toString(16)}`);
    }
  }
  if (next > end) throw new AmqpDecodeError('value runs past the end of its frame');
  return next;
}

/** Reads a descriptor at `pos` (smallulong or ulong form). Returns the code (-1 for symbolic) and the position after it. */
function readDescriptor(buf: Buffer, pos: number, end: number): { code: number; next: number } {
  if (buf[pos] !== 0x00) throw new AmqpDecodeError('expected a described type');
  const t = buf[pos + 1];
  if (t === 0x53 && pos + 3 <= end) return { code: buf[pos + 2]!, next: pos + 3 };
  if (t === 0x80 && pos + 10 <= end) {
    const hi = buf.readUInt32BE(pos + 2);
    return { code: hi === 0 ? buf.readUInt32BE(pos + 6) : -1, next: pos + 10 };
  }
  return { code: -1, next: skipValue(buf, pos + 1, end) };
}

/** A list's fields: start positions of each element and the position after the list. */
function listFields(buf: Buffer, pos: number, end: number): { fields: number[]; next: number } {
  const code = buf[pos];
  let count: number;
  let p: number;
  let listEnd: number;
  if (code === 0x45) return { fields: [], next: pos + 1 };
  if (code === 0xc0) {
    if (pos + 3 > end) throw new AmqpDecodeError('truncated list');
    listEnd = pos + 2 + buf[pos + 1]!;
    count = buf[pos + 2]!;
    p = pos + 3;
  } else if (code === 0xd0) {
    if (pos + 9 > end) throw new AmqpDecodeError('truncated list');
    listEnd = pos + 5 + buf.readUInt32BE(pos + 1);
    count = buf.readUInt32BE(pos + 5);
    p = pos + 9;
  } else {
    throw new AmqpDecodeError('expected a list');
  }
  if (listEnd > end) throw new AmqpDecodeError('list runs past the end of its frame');
  const fields: number[] = [];
  for (let i = 0; i < count; i++) {
    fields.push(p);
    p = skipValue(buf, p, listEnd);
  }
  return { fields, next: listEnd };
}

function readUint(buf: Buffer, pos: number): number | undefined {
  switch (buf[pos]) {
    case 0x43: return 0;
    case 0x52: return buf[pos + 1];
    case 0x70: return buf.readUInt32BE(pos + 1);
    default: return undefined;
  }
}

function readBoolean(buf: Buffer, pos: number | undefined): boolean {
  if (pos === undefined) return false;
  const c = buf[pos];
  return c === 0x41 || (c === 0x56 && buf[pos + 1] === 0x01);
}

export interface FrameHead {
  /** Descriptor code of the performative, or undefined for an empty (heartbeat) frame. */
  performative: number | undefined;
  /** Start of the performative's field list. */
  body: number;
}

/** The performative of a complete frame `frame` (whole frame, size field included). */
export function frameHead(frame: Buffer): FrameHead {
  const doff = frame[4]! * 4;
  if (frame.length <= doff) return { performative: undefined, body: doff };
  const d = readDescriptor(frame, doff, frame.length);
  return { performative: d.code, body: d.next };
}

export interface TransferHead {
  handle: number;
  more: boolean;
  aborted: boolean;
  /** Offset of the message payload inside the frame. */
  payload: number;
}

/** Handle, more/aborted flags and payload offset of a transfer frame. */
export function parseTransfer(frame: Buffer, head: FrameHead): TransferHead {
  const { fields, next } = listFields(frame, head.body, frame.length);
  const handle = fields[0] === undefined ? undefined : readUint(frame, fields[0]);
  if (handle === undefined) throw new AmqpDecodeError('transfer without a valid handle');
  return { handle, more: readBoolean(frame, fields[5]), aborted: readBoolean(frame, fields[9]), payload: next };
}

/** The code of a sasl-outcome frame (0 = ok). */
export function parseSaslOutcomeCode(frame: Buffer, head: FrameHead): number {
  const { fields } = listFields(frame, head.body, frame.length);
  const p = fields[0];
  if (p === undefined || frame[p] !== 0x50) throw new AmqpDecodeError('sasl-outcome without a code');
  return frame[p + 1]!;
}

/**
 * Where the body sections of an encoded message are: [start, end) covering every data,
 * amqp-sequence or amqp-value section (the footer, if any, is excluded), and the descriptor of
 * the first one. Undefined when the message has no body section or does not parse.
 */
export function bodySections(payload: Buffer): { start: number; end: number; kind: number } | undefined {
  let pos = 0;
  let start = -1;
  let end = -1;
  let kind = -1;
  try {
    while (pos < payload.length) {
      const d = readDescriptor(payload, pos, payload.length);
      const next = skipValue(payload, d.next);
      if (d.code === Descriptor.data || d.code === Descriptor.amqpSequence || d.code === Descriptor.amqpValue) {
        if (start < 0) {
          start = pos;
          kind = d.code;
        }
        end = next;
      }
      pos = next;
    }
  } catch {
    return undefined; // not a well-formed message: the caller falls back to rhea's decoded view
  }
  return start < 0 ? undefined : { start, end, kind };
}

/**
 * Position of the value of the first section with descriptor `code` in an encoded message, or
 * undefined when there is none or the message is not well formed.
 */
export function sectionValue(payload: Buffer, code: number): number | undefined {
  return sectionValues(payload, [code])[0];
}

/**
 * Positions of the values of the first sections with each of `codes` (one walk over the
 * sections, which stops at the first body section: the annotation and property sections come
 * before it). Undefined entries for sections that are absent or when the message is malformed.
 */
export function sectionValues(payload: Buffer, codes: readonly number[]): Array<number | undefined> {
  const found: Array<number | undefined> = codes.map(() => undefined);
  let pos = 0;
  try {
    while (pos < payload.length) {
      const d = readDescriptor(payload, pos, payload.length);
      if (d.code === Descriptor.data || d.code === Descriptor.amqpSequence || d.code === Descriptor.amqpValue) break;
      const i = codes.indexOf(d.code);
      if (i >= 0 && found[i] === undefined) found[i] = d.next;
      pos = skipValue(payload, d.next);
    }
  } catch {
    return codes.map(() => undefined); // not a well-formed message
  }
  return found;
}

/** True when `bytes` is exactly a run of body sections of one kind (amqp-value: exactly one). */
export function isBodySectionRun(bytes: Buffer, kind: number): boolean {
  let pos = 0;
  let n = 0;
  try {
    while (pos < bytes.length) {
      const d = readDescriptor(bytes, pos, bytes.length);
      if (d.code !== kind) return false;
      pos = skipValue(bytes, d.next);
      n += 1;
    }
  } catch {
    return false;
  }
  return n > 0 && (kind !== Descriptor.amqpValue || n === 1);
}

/**
 * Where the value of a message's body is when the body is exactly one amqp-value section
 * (declare and discharge bodies): [start, end) of the value, after the section's descriptor.
 * Undefined for any other body, or when the message does not parse.
 */
export function amqpValueBody(payload: Buffer): { start: number; end: number } | undefined {
  const body = bodySections(payload);
  if (!body || body.kind !== Descriptor.amqpValue) return undefined;
  if (!isBodySectionRun(payload.subarray(body.start, body.end), Descriptor.amqpValue)) return undefined;
  const d = readDescriptor(payload, body.start, body.end);
  return { start: d.next, end: body.end };
}

// ------------------------------------------------------------------ encoding (guard-written frames)

function str(s: string, symbol: boolean): Buffer {
  const bytes = Buffer.from(s, symbol ? 'ascii' : 'utf8');
  if (bytes.length < 256) return Buffer.concat([Buffer.from([symbol ? 0xa3 : 0xa1, bytes.length]), bytes]);
  const head = Buffer.alloc(5);
  head[0] = symbol ? 0xb3 : 0xb1;
  head.writeUInt32BE(bytes.length, 1);
  return Buffer.concat([head, bytes]);
}

function described(code: number, items: Buffer[]): Buffer {
  const content = Buffer.concat(items);
  const head = Buffer.alloc(12);
  head[0] = 0x00;
  head[1] = 0x53;
  head[2] = code;
  head[3] = 0xd0;
  head.writeUInt32BE(content.length + 4, 4);
  head.writeUInt32BE(items.length, 8);
  return Buffer.concat([head, content]);
}

function frame(performative: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + performative.length, 0);
  head[4] = 2;
  head[5] = FRAME_TYPE_AMQP;
  head.writeUInt16BE(0, 6);
  return Buffer.concat([head, performative]);
}

/** An open frame carrying only the container id (used before a close when rhea has not opened yet). */
export function encodeOpenFrame(containerId: string): Buffer {
  return frame(described(Descriptor.open, [str(containerId, false)]));
}

/** A close frame with an error. */
export function encodeCloseFrame(condition: string, description: string): Buffer {
  const error = described(Descriptor.error, [str(condition, true), str(description.slice(0, 1000), false)]);
  return frame(described(Descriptor.close, [error]));
}
