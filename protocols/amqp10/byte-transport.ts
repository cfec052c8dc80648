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
}

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
  const flush = (): void => {
    const out = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
    pending = [];
    if (ws.readyState === ws.OPEN) ws.send(out, { binary: true });
  };
  return {
    id: remote,
    write: (data) => {
      if (ws.readyState !== ws.OPEN) return;
      if (pending.length === 0) process.nextTick(flush);
      pending.push(data);
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
  };
}
