/**
 * AMQP 0-9-1 constants: protocol header, frame types, frame end, and the reply codes with the
 * names RabbitMQ puts at the start of reply-text (`NOT_FOUND - no queue 'q' in vhost '/'`).
 */
export const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);

export const FrameType = { METHOD: 1, HEADER: 2, BODY: 3, HEARTBEAT: 8 } as const;
export type FrameTypeId = (typeof FrameType)[keyof typeof FrameType];

export const FRAME_END = 0xce;
/** Type octet, channel short, size long. */
export const FRAME_HEADER_BYTES = 7;
/** Header plus the frame-end octet: what a frame costs beyond its payload. */
export const FRAME_OVERHEAD = 8;
/** Smallest frame-max a peer may negotiate. */
export const FRAME_MIN_SIZE = 4096;

export const ReplyCode = {
  REPLY_SUCCESS: 200,
  CONTENT_TOO_LARGE: 311,
  NO_ROUTE: 312,
  NO_CONSUMERS: 313,
  CONNECTION_FORCED: 320,
  INVALID_PATH: 402,
  ACCESS_REFUSED: 403,
  NOT_FOUND: 404,
  RESOURCE_LOCKED: 405,
  PRECONDITION_FAILED: 406,
  FRAME_ERROR: 501,
  SYNTAX_ERROR: 502,
  COMMAND_INVALID: 503,
  CHANNEL_ERROR: 504,
  UNEXPECTED_FRAME: 505,
  RESOURCE_ERROR: 506,
  NOT_ALLOWED: 530,
  NOT_IMPLEMENTED: 540,
  INTERNAL_ERROR: 541,
} as const;

export type ReplyCodeName = keyof typeof ReplyCode;
export type ReplyCodeValue = (typeof ReplyCode)[ReplyCodeName];

const NAME_OF = new Map<number, ReplyCodeName>(Object.entries(ReplyCode).map(([k, v]) => [v, k as ReplyCodeName]));

export function replyCodeName(code: number): string {
  return NAME_OF.get(code) ?? String(code);
}

/** Hard errors close the connection; soft errors close only the channel. */
const HARD = new Set<number>([320, 402, 501, 502, 503, 504, 505, 506, 530, 540, 541]);
export function isHardError(code: number): boolean {
  return HARD.has(code);
}
