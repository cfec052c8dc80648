/**
 * The STOMP frame model shared by the parser and the writer.
 *
 * Headers are kept as an ordered list of [name, value] pairs, exactly as they appeared on the
 * wire (already unescaped). Repeated headers are kept; per the spec only the FIRST occurrence of a
 * name is significant, which is what `header()` returns.
 */
export type StompVersion = '1.0' | '1.1' | '1.2';

export const STOMP_VERSIONS: readonly StompVersion[] = ['1.0', '1.1', '1.2'];

export interface StompFrame {
  command: string;
  /** Ordered, unescaped; repeated names are kept (first one wins, see `header`). */
  headers: Array<[string, string]>;
  body: Buffer;
}

/** Value of the first header called `name` (names are case-sensitive in STOMP), or undefined. */
export function header(frame: StompFrame, name: string): string | undefined {
  for (const [n, v] of frame.headers) {
    if (n === name) return v;
  }
  return undefined;
}

/** Every value of header `name`, in wire order (useful for diagnostics; semantics use `header`). */
export function headerValues(frame: StompFrame, name: string): string[] {
  const out: string[] = [];
  for (const [n, v] of frame.headers) {
    if (n === name) out.push(v);
  }
  return out;
}

export type HeaderInput = Record<string, string | number | boolean | undefined | null>;

/**
 * Build a frame. Headers are taken in the object's insertion order; `undefined` and `null`
 * values are skipped, numbers and booleans are converted with String(). A string body is
 * encoded as UTF-8.
 */
export function createFrame(command: string, headers: HeaderInput = {}, body?: Buffer | string): StompFrame {
  const list: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    list.push([name, String(value)]);
  }
  let bytes: Buffer;
  if (body === undefined) bytes = Buffer.alloc(0);
  else if (typeof body === 'string') bytes = Buffer.from(body, 'utf8');
  else bytes = body;
  return { command, headers: list, body: bytes };
}

/**
 * Whether header names and values of `command` are escaped in `version`. STOMP 1.0 never
 * escapes; in 1.1 and 1.2 every frame does except CONNECT and CONNECTED (which must stay
 * readable by 1.0 peers). We treat STOMP, the 1.1+ synonym of CONNECT, like CONNECT: the
 * version is not negotiated yet when it is sent.
 */
export function usesEscaping(command: string, version: StompVersion): boolean {
  if (version === '1.0') return false;
  return command !== 'CONNECT' && command !== 'CONNECTED' && command !== 'STOMP';
}
