/**
 * The frame guard sits between the transport and rhea and does what rhea does not:
 * - checks the protocol headers (the first one again for WebSocket clients; the one after SASL);
 * - enforces the announced max-frame-size and max-message-size before anything is buffered
 *   (rhea would accumulate a 4 GiB frame), and rejects malformed frame headers;
 * - holds back bytes a client pipelines after its sasl-init until the SASL outcome is out
 *   (rhea's SASL layer would otherwise misread the following AMQP header as a frame);
 * - closes a failed connection properly: our header and an open if not yet sent, then a close
 *   frame carrying an AMQP error condition (rhea just drops the socket on a decode error);
 * - keeps the raw payload of every incoming message, so structured bodies can be stored as
 *   their exact AMQP encoding (rhea hands out only a decoded, type-lossy view).
 *
 * Towards rhea it is a socket (`on('data'|'end'|'error')`, `write`, `end`, `destroy`).
 * Only complete frames are passed on, in arrival order.
 */
import type { Logger } from '../../src/log.js';
import {
  AMQP_HEADER, AmqpDecodeError, Descriptor, FRAME_TYPE_AMQP, FRAME_TYPE_SASL, SASL_HEADER,
  encodeCloseFrame, encodeOpenFrame, frameHead, parseSaslOutcomeCode, parseTransfer, startsWithAmqp,
} from './amqp-codec.js';
import type { ByteTransport } from './byte-transport.js';

export interface FrameGuardOptions {
  maxFrameBytes: number;
  /** Largest encoded message accepted on any link (bare message size). */
  maxMessageBytes: number;
  /** Container id used if the guard must write an open frame itself. */
  containerId: string;
  logger: Logger;
  /** Called once when the transport is gone (after rhea has been told). */
  onClose?: () => void;
}

type Handler = (arg?: unknown) => void;

/** The socket-like object rhea's Connection reads from and writes to. */
export interface RheaSocketLike {
  on(event: string, handler: Handler): void;
  write(data: Buffer): void;
  end(): void;
  destroy(): void;
  get_id_string(): string;
  removeAllListeners(event?: string): void;
}

const ENDED_DESTROY_MS = 2000;

export class FrameGuard {
  readonly socket: RheaSocketLike;
  private readonly handlers = new Map<string, Handler>();
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes needed before parsing can make progress. */
  private needed = 8;
  private expectHeader: 'initial' | 'post-sasl' | null = 'initial';
  private phase: 'header' | 'sasl' | 'amqp' = 'header';
  private readonly forward: Buffer[] = [];
  /** Index in `forward` where passing on must stop (post-SASL bytes waiting for the outcome). */
  private barrier: number | undefined;
  private requireSasl = false;
  private started = false;
  private saslOk = false;
  private amqpHeaderSent = false;
  private openSent = false;
  private failed = false;
  private ended = false;
  private closed = false;
  private inInputDepth = 0;
  private readonly partial = new Map<number, { parts: Buffer[]; size: number }>();
  private readonly payloads: Buffer[] = [];
  private destroyTimer: NodeJS.Timeout | undefined;

  constructor(private readonly transport: ByteTransport, private readonly opts: FrameGuardOptions) {
    const self = this;
    this.socket = {
      on(event, handler) {
        self.handlers.set(event, handler);
      },
      write: (data) => this.onRheaWrite(data),
      end: () => this.end(),
      destroy: () => this.destroy(),
      get_id_string: () => transport.id,
      removeAllListeners(event) {
        if (event === undefined) self.handlers.clear();
        else self.handlers.delete(event);
      },
    };
    transport.onData((data) => this.onData(data));
    transport.onClose((err) => this.onClose(err));
  }

  /** True while rhea is processing bytes passed on by the guard (errors then are the client's fault). */
  get inInput(): boolean {
    return this.inInputDepth > 0;
  }

  get isFailed(): boolean {
    return this.failed;
  }

  /** Start parsing and passing bytes on; rhea must have attached its handlers to `socket`. */
  start(opts: { requireSasl: boolean }): void {
    this.requireSasl = opts.requireSasl;
    this.started = true;
    this.parse();
  }

  /** The raw payload of the message rhea is dispatching now (one per 'message' event, in order). */
  takePayload(): Buffer | undefined {
    return this.payloads.shift();
  }

  /** Close the connection with an AMQP error condition (writing open/close frames as needed). */
  fail(condition: string, description: string): void {
    if (this.failed || this.closed) return;
    this.failed = true;
    this.opts.logger.warn({ remote: this.transport.id, condition, description }, 'AMQP 1.0 connection failed');
    if (this.phase === 'amqp' && !this.ended) {
      if (!this.amqpHeaderSent) this.transport.write(AMQP_HEADER);
      if (!this.openSent) this.transport.write(encodeOpenFrame(this.opts.containerId));
      this.transport.write(encodeCloseFrame(condition, description));
    }
    this.end();
  }

  /** Refuse a protocol header: answer with the header we speak, then close (AMQP 1.0 §2.2). */
  private refuseHeader(header: Buffer, answer: Buffer): void {
    if (this.failed) return;
    this.failed = true;
    this.opts.logger.warn({ remote: this.transport.id, header: header.toString('hex') }, 'AMQP 1.0: unsupported protocol header');
    if (!this.ended) this.transport.write(answer);
    this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.transport.end();
    this.destroyTimer = setTimeout(() => this.transport.destroy(), ENDED_DESTROY_MS);
    this.destroyTimer.unref();
  }

  private destroy(): void {
    this.ended = true;
    this.transport.destroy();
  }

  private onClose(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    if (this.destroyTimer) clearTimeout(this.destroyTimer);
    this.chunks = [];
    this.forward.length = 0;
    try {
      if (err) this.handlers.get('error')?.(err);
      this.handlers.get('end')?.();
    } finally {
      this.opts.onClose?.();
    }
  }

  // ---------------------------------------------------------------- input

  private onData(data: Buffer): void {
    if (this.failed || this.ended || this.closed) return;
    this.chunks.push(data);
    this.buffered += data.length;
    if (this.started && this.buffered >= this.needed) this.parse();
  }

  private parse(): void {
    if (this.buffered === 0) return this.flush();
    const data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    let pos = 0;
    try {
      pos = this.parseFrom(data);
    } catch (err) {
      if (err instanceof AmqpDecodeError) {
        this.fail('amqp:decode-error', err.message);
      } else {
        this.opts.logger.error({ err, remote: this.transport.id }, 'AMQP 1.0 frame guard failed');
        this.fail('amqp:internal-error', 'internal error');
      }
      return;
    }
    const rest = data.subarray(pos);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    this.flush();
  }

  /**
   * Parses complete units from `data`; returns how far it got and sets `needed`. What is
   * accepted is queued for rhea as one slice per run (no per-frame copies).
   */
  private parseFrom(data: Buffer): number {
    let pos = 0;
    let runStart = 0;
    const endRun = (): void => {
      if (pos > runStart) this.pushForward(data.subarray(runStart, pos));
      runStart = pos;
    };
    for (;;) {
      if (this.failed) return data.length;
      const avail = data.length - pos;
      if (this.expectHeader) {
        if (avail < 8) break;
        if (!this.acceptHeader(data.subarray(pos, pos + 8))) return data.length;
        pos += 8;
        continue;
      }
      if (this.phase === 'sasl' && avail >= 4 && startsWithAmqp(data, pos)) {
        this.expectHeader = 'post-sasl';
        if (!this.saslOk) {
          endRun();
          this.barrier ??= this.forward.length;
        }
        continue;
      }
      if (avail < 8) break;
      const size = data.readUInt32BE(pos);
      if (size < 8 || size > this.opts.maxFrameBytes) {
        this.fail('amqp:connection:framing-error', size < 8
          ? `frame size ${size} is smaller than a frame header`
          : `frame size ${size} exceeds the maximum frame size ${this.opts.maxFrameBytes}`);
        return data.length;
      }
      if (avail < size) {
        this.needed = size;
        endRun();
        return pos;
      }
      if (!this.acceptFrame(data, pos, size)) return data.length;
      pos += size;
    }
    this.needed = 8;
    endRun();
    return pos;
  }

  private acceptHeader(header: Buffer): boolean {
    const valid = startsWithAmqp(header) && header[5] === 1 && header[6] === 0 && header[7] === 0;
    if (this.expectHeader === 'initial') {
      if (!valid || (header[4] !== 0 && header[4] !== 3)) {
        this.refuseHeader(header, AMQP_HEADER);
        return false;
      }
      if (header[4] === 0 && this.requireSasl) {
        this.refuseHeader(header, SASL_HEADER);
        return false;
      }
      this.phase = header[4] === 3 ? 'sasl' : 'amqp';
    } else {
      if (!valid || header[4] !== 0) {
        this.refuseHeader(header, AMQP_HEADER);
        return false;
      }
      this.phase = 'amqp';
    }
    this.expectHeader = null;
    return true;
  }

  /** Checks the frame at data[pos, pos + size); keeps transfer payloads. False when the connection failed. */
  private acceptFrame(data: Buffer, pos: number, size: number): boolean {
    const doff = data[pos + 4]! * 4;
    const type = data[pos + 5];
    if (doff < 8 || doff > size) {
      this.fail('amqp:connection:framing-error', `invalid data offset ${doff / 4}`);
      return false;
    }
    const expected = this.phase === 'sasl' ? FRAME_TYPE_SASL : FRAME_TYPE_AMQP;
    if (type !== expected) {
      this.fail('amqp:connection:framing-error', `frame type ${type} is not allowed in the ${this.phase} phase`);
      return false;
    }
    if (type === FRAME_TYPE_AMQP && size > doff) {
      // Only transfers matter here; look closer only at frames that may be one.
      const d = pos + doff;
      if (data[d] === 0x00 && (data[d + 1] !== 0x53 || data[d + 2] === Descriptor.transfer)) {
        const frame = data.subarray(pos, pos + size);
        const head = frameHead(frame);
        if (head.performative === Descriptor.transfer) this.captureTransfer(frame, head);
      }
    }
    return !this.failed;
  }

  /** Queue bytes for rhea, extending the previous slice when they are adjacent in memory (one call per chunk). */
  private pushForward(b: Buffer): void {
    const n = this.forward.length;
    const last = n > 0 && this.barrier !== n ? this.forward[n - 1]! : undefined;
    if (last && last.buffer === b.buffer && last.byteOffset + last.length === b.byteOffset) {
      this.forward[n - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + b.length);
    } else {
      this.forward.push(b);
    }
  }

  private captureTransfer(frame: Buffer, head: ReturnType<typeof frameHead>): void {
    const t = parseTransfer(frame, head);
    if (t.aborted) {
      this.fail('amqp:not-implemented', 'aborted transfers are not supported');
      return;
    }
    const key = frame.readUInt16BE(6) * 0x1_0000_0000 + t.handle;
    const payload = frame.subarray(t.payload);
    let p = this.partial.get(key);
    if (!p && !t.more) {
      if (payload.length > this.opts.maxMessageBytes) this.messageTooLarge(payload.length);
      else this.payloads.push(payload);
      return;
    }
    if (!p) {
      p = { parts: [], size: 0 };
      this.partial.set(key, p);
    }
    p.parts.push(payload);
    p.size += payload.length;
    if (p.size > this.opts.maxMessageBytes) {
      this.messageTooLarge(p.size);
      return;
    }
    if (!t.more) {
      this.partial.delete(key);
      this.payloads.push(Buffer.concat(p.parts, p.size));
    }
  }

  private messageTooLarge(size: number): void {
    this.fail('amqp:link:message-size-exceeded', `message of ${size}+ bytes exceeds max-message-size ${this.opts.maxMessageBytes}`);
  }

  private flush(): void {
    const data = this.handlers.get('data');
    if (!data || this.failed || !this.started) return;
    const n = this.barrier ?? this.forward.length;
    if (n === 0) return;
    const items = this.forward.splice(0, n);
    if (this.barrier !== undefined) this.barrier = 0;
    this.inInputDepth += 1;
    try {
      data(items.length === 1 ? items[0] : Buffer.concat(items));
    } catch (err) {
      // rhea reports its own errors as events; this is an error escaping one of our handlers.
      this.opts.logger.error({ err, remote: this.transport.id }, 'AMQP 1.0 input processing failed');
      this.fail('amqp:internal-error', 'internal error');
    } finally {
      this.inInputDepth -= 1;
    }
    if (this.forward.length === 0 && this.payloads.length > 0) {
      this.opts.logger.debug({ left: this.payloads.length }, 'AMQP 1.0: captured payloads not consumed');
      this.payloads.length = 0;
    }
  }

  // ---------------------------------------------------------------- output

  private onRheaWrite(data: Buffer): void {
    if (this.failed || this.ended || this.closed) return;
    if (data.length === 8 && startsWithAmqp(data)) {
      if (data[4] === 0) this.amqpHeaderSent = true;
    } else if (data.length >= 8) {
      if (data[5] === FRAME_TYPE_SASL) this.observeSasl(data);
      else if (this.amqpHeaderSent) this.openSent = true;
    }
    this.transport.write(data);
  }

  private observeSasl(frame: Buffer): void {
    const head = frameHead(frame);
    if (head.performative !== Descriptor.saslOutcome) return;
    const code = parseSaslOutcomeCode(frame, head);
    if (code === 0) {
      this.saslOk = true;
      // rhea switches its reader to the AMQP layer right after this write returns.
      setImmediate(() => {
        this.barrier = undefined;
        this.flush();
      });
    } else {
      setImmediate(() => this.end());
    }
  }
}
