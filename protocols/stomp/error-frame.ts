/**
 * Building the ERROR frame the broker sends before closing a connection (STOMP 1.2 "ERROR").
 * `message` is the short description (a header, so one line); `details` goes in the body.
 * When the failing frame carried a `receipt` header, its value belongs in `receipt-id`.
 */
import { StompProtocolError } from './errors.js';
import { SUPPORTED_VERSIONS_HEADER } from './negotiate.js';
import type { StompFrame } from './frame.js';

export interface ErrorFrameOptions {
  /** Value of the offending frame's `receipt` header, if any. */
  receiptId?: string;
  /** Longer text for the body (content-type text/plain). */
  details?: string;
  /** Add `version:1.0,1.1,1.2` (required when version negotiation failed). */
  supportedVersions?: boolean;
}

export function createErrorFrame(error: StompProtocolError | string, opts: ErrorFrameOptions = {}): StompFrame {
  const message = (typeof error === 'string' ? error : error.message).replace(/[\r\n]+/g, ' ');
  const headers: Array<[string, string]> = [['message', message]];
  if (opts.receiptId !== undefined) headers.push(['receipt-id', opts.receiptId]);
  if (opts.supportedVersions) headers.push(['version', SUPPORTED_VERSIONS_HEADER]);
  let body = Buffer.alloc(0);
  if (opts.details !== undefined && opts.details !== '') {
    headers.push(['content-type', 'text/plain']);
    body = Buffer.from(opts.details, 'utf8');
  }
  return { command: 'ERROR', headers, body };
}
