/**
 * A test-only protocol module: every line a client sends (TCP or TLS: `\n`-terminated; WebSocket:
 * one message) comes back prefixed with the module's name, `line-echo: hello`. It talks to no
 * core: it exists to show that a front-end needs only its folder and a registry line. On a
 * family shared by header the 8-byte header is consumed before the echo starts.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { ProtocolListener } from '../../../src/server/listener-family.js';
import type { ConnectionInfo, ProtocolFactory, ProtocolModule } from '../../../src/server/protocol-module.js';
import { headerEchoListener, lineEchoListener } from './listener.js';

class LineEchoModule implements ProtocolModule {
  readonly name: string;
  private readonly sockets = new Set<Socket>();
  private readonly webSockets = new Set<WebSocket>();

  constructor(readonly listener: ProtocolListener) {
    this.name = listener.protocol;
  }

  handleSocket(socket: Socket, info: ConnectionInfo): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    let pending = Buffer.alloc(0);
    let skip = this.listener.family.dispatch === 'header' ? 8 : 0;
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (skip > 0) {
        const n = Math.min(skip, pending.length);
        pending = pending.subarray(n);
        skip -= n;
      }
      for (let nl = pending.indexOf(0x0a); nl >= 0; nl = pending.indexOf(0x0a)) {
        socket.write(`${this.name} ${info.transport}: ${pending.subarray(0, nl).toString('utf8')}\n`);
        pending = pending.subarray(nl + 1);
      }
    });
  }

  handleWebSocket(ws: WebSocket, subprotocol: string, info: ConnectionInfo): void {
    this.webSockets.add(ws);
    ws.once('close', () => this.webSockets.delete(ws));
    ws.on('message', (data) => ws.send(`${this.name} ${info.transport} ${subprotocol}: ${String(data)}`));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.end();
    for (const ws of this.webSockets) ws.close(1001, 'server stopping');
  }
}

export const lineEchoProtocol: ProtocolFactory = async () => new LineEchoModule(lineEchoListener);
export const headerEchoProtocol: ProtocolFactory = async () => new LineEchoModule(headerEchoListener);
