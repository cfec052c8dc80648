/**
 * One byte pipe for a STOMP session, over a TCP/TLS socket or a WebSocket.
 *
 * - Reading: `onData` gets raw chunks (a WebSocket message may hold one frame, several, or part
 *   of one: the parser does not care). `pause()`/`resume()` stop and restart reading.
 * - Writing: one call per frame (over WebSocket: one frame per WS message, sent as a text message
 *   when it is valid UTF-8, else binary). The transport counts bytes handed to it and not yet
 *   flushed; `backedUp` says they exceed the high-water mark, and `onDrain` fires once they fall
 *   back under half of it. `write`'s callback runs when the bytes were flushed to the OS.
 * - `end()` flushes and closes; `destroy()` closes at once. `onClose` fires once either way.
 */
import { isUtf8 } from 'node:buffer';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

export interface StompTransport {
  onData: (chunk: Buffer) => void;
  onClose: () => void;
  onDrain: () => void;
  readonly pendingBytes: number;
  readonly backedUp: boolean;
  readonly closed: boolean;
  write(bytes: Buffer, flushed?: (err?: Error | null) => void): void;
  pause(): void;
  resume(): void;
  end(): void;
  destroy(): void;
}

abstract class BaseTransport implements StompTransport {
  onData: (chunk: Buffer) => void = () => undefined;
  onClose: () => void = () => undefined;
  onDrain: () => void = () => undefined;
  private pending = 0;
  private wasBackedUp = false;
  protected isClosed = false;
  private paused = false;
  private ending = false;

  constructor(private readonly highWater: number) {}

  get pendingBytes(): number {
    return this.pending;
  }

  get backedUp(): boolean {
    return this.pending > this.highWater;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  write(bytes: Buffer, flushed?: (err?: Error | null) => void): void {
    if (this.isClosed) return;
    const n = bytes.length;
    this.pending += n;
    if (this.pending > this.highWater) this.wasBackedUp = true;
    this.send(bytes, (err) => {
      this.pending -= n;
      if (this.wasBackedUp && this.pending <= this.highWater / 2) {
        this.wasBackedUp = false;
        if (!this.isClosed) this.onDrain();
      }
      flushed?.(err);
    });
  }

  pause(): void {
    if (this.paused || this.isClosed || this.ending) return;
    this.paused = true;
    this.doPause();
  }

  resume(): void {
    if (!this.paused || this.isClosed || this.ending) return;
    this.paused = false;
    this.doResume();
  }

  /** Flush and close. Reading resumes (data is discarded) so the peer's close is seen promptly. */
  end(): void {
    if (this.isClosed || this.ending) return;
    this.ending = true;
    this.onData = () => undefined;
    this.paused = false;
    this.doResume();
    this.doEnd();
  }

  protected closedNow(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.onClose();
  }

  protected abstract send(bytes: Buffer, cb: (err?: Error | null) => void): void;
  protected abstract doPause(): void;
  protected abstract doResume(): void;
  protected abstract doEnd(): void;
  abstract destroy(): void;
}

export class SocketTransport extends BaseTransport {
  private corked = false;

  constructor(private readonly socket: Socket, highWater: number) {
    super(highWater);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // 'error' is always followed by 'close' (the server attached the logging 'error' listener).
    socket.once('close', () => this.closedNow());
  }

  /** Frames written in the same tick (a burst of MESSAGEs, RECEIPTs) leave in one system call. */
  protected send(bytes: Buffer, cb: (err?: Error | null) => void): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(bytes, cb);
  }

  protected doPause(): void {
    this.socket.pause();
  }

  protected doResume(): void {
    this.socket.resume();
  }

  protected doEnd(): void {
    this.socket.end();
    // A peer that never reads would keep the socket half-open forever.
    const timer = setTimeout(() => this.socket.destroy(), 5000);
    timer.unref();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export class WebSocketTransport extends BaseTransport {
  constructor(private readonly ws: WebSocket, highWater: number) {
    super(highWater);
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => this.onData(toBuffer(data)));
    ws.once('close', () => this.closedNow());
  }

  protected send(bytes: Buffer, cb: (err?: Error | null) => void): void {
    if (this.ws.readyState !== this.ws.OPEN) {
      cb(new Error('WebSocket is not open'));
      return;
    }
    this.ws.send(bytes, { binary: !isUtf8(bytes) }, cb);
  }

  protected doPause(): void {
    this.ws.pause();
  }

  protected doResume(): void {
    this.ws.resume();
  }

  protected doEnd(): void {
    this.ws.close(1000);
    const timer = setTimeout(() => this.ws.terminate(), 5000);
    timer.unref();
  }

  destroy(): void {
    this.ws.terminate();
  }
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
