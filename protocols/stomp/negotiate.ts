/**
 * CONNECT-time negotiation: protocol version and heart-beats (STOMP 1.2 "Protocol Negotiation"
 * and "Heart-beating").
 */
import { StompProtocolError } from './errors.js';
import type { StompVersion } from './frame.js';

export { HeartbeatMonitor, systemHeartbeatClock } from './heartbeat-monitor.js';
export type { HeartbeatClock, HeartbeatMonitorOptions, HeartbeatTimerHandle } from './heartbeat-monitor.js';

const SUPPORTED: readonly StompVersion[] = ['1.2', '1.1', '1.0']; // highest first

/**
 * Pick the version for a CONNECT/STOMP frame's `accept-version` header.
 * Absent header → '1.0' (a 1.0 client). Otherwise the highest of 1.2, 1.1, 1.0 that the
 * comma-separated list names (surrounding blanks and unknown entries are ignored, order does
 * not matter); null when there is none: the server then answers with an ERROR frame carrying
 * `version:1.0,1.1,1.2` and closes the connection.
 */
export function negotiateVersion(acceptVersionHeader: string | undefined): StompVersion | null {
  if (acceptVersionHeader === undefined) return '1.0';
  const offered = new Set(acceptVersionHeader.split(',').map((v) => v.trim()));
  for (const v of SUPPORTED) {
    if (offered.has(v)) return v;
  }
  return null;
}

/** Versions the server supports, in the form of the ERROR frame's `version` header. */
export const SUPPORTED_VERSIONS_HEADER = '1.0,1.1,1.2';

export interface HeartbeatNegotiation {
  /** The server sends something at least this often; 0 = never. */
  sendEveryMs: number;
  /** The server expects something from the client this often; 0 = no check. */
  expectEveryMs: number;
  /**
   * Value for the CONNECTED frame's `heart-beat` header: `sendEveryMs,expectEveryMs`. The
   * client computes the same two intervals from it as the server did (max(cx, sy) and max(sx, cy)).
   */
  connectedHeader: string;
}

/**
 * Heart-beat negotiation from the server's side. The client sends `heart-beat: cx,cy`
 * (cx: the smallest interval at which it can send, cy: the interval at which it wants to
 * receive; 0 = cannot / does not want). The server can send every `server.sendMs` (sx) and wants
 * to receive every `server.receiveMs` (sy).
 *
 * - server → client: 0 if sx = 0 or cy = 0, else max(sx, cy)
 * - client → server: 0 if cx = 0 or sy = 0, else max(cx, sy)
 *
 * An absent header means `0,0`. A malformed one (not two non-negative integers separated by a
 * comma; blanks around the numbers are tolerated) throws StompProtocolError INVALID_HEARTBEAT.
 */
export function negotiateHeartbeat(
  clientHeader: string | undefined,
  server: { sendMs: number; receiveMs: number },
): HeartbeatNegotiation {
  const [cx, cy] = clientHeader === undefined ? [0, 0] : parseHeartbeatHeader(clientHeader);
  const sx = server.sendMs;
  const sy = server.receiveMs;
  for (const [name, v] of [['sendMs', sx], ['receiveMs', sy]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`negotiateHeartbeat: server.${name} must be a non-negative integer, got ${v}`);
  }
  const sendEveryMs = sx === 0 || cy === 0 ? 0 : Math.max(sx, cy);
  const expectEveryMs = cx === 0 || sy === 0 ? 0 : Math.max(cx, sy);
  return { sendEveryMs, expectEveryMs, connectedHeader: `${sendEveryMs},${expectEveryMs}` };
}

/** Parse `x,y` into two non-negative safe integers (milliseconds). */
export function parseHeartbeatHeader(value: string): [number, number] {
  const m = /^[ \t]*([0-9]{1,15})[ \t]*,[ \t]*([0-9]{1,15})[ \t]*$/.exec(value);
  if (!m) {
    throw new StompProtocolError('INVALID_HEARTBEAT', `${JSON.stringify(value.slice(0, 40))} is not "<send-ms>,<receive-ms>"`);
  }
  return [Number(m[1]), Number(m[2])];
}
