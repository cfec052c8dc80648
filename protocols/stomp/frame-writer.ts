/**
 * STOMP frame encoder (broker → client).
 *
 * - `command LF (name:value LF)* LF body NUL`, LF line endings (valid in every version).
 * - 1.1/1.2: header names and values are escaped, except in CONNECT/STOMP/CONNECTED frames.
 *   1.1 has no `\r` escape, so a CR goes out raw to 1.1 peers (as the 1.1 spec implies).
 * - 1.0 and CONNECT/CONNECTED cannot carry CR/LF in headers: they become spaces (and `:` in a
 *   header name becomes `_`) so that a header can never inject another header or end the frame.
 * - `content-length` is always written by the writer itself, computed from the body, for every
 *   frame with a non-empty body and for every MESSAGE frame; any `content-length` in the frame's
 *   headers is dropped (its value could disagree with the body). Bodies may therefore contain NUL.
 */
import { escapeHeaderText, sanitizeUnescapedHeaderText } from './escape.js';
import { usesEscaping, type StompFrame, type StompVersion } from './frame.js';

/** A heart-beat: one EOL. */
export const HEARTBEAT: Buffer = Buffer.from('\n');

const NUL_BYTE = 0;

export function encodeFrame(frame: StompFrame, version: StompVersion): Buffer {
  const escaping = usesEscaping(frame.command, version);
  let head = sanitizeUnescapedHeaderText(frame.command, true) + '\n';
  for (const [name, value] of frame.headers) {
    if (name === 'content-length') continue;
    if (escaping) {
      head += escapeHeaderText(name, version as '1.1' | '1.2') + ':' + escapeHeaderText(value, version as '1.1' | '1.2') + '\n';
    } else {
      head += sanitizeUnescapedHeaderText(name, true) + ':' + sanitizeUnescapedHeaderText(value, false) + '\n';
    }
  }
  const body = frame.body;
  if (body.length > 0 || frame.command === 'MESSAGE') head += `content-length:${body.length}\n`;
  head += '\n';

  const headBytes = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headBytes + body.length + 1);
  out.write(head, 0, 'utf8');
  body.copy(out, headBytes);
  out[headBytes + body.length] = NUL_BYTE;
  return out;
}
