/**
 * Any failure of a STOMP session → the ERROR frame sent before closing: a one-line `message`
 * header, `receipt-id` when the failing frame asked for a receipt, `version` when negotiation
 * failed, and a text body saying what was rejected and why. Broker errors keep their code
 * (FORBIDDEN, MESSAGE_TOO_LARGE, ...); unexpected ones are reported as an internal error without
 * details (those go to the log).
 */
import { isBrokerError, type ErrorCode } from '../../src/core/errors.js';
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

/**
 * Every core error code → how its ERROR frame is made (the one table; see
 * test/protocols/error-tables.test.ts). The frame keeps the core code (`code:` line of the body)
 * and message; `internal` codes are the broker's own failures: logged at error level, and the
 * client gets no details. NOT_ACTIVE and STORE_CLOSED are shutdown/standby, not failures.
 */
export const STOMP_ERROR_FOR_CODE: Readonly<Record<ErrorCode, { internal: boolean }>> = {
  INVALID_NAME: { internal: false },
  INVALID_ARGUMENT: { internal: false },
  INVALID_ATTRIBUTE: { internal: false },
  INVALID_FILTER_POLICY: { internal: false },
  INVALID_JSON: { internal: false },
  MESSAGE_TOO_LARGE: { internal: false },
  QUEUE_FULL: { internal: false },
  NOT_FOUND: { internal: false },
  ALREADY_EXISTS: { internal: false },
  KIND_MISMATCH: { internal: false },
  PRECONDITION_FAILED: { internal: false },
  AUTO_CREATE_DISABLED: { internal: false },
  UNAUTHENTICATED: { internal: false },
  FORBIDDEN: { internal: false },
  STORE_CLOSED: { internal: false },
  STORE_FAILED: { internal: true },
  NOT_ACTIVE: { internal: false },
  CONFIG_INVALID: { internal: true },
  RECEIPT_INVALID: { internal: false },
  SHARD_INVALID: { internal: false },
  ITERATOR_INVALID: { internal: false },
};

export function describeError(err: unknown): ErrorDescription {
  if (err instanceof StompProtocolError) return { code: err.code, message: err.message, internal: false };
  if (err instanceof StompSessionError) return { code: 'PROTOCOL', message: err.message, internal: false, supportedVersions: err.supportedVersions };
  if (isBrokerError(err)) return { code: err.code, message: err.message, internal: STOMP_ERROR_FOR_CODE[err.code].internal };
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
