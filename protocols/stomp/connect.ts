/**
 * The CONNECT / STOMP frame: what the client asks for, checked synchronously (version,
 * heart-beats, credentials to authenticate, client id), and the CONNECTED answer.
 *
 * - `accept-version` absent → 1.0; none of 1.0/1.1/1.2 → ERROR with `version:1.0,1.1,1.2`.
 * - `host` (required by 1.1/1.2, often omitted by clients): accepted whatever its value — the
 *   broker has one virtual host.
 * - `login` / `passcode` → SecurityManager.authenticate (anonymous when no login).
 * - `client-id` (ActiveMQ): the identity for durable topic subscriptions.
 * - `heart-beat` negotiated against the server's floors (StompOptions.heartbeat).
 */
import { VERSION } from '../../src/version.js';
import { header, type StompFrame, type StompVersion } from './frame.js';
import { negotiateHeartbeat, negotiateVersion, type HeartbeatNegotiation } from './negotiate.js';
import type { StompOptions } from './options.js';

/** A session-level failure that needs more than the message on its ERROR frame. */
export class StompSessionError extends Error {
  constructor(message: string, readonly supportedVersions = false) {
    super(message);
    this.name = 'StompSessionError';
  }
}

export interface ConnectRequest {
  version: StompVersion;
  heartbeat: HeartbeatNegotiation;
  login: string | undefined;
  passcode: string | undefined;
  clientId: string | undefined;
  host: string | undefined;
}

/** Throws StompSessionError (version) or StompProtocolError (heart-beat). */
export function readConnect(frame: StompFrame, options: StompOptions): ConnectRequest {
  const version = negotiateVersion(header(frame, 'accept-version'));
  if (version === null) {
    throw new StompSessionError(`unsupported protocol version(s) ${JSON.stringify(header(frame, 'accept-version'))}; supported: 1.0, 1.1, 1.2`, true);
  }
  const heartbeat = negotiateHeartbeat(header(frame, 'heart-beat'), options.heartbeat);
  const clientId = header(frame, 'client-id');
  if (clientId !== undefined && clientId.trim() === '') throw new StompSessionError('client-id must not be empty');
  return {
    version,
    heartbeat,
    login: header(frame, 'login'),
    passcode: header(frame, 'passcode'),
    clientId,
    host: header(frame, 'host'),
  };
}

export function connectedFrame(req: ConnectRequest, sessionId: string): StompFrame {
  const headers: Array<[string, string]> = [
    ['version', req.version],
    ['heart-beat', req.heartbeat.connectedHeader],
    ['session', sessionId],
    ['server', `Interchange/${VERSION}`],
  ];
  return { command: 'CONNECTED', headers, body: Buffer.alloc(0) };
}
