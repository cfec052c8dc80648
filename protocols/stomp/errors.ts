/**
 * Errors raised by the STOMP protocol layer. Every error carries a stable code and a short,
 * single-line message that can be sent to the client as the `message` header of an ERROR frame.
 * Parser errors are fatal to the connection (the spec says the server then closes it).
 */
export const StompErrorCodes = {
  FRAME_TOO_LARGE: 'frame too large',
  TOO_MANY_HEADERS: 'too many headers',
  HEADER_LINE_TOO_LONG: 'header line too long',
  INVALID_CONTENT_LENGTH: 'invalid content-length',
  MISSING_NUL: 'frame not terminated by NUL',
  INVALID_ESCAPE: 'invalid header escape sequence',
  INVALID_COMMAND: 'invalid command',
  MALFORMED_HEADER: 'malformed header',
  INVALID_UTF8: 'header is not valid UTF-8',
  MALFORMED_FRAME: 'malformed frame',
  INVALID_HEARTBEAT: 'invalid heart-beat header',
  INVALID_DESTINATION: 'invalid destination',
  INVALID_STREAM_OFFSET: 'invalid x-stream-offset',
} as const;

export type StompErrorCode = keyof typeof StompErrorCodes;

export class StompProtocolError extends Error {
  readonly code: StompErrorCode;

  /** `detail` is appended to the code's summary: "frame too large: 2000 bytes exceeds limit 1024". */
  constructor(code: StompErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(detail ? `${StompErrorCodes[code]}: ${detail}` : StompErrorCodes[code], options);
    this.name = 'StompProtocolError';
    this.code = code;
  }
}

export function isStompProtocolError(err: unknown, code?: StompErrorCode): err is StompProtocolError {
  return err instanceof StompProtocolError && (code === undefined || err.code === code);
}
