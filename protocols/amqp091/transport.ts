/**
 * One byte pipe for an AMQP 0-9-1 connection, over a TCP/TLS socket or a WebSocket (binary
 * messages; a message may hold any part of the frame stream). Writes in one tick leave in one
 * system call (cork); `backedUp` says more than the high-water mark is unflushed and `onDrain`
 * fires when it falls under half of it. `onClose` fires once.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

export interface Amqp091Transport {
  onData: (chunk: Buffer) => void;
  onClose: () => void;
  onDrain: () => void;
  readonly backedUp: boolean;
  readonly closed: boolean;
  write(bytes: Buffer): void;
  pause(): void;
  resume(): void;
  /** Flush, then close. */
  end(): void;
  destroy(): void;
}

abstract class BaseTransport implements Amqp091Transport {
  onData: (chunk: Buffer) => void = () => undefined;
  onClose: () => void = () => undefined;
  onDrain: () => void = () => undefined;
  private pending = 0;
  private wasBackedUp = false;
  protected isClosed = false;

  constructor(private readonly highWater: number) {}

  get backedUp(): boolean {
    return this.pending > this.highWater;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  write(bytes: Buffer): void {
    if (this.isClosed) return;
    const n = bytes.length;
    this.pending += n;
    if (this.pending > this.highWater) this.wasBackedUp = true;
    this.send(bytes, () => {
      this.pending -= n;
      if (this.wasBackedUp && this.pending <= this.highWater / 2) {
        this.wasBackedUp = false;
        if (!this.isClosed) this.onDrain();
      }
    });
  }

  protected closedNow(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.onClose();
  }

  protected abstract send(bytes: Buffer, cb: () => void): void;
  abstract pause(): void;
  abstract resume(): void;
  abstract end(): void;
  abstract destroy(): void;
}

class SocketTransport extends BaseTransport {
  private corked = false;

  constructor(private readonly socket: Socket, highWater: number) {
    super(highWater);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.once('close', () => this.closedNow());
  }

  protected send(bytes: Buffer, cb: () => void): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(bytes, () => cb());
  }

  pause(): void { this.socket.pause(); }
  resume(): void { this.socket.resume(); }

  end(): void {
    if (this.isClosed) return;
    this.onData = () => undefined;
    this.socket.resume();
    this.socket.end();
    this.socket.setTimeout(2000, () => this.socket.destroy());
  }

  destroy(): void { this.socket.destroy(); }
}

class WebSocketTransport extends BaseTransport {
  constructor(private readonly ws: WebSocket, highWater: number) {
    super(highWater);
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      const chunk = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      this.onData(chunk);
    });
    ws.once('close', () => this.closedNow());
  }

  protected send(bytes: Buffer, cb: () => void): void {
    this.ws.send(bytes, { binary: true }, () => cb());
  }

  pause(): void { this.ws.pause(); }
  resume(): void { this.ws.resume(); }

  end(): void {
    if (this.isClosed) return;
    this.onData = () => undefined;
    this.ws.close(1000);
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  destroy(): void { this.ws.terminate(); }
}

export function socketTransport(socket: Socket, highWater: number): Amqp091Transport {
  return new SocketTransport(socket, highWater);
}

export function webSocketTransport(ws: WebSocket, highWater: number): Amqp091Transport {
  return new WebSocketTransport(ws, highWater);
}
