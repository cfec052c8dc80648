/**
 * Every open client connection, by protocol: for the connections-per-protocol metric and for
 * graceful shutdown (connections still open after the modules closed are destroyed).
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

type Closable = { kind: 'socket'; socket: Socket } | { kind: 'ws'; ws: WebSocket };

export class ConnectionRegistry {
  private readonly open = new Map<string, Set<Closable>>();
  private readonly totals = new Map<string, number>();

  track(protocol: string, conn: Closable): void {
    let set = this.open.get(protocol);
    if (!set) this.open.set(protocol, (set = new Set()));
    set.add(conn);
    this.totals.set(protocol, (this.totals.get(protocol) ?? 0) + 1);
    const forget = (): void => { set.delete(conn); };
    if (conn.kind === 'socket') conn.socket.once('close', forget);
    else conn.ws.once('close', forget);
  }

  trackSocket(protocol: string, socket: Socket): void {
    this.track(protocol, { kind: 'socket', socket });
  }

  trackWebSocket(protocol: string, ws: WebSocket): void {
    this.track(protocol, { kind: 'ws', ws });
  }

  /** Open connections per protocol. */
  counts(): Map<string, number> {
    return new Map([...this.open].map(([p, s]) => [p, s.size]));
  }

  /** Connections accepted since start, per protocol. */
  acceptedTotals(): Map<string, number> {
    return new Map(this.totals);
  }

  get size(): number {
    let n = 0;
    for (const s of this.open.values()) n += s.size;
    return n;
  }

  destroyAll(): void {
    for (const set of this.open.values()) {
      for (const c of set) {
        if (c.kind === 'socket') c.socket.destroy();
        else c.ws.terminate();
      }
    }
  }
}
