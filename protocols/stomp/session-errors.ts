/**
 * Any failure of a STOMP session → the ERROR frame sent before closing: a one-line `message`
 * header, `receipt-id` when the failing frame asked for a receipt, `version` when negotiation
 * failed, and a text body saying what was rejected and why. Broker errors keep their code
 * (FORBIDDEN, MESSAGE_TOO_LARGE, ...); unexpected ones are reported as an internal error without
 * details (those go to the log).
 */
import { isBrokerError } from '../../src/core/errors.js';
import { StompSessionError } from './connect.js';
import { createErrorFrame } from './error-frame.js';
import { StompProtocolError } from './errors.js';
import { header, type StompFrame } from './frame.js';

export interface ErrorDescription {
  code: string;
  message: string;
  /** Not the client's fault: log at error level, hide details. */
  internal: boolean;
  supportedVersions?: boolean;
}

export function describeError(err: unknown): ErrorDescription {
  if (err instanceof StompProtocolError) return { code: err.code, message: err.message, internal: false };
  if (err instanceof StompSessionError) return { code: 'PROTOCOL', message: err.message, internal: false, supportedVersions: err.supportedVersions };
  if (isBrokerError(err)) return { code: err.code, message: err.message, internal: err.status >= 500 && err.code !== 'NOT_ACTIVE' && err.code !== 'STORE_CLOSED' };
  return { code: 'INTERNAL', message: 'internal broker error', internal: true };
}

export function errorFrameFor(d: ErrorDescription, frame?: StompFrame): StompFrame {
  const lines = [d.message, '', `code: ${d.code}`];
  if (frame) {
    lines.push(`frame: ${frame.command}`);
    const destination = header(frame, 'destination');
    if (destination !== undefined) lines.push(`destination: ${destination}`);
  }
  lines.push('', 'The broker closes the connection after this frame.');
  const receiptId = frame ? header(frame, 'receipt') : undefined;
  return createErrorFrame(d.message, {
    details: lines.join('\n') + '\n',
    ...(receiptId !== undefined ? { receiptId } : {}),
    ...(d.supportedVersions ? { supportedVersions: true } : {}),
  });
}
