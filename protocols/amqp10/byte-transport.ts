/**
 * One byte-stream interface over the two carriers of AMQP 1.0: a TCP/TLS socket and a WebSocket
 * (subprotocol `amqp`, binary messages carrying arbitrary slices of the same byte stream).
 */
import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';

export interface ByteTransport {
  /** For logs: remote address and port. */
  readonly id: string;
  write(data: Buffer): void;
  /** Graceful close after pending writes. */
  end(): void;
  destroy(): void;
  onData(cb: (data: Buffer) => void): void;
  /** Called once when the carrier is gone (either side closed it, or it failed). */
  onClose(cb: (err?: Error) => void): void;
  /** More than CONGESTED_BYTES (counting `extra` not yet written) waiting to be sent: the client reads slower than we write. */
  congested(extra: number): boolean;
}

/** Unsent bytes beyond which the broker stops handing out more deliveries on a connection. */
export const CONGESTED_BYTES = 4 * 1024 * 1024;


export function socketTransport(socket: Socket): ByteTransport {
  let closeCb: ((err?: Error) => void) | undefined;
  let lastError: Error | undefined;
  let closed = false;
  socket.on('error', (err) => {
    lastError = err;
  });
  socket.on('close', () => {
    if (closed) return;
    closed = true;
    closeCb?.(lastError);
  });
  // rhea writes every frame separately: cork for the rest of the tick so they leave in one writev.
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  return {
    id: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`,
    write: (data) => {
      if (socket.destroyed || !socket.writable) return;
      if (!corked) {
        corked = true;
        socket.cork();
        process.nextTick(uncork);
      }
      socket.write(data);
    },
    end: () => {
      if (!socket.destroyed) socket.end();
    },
    destroy: () => socket.destroy(),
    onData: (cb) => socket.on('data', cb),
    onClose: (cb) => {
      closeCb = cb;
    },
    congested: (extra) => !socket.destroyed && socket.writableLength + extra > CONGESTED_BYTES,
  };
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export function webSocketTransport(ws: WebSocket, remote: string): ByteTransport {
  let closeCb: ((err?: Error) => void) | undefined;
  let lastError: Error | undefined;
  let closed = false;
  ws.on('error', (err) => {
    lastError = err;
  });
  ws.on('close', () => {
    if (closed) return;
    closed = true;
    closeCb?.(lastError);
  });
  // rhea writes every frame separately: gather a tick's frames into one WebSocket message.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = (): void => {
    const out = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
    pending = [];
    pendingBytes = 0;
    if (ws.readyState === ws.OPEN) ws.send(out, { binary: true });
  };
  return {
    id: remote,
    write: (data) => {
      if (ws.readyState !== ws.OPEN) return;
      if (pending.length === 0) process.nextTick(flush);
      pending.push(data);
      pendingBytes += data.length;
    },
    end: () => {
      if (pending.length > 0) flush();
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000);
    },
    destroy: () => ws.terminate(),
    onData: (cb) => ws.on('message', (data: RawData) => cb(toBuffer(data))),
    onClose: (cb) => {
      closeCb = cb;
    },
    congested: (extra) => ws.readyState === ws.OPEN && ws.bufferedAmount + pendingBytes + extra > CONGESTED_BYTES,
  };
}
