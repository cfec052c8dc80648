/**
 * Incremental STOMP 1.0/1.1/1.2 frame parser.
 *
 * Wire grammar (STOMP 1.2 "Augmented BNF"):
 *
 *     frame   = command EOL *(header EOL) EOL *OCTET NULL *(EOL)
 *     EOL     = [CR] LF
 *     header  = header-name ":" header-value
 *
 * Behaviour:
 * - Bytes may arrive split at any position; `push` keeps only what the current frame needs.
 * - EOLs between frames are heart-beats (or padding after a NUL) and reported via `onHeartbeat`.
 * - CRLF and LF are accepted in every version (the 1.2 rule; brokers accept it from 1.0/1.1
 *   clients too). A consequence: a raw CR at the very end of a 1.0/1.1 header value is read as
 *   part of the line ending.
 * - Header names and values are unescaped (`\r \n \c \\`) in 1.1 and 1.2 except in
 *   CONNECT/STOMP/CONNECTED frames; an undefined escape is fatal. 1.0 never unescapes.
 * - A header line splits at its first colon; later colons belong to the value (lenient: 1.1/1.2
 *   peers should escape them, but many clients do not).
 * - With `content-length` (first occurrence) exactly that many body bytes are read, NULs
 *   included, and the next byte must be NUL. Without it the body ends at the first NUL.
 * - Frame size = every byte from the first command byte up to and including the NUL. A frame
 *   larger than `maxFrameBytes` is rejected as soon as that is known (at the end of the headers
 *   when a content-length announces it, else as soon as the limit is crossed), so at most
 *   `maxFrameBytes` bytes are ever held.
 * - Every error is reported once through `onError` (or thrown by `push` when no handler is set)
 *   and the parser then stops: further `push` calls are ignored. The connection should be closed.
 *
 * `push` takes ownership of the chunk (the parser may keep references to it until the frame is
 * complete): do not modify it afterwards. Node sockets never do. Frame bodies are fresh copies.
 */
import { isUtf8 } from 'node:buffer';
import { StompProtocolError } from './errors.js';
import { unescapeHeaderText } from './escape.js';
import { STOMP_VERSIONS, usesEscaping, type StompFrame, type StompVersion } from './frame.js';

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const UPPER_A = 0x41;
const UPPER_Z = 0x5a;
/** Longest command line accepted; the longest STOMP command (UNSUBSCRIBE) has 11 letters. */
const MAX_COMMAND_BYTES = 32;

const S_IDLE = 0;
const S_IDLE_CR = 1;
const S_COMMAND = 2;
const S_HEADERS = 3;
const S_BODY_LENGTH = 4;
const S_EXPECT_NUL = 5;
const S_BODY_SCAN = 6;
type ParserState = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export interface StompParserOptions {
  /** Largest frame accepted, command to NUL inclusive. */
  maxFrameBytes: number;
  /** Most header lines accepted in one frame (repeated names count each time). */
  maxHeaders: number;
  /** Longest header line accepted, in bytes, excluding its EOL. */
  maxHeaderLineBytes: number;
  /** Protocol version governing header unescaping; default '1.2'. Change it with `setVersion`. */
  version?: StompVersion;
  onFrame?: (frame: StompFrame) => void;
  onHeartbeat?: () => void;
  onError?: (err: StompProtocolError) => void;
}

export class StompParser {
  /** Called for each complete frame. The version set from inside it applies to the next frame. */
  onFrame: (frame: StompFrame) => void;
  /** Called for each EOL received between frames. */
  onHeartbeat: () => void;
  /** Called once for the first error; without a handler `push` throws the error instead. */
  onError: ((err: StompProtocolError) => void) | undefined;

  private readonly maxFrameBytes: number;
  private readonly maxHeaders: number;
  private readonly maxHeaderLineBytes: number;
  private version: StompVersion;
  private stopped = false;
  private failure: StompProtocolError | undefined;

  private state: ParserState = S_IDLE;
  private frameBytes = 0;
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private lineCR = false;
  private command = '';
  private headers: Array<[string, string]> = [];
  /** Whether the current frame's headers are unescaped; fixed when its command line ends. */
  private escaping = false;
  private bodyRemaining = 0;

  constructor(opts: StompParserOptions) {
    for (const key of ['maxFrameBytes', 'maxHeaders', 'maxHeaderLineBytes'] as const) {
      const v = opts[key];
      if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`StompParser: ${key} must be a positive integer, got ${v}`);
    }
    this.maxFrameBytes = opts.maxFrameBytes;
    this.maxHeaders = opts.maxHeaders;
    this.maxHeaderLineBytes = opts.maxHeaderLineBytes;
    this.version = '1.2';
    this.setVersion(opts.version ?? '1.2');
    this.onFrame = opts.onFrame ?? (() => undefined);
    this.onHeartbeat = opts.onHeartbeat ?? (() => undefined);
    this.onError = opts.onError;
  }

  /** Switch the version used for frames that start after this call (e.g. after CONNECT). */
  setVersion(version: StompVersion): void {
    if (!STOMP_VERSIONS.includes(version)) throw new RangeError(`StompParser: unknown STOMP version ${String(version)}`);
    this.version = version;
  }

  getVersion(): StompVersion {
    return this.version;
  }

  /** Stop parsing; later `push` calls are ignored. Safe to call from a callback. */
  stop(): void {
    this.stopped = true;
    this.releaseBuffers();
  }

  /** True once the parser has failed or been stopped. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** The error that stopped the parser, if any. */
  get error(): StompProtocolError | undefined {
    return this.failure;
  }

  /** Bytes of the current, incomplete frame held by the parser (never more than maxFrameBytes). */
  get bufferedBytes(): number {
    return this.partsBytes;
  }

  push(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    while (i < n && !this.stopped) {
      switch (this.state) {
        case S_IDLE: {
          const b = chunk[i]!;
          if (b === LF) {
            i++;
            this.emitHeartbeat();
          } else if (b === CR) {
            i++;
            this.state = S_IDLE_CR;
          } else if (b >= UPPER_A && b <= UPPER_Z) {
            this.state = S_COMMAND;
            this.frameBytes = 0;
          } else {
            return this.fail(new StompProtocolError('INVALID_COMMAND', `unexpected byte ${hex(b)} where a command was expected`));
          }
          break;
        }
        case S_IDLE_CR: {
          if (chunk[i] !== LF) return this.fail(new StompProtocolError('MALFORMED_FRAME', 'CR not followed by LF between frames'));
          i++;
          this.state = S_IDLE;
          this.emitHeartbeat();
          break;
        }
        case S_COMMAND:
          i = this.readCommand(chunk, i);
          break;
        case S_HEADERS:
          i = this.readHeaderLine(chunk, i);
          break;
        case S_BODY_LENGTH: {
          const take = Math.min(this.bodyRemaining, n - i);
          this.keep(chunk, i, i + take);
          this.frameBytes += take;
          this.bodyRemaining -= take;
          i += take;
          if (this.bodyRemaining === 0) this.state = S_EXPECT_NUL;
          break;
        }
        case S_EXPECT_NUL: {
          const b = chunk[i]!;
          if (b !== NUL) {
            return this.fail(new StompProtocolError('MISSING_NUL', `byte ${hex(b)} follows the content-length body instead of NUL`));
          }
          i++;
          this.frameBytes++;
          this.completeFrame();
          break;
        }
        case S_BODY_SCAN: {
          const nul = chunk.indexOf(NUL, i);
          const end = nul === -1 ? n : nul;
          this.frameBytes += end - i + (nul === -1 ? 0 : 1);
          if (this.frameBytes > this.maxFrameBytes) return this.fail(this.tooLarge());
          this.keep(chunk, i, end);
          if (nul === -1) {
            i = n;
          } else {
            i = nul + 1;
            this.completeFrame();
          }
          break;
        }
      }
    }
  }

  /** Command line: only A-Z, then [CR] LF. Garbage is rejected at its first byte. */
  private readCommand(chunk: Buffer, start: number): number {
    const n = chunk.length;
    let i = start;
    for (; i < n; i++) {
      const b = chunk[i]!;
      if (b === LF) break;
      if (this.lineCR) return this.failAt(new StompProtocolError('INVALID_COMMAND', 'CR inside the command line'));
      if (b === CR) {
        this.lineCR = true;
      } else if (b < UPPER_A || b > UPPER_Z) {
        return this.failAt(new StompProtocolError('INVALID_COMMAND', `byte ${hex(b)} in the command line (commands are upper-case letters)`));
      }
    }
    this.frameBytes += i - start;
    if (this.partsBytes + (i - start) > MAX_COMMAND_BYTES + 1) {
      return this.failAt(new StompProtocolError('INVALID_COMMAND', `command line longer than ${MAX_COMMAND_BYTES} bytes`));
    }
    if (i === n) {
      this.keep(chunk, start, n);
      return n;
    }
    const end = this.lineCR ? i - 1 : i;
    if (this.parts.length === 0) {
      this.command = chunk.toString('latin1', start, Math.max(start, end));
    } else {
      // The line spans chunks; a CR, if any, may be the last byte kept or just before this LF.
      this.keep(chunk, start, i);
      const line = Buffer.concat(this.parts, this.partsBytes);
      this.command = line.toString('latin1', 0, this.lineCR ? line.length - 1 : line.length);
      this.releaseBuffers();
    }
    this.lineCR = false;
    this.frameBytes++; // LF
    this.headers = [];
    this.escaping = usesEscaping(this.command, this.version);
    this.state = S_HEADERS;
    if (this.frameBytes > this.maxFrameBytes) return this.failAt(this.tooLarge());
    return i + 1;
  }

  private readHeaderLine(chunk: Buffer, start: number): number {
    const n = chunk.length;
    const lf = chunk.indexOf(LF, start);
    if (lf === -1) {
      // Incomplete line: keep it, but enforce every limit now rather than when its end arrives.
      this.frameBytes += n - start;
      if (this.frameBytes > this.maxFrameBytes) return this.failAt(this.tooLarge());
      // +1: a trailing CR belongs to the EOL, not the line.
      if (this.partsBytes + (n - start) > this.maxHeaderLineBytes + 1) return this.failAt(this.lineTooLong());
      if (chunk.indexOf(NUL, start) !== -1) return this.failAt(this.nulInHeaders());
      this.keep(chunk, start, n);
      return n;
    }
    this.frameBytes += lf - start + 1;
    if (this.frameBytes > this.maxFrameBytes) return this.failAt(this.tooLarge());
    let buf = chunk;
    let s = start;
    let e = lf;
    if (this.parts.length > 0) {
      this.keep(chunk, start, lf);
      buf = Buffer.concat(this.parts, this.partsBytes);
      s = 0;
      e = buf.length;
      this.releaseBuffers();
    }
    if (e > s && buf[e - 1] === CR) e--;
    if (e - s > this.maxHeaderLineBytes) return this.failAt(this.lineTooLong());
    if (e === s) {
      this.endOfHeaders();
    } else if (this.headers.length >= this.maxHeaders) {
      return this.failAt(new StompProtocolError('TOO_MANY_HEADERS', `more than ${this.maxHeaders} headers`));
    } else {
      const err = this.addHeader(buf, s, e);
      if (err) return this.failAt(err);
    }
    return lf + 1;
  }

  private addHeader(buf: Buffer, start: number, end: number): StompProtocolError | undefined {
    const text = buf.toString('utf8', start, end);
    // Invalid UTF-8 decodes to U+FFFD; only then is the (slower) exact check needed.
    if (text.indexOf('\uFFFD') !== -1 && !isUtf8(buf.subarray(start, end))) {
      return new StompProtocolError('INVALID_UTF8', `header line ${this.headers.length + 1}`);
    }
    // Never valid in a header line; almost always a frame that forgot the blank line.
    if (text.indexOf('\0') !== -1) return this.nulInHeaders();
    const colon = text.indexOf(':');
    if (colon === -1) return new StompProtocolError('MALFORMED_HEADER', `header line ${this.headers.length + 1} has no colon`);
    if (colon === 0) return new StompProtocolError('MALFORMED_HEADER', `header line ${this.headers.length + 1} has an empty name`);
    let name = text.slice(0, colon);
    let value = text.slice(colon + 1);
    if (this.escaping) {
      try {
        name = unescapeHeaderText(name);
        value = unescapeHeaderText(value);
      } catch (err) {
        if (err instanceof StompProtocolError) return err;
        throw err;
      }
    }
    this.headers.push([name, value]);
    return undefined;
  }

  private endOfHeaders(): void {
    let contentLength: string | undefined;
    for (const [n, v] of this.headers) {
      if (n === 'content-length') {
        contentLength = v;
        break;
      }
    }
    if (contentLength === undefined) {
      this.state = S_BODY_SCAN;
      return;
    }
    const digits = contentLength.replace(/^[ \t]+|[ \t]+$/g, '');
    const length = /^[0-9]{1,16}$/.test(digits) ? Number(digits) : NaN;
    if (!Number.isSafeInteger(length)) {
      this.fail(new StompProtocolError('INVALID_CONTENT_LENGTH', `${JSON.stringify(contentLength.slice(0, 40))} is not a non-negative integer`));
      return;
    }
    if (this.frameBytes + length + 1 > this.maxFrameBytes) {
      this.fail(new StompProtocolError('FRAME_TOO_LARGE', `content-length ${length} makes the frame exceed the limit of ${this.maxFrameBytes} bytes`));
      return;
    }
    this.bodyRemaining = length;
    this.state = length === 0 ? S_EXPECT_NUL : S_BODY_LENGTH;
  }

  private completeFrame(): void {
    const body = this.parts.length === 0 ? Buffer.alloc(0) : Buffer.concat(this.parts, this.partsBytes);
    const frame: StompFrame = { command: this.command, headers: this.headers, body };
    this.releaseBuffers();
    this.command = '';
    this.headers = [];
    this.state = S_IDLE;
    this.invoke(() => this.onFrame(frame));
  }

  private emitHeartbeat(): void {
    this.invoke(() => this.onHeartbeat());
  }

  /** A throwing callback leaves the rest of the chunk unparsed, so the parser stops and rethrows. */
  private invoke(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.stop();
      throw err;
    }
  }

  private keep(chunk: Buffer, start: number, end: number): void {
    if (end <= start) return;
    this.parts.push(start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end));
    this.partsBytes += end - start;
  }

  private releaseBuffers(): void {
    this.parts = [];
    this.partsBytes = 0;
    this.lineCR = false;
  }

  private tooLarge(): StompProtocolError {
    return new StompProtocolError('FRAME_TOO_LARGE', `frame exceeds the limit of ${this.maxFrameBytes} bytes`);
  }

  private nulInHeaders(): StompProtocolError {
    return new StompProtocolError('MALFORMED_FRAME', 'NUL in the header section (missing blank line before the body?)');
  }

  private lineTooLong(): StompProtocolError {
    return new StompProtocolError('HEADER_LINE_TOO_LONG', `header line exceeds ${this.maxHeaderLineBytes} bytes`);
  }

  /** `fail` for helpers that return the next read position. */
  private failAt(err: StompProtocolError): number {
    this.fail(err);
    return Number.MAX_SAFE_INTEGER;
  }

  private fail(err: StompProtocolError): void {
    if (this.stopped) return;
    this.stop();
    this.failure = err;
    if (this.onError) this.onError(err);
    else throw err;
  }
}

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}
