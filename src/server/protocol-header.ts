/** Reading the first bytes of a connection to tell protocols apart (the shared AMQP port). */
import type { Socket } from 'node:net';

export const PROTOCOL_HEADER_LENGTH = 8;

/**
 * Resolve to the first 8 bytes the client sends, or null if it closes or stays silent past
 * `timeoutMs` (then the socket is destroyed). Extra bytes beyond 8 are unshifted back.
 */
export function readProtocolHeader(socket: Socket, timeoutMs: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (value: Buffer | null): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      length += chunk.length;
      if (length < PROTOCOL_HEADER_LENGTH) return;
      socket.pause();
      const all = Buffer.concat(chunks, length);
      if (all.length > PROTOCOL_HEADER_LENGTH) socket.unshift(all.subarray(PROTOCOL_HEADER_LENGTH));
      finish(all.subarray(0, PROTOCOL_HEADER_LENGTH));
    };
    const onClose = (): void => finish(null);
    const timer = setTimeout(() => {
      socket.destroy();
      finish(null);
    }, timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}
