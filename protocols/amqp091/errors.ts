/**
 * AmqpError: a 0-9-1 exception to raise on the wire. `hard` ones close the connection
 * (connection.close), soft ones close the channel (channel.close). The reply text starts with the
 * reply code's name, as RabbitMQ writes it (`NOT_FOUND - no queue 'q' in vhost '/'`).
 */
import { isHardError, ReplyCode, replyCodeName, type ReplyCodeName } from './spec/constants.js';

export interface ErrorSite {
  classId?: number;
  methodId?: number;
}

export class AmqpError extends Error {
  readonly replyCode: number;
  readonly classId: number;
  readonly methodId: number;
  readonly hard: boolean;

  constructor(code: ReplyCodeName, detail: string, site: ErrorSite = {}, options?: { hard?: boolean; cause?: unknown }) {
    const replyCode = ReplyCode[code];
    super(`${code} - ${detail}`, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'AmqpError';
    this.replyCode = replyCode;
    this.classId = site.classId ?? 0;
    this.methodId = site.methodId ?? 0;
    this.hard = options?.hard ?? isHardError(replyCode);
  }

  /** The reply-text as sent: a shortstr, so cut to 255 bytes. */
  get replyText(): string {
    const text = this.message;
    if (Buffer.byteLength(text) <= 255) return text;
    return Buffer.from(text).subarray(0, 255).toString('utf8').replace(/\uFFFD+$/, '');
  }

  /** Same error, attributed to a method (for errors raised while decoding or handling it). */
  at(site: ErrorSite): AmqpError {
    if (this.classId !== 0 || site.classId === undefined) return this;
    const e = new AmqpError(replyCodeName(this.replyCode) as ReplyCodeName, this.message.slice(this.message.indexOf(' - ') + 3), site, { hard: this.hard });
    return e;
  }
}

export function syntaxError(detail: string): AmqpError {
  return new AmqpError('SYNTAX_ERROR', detail);
}

export function frameError(detail: string): AmqpError {
  return new AmqpError('FRAME_ERROR', detail);
}
