/**
 * STOMP header escaping (names and values alike).
 *
 * | octets on the wire | meaning | 1.0 | 1.1 | 1.2 |
 * |---|---|---|---|---|
 * | `\r` (92, 114) | carriage return (13) | literal | accepted when reading, never written | yes |
 * | `\n` (92, 110) | line feed (10)       | literal | yes | yes |
 * | `\c` (92, 99)  | colon (58)           | literal | yes | yes |
 * | `\\` (92, 92)  | backslash (92)       | literal | yes | yes |
 *
 * Any other escape (e.g. `\t`, or a trailing lone backslash) is a fatal protocol error in 1.1
 * and 1.2. 1.1 defines no `\r`; we accept it when reading (harmless, and what brokers do) but
 * write a raw CR to 1.1 peers, which is what the 1.1 spec expects.
 *
 * Whether a frame uses escaping at all is decided by `usesEscaping` in frame.ts.
 */
import { StompProtocolError } from './errors.js';
import type { StompVersion } from './frame.js';

const BACKSLASH = 92;

/** Decode escapes in a header name or value received on an escaping frame (1.1/1.2). */
export function unescapeHeaderText(text: string): string {
  if (text.indexOf('\\') === -1) return text;
  let out = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== BACKSLASH) continue;
    out += text.slice(start, i);
    const next = text[i + 1];
    switch (next) {
      case 'r': out += '\r'; break;
      case 'n': out += '\n'; break;
      case 'c': out += ':'; break;
      case '\\': out += '\\'; break;
      case undefined:
        throw new StompProtocolError('INVALID_ESCAPE', 'header ends with a lone backslash');
      default:
        throw new StompProtocolError('INVALID_ESCAPE', `undefined escape sequence \\${printable(next)}`);
    }
    i++;
    start = i + 1;
  }
  return out + text.slice(start);
}

const NEEDS_ESCAPE_12 = /[\\\r\n:]/;
const NEEDS_ESCAPE_11 = /[\\\n:]/;

/** Encode a header name or value for an escaping frame in `version` ('1.1' or '1.2'). */
export function escapeHeaderText(text: string, version: Exclude<StompVersion, '1.0'>): string {
  const needs = version === '1.2' ? NEEDS_ESCAPE_12 : NEEDS_ESCAPE_11;
  if (!needs.test(text)) return text;
  let out = '';
  for (const ch of text) {
    switch (ch) {
      case '\\': out += '\\\\'; break;
      case '\n': out += '\\n'; break;
      case ':': out += '\\c'; break;
      case '\r': out += version === '1.2' ? '\\r' : '\r'; break;
      default: out += ch;
    }
  }
  return out;
}

/**
 * Make a header name or value safe for a frame that does not escape (STOMP 1.0, CONNECT,
 * CONNECTED): line breaks cannot be represented there and would let a value inject headers, so
 * CR and LF become spaces; in names a colon would move the name/value split, so it becomes `_`.
 */
export function sanitizeUnescapedHeaderText(text: string, isName: boolean): string {
  let out = text.replace(/[\r\n]/g, ' ');
  if (isName) out = out.replace(/:/g, '_');
  return out;
}

function printable(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  return code >= 0x21 && code <= 0x7e ? ch : `x${code.toString(16).padStart(2, '0')}`;
}
