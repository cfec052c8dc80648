/**
 * Every core error code → the 0-9-1 exception it raises (the one table; see
 * test/protocols/error-tables.test.ts): reply code name, whether it closes the connection
 * (hard) or only the channel, and whether it is the broker's own failure (logged at error level,
 * the client gets no details).
 */
import { isBrokerError, type ErrorCode } from '../../src/core/errors.js';
import { AmqpError, type ErrorSite } from './errors.js';
import type { ReplyCodeName } from './spec/constants.js';

export interface ReplyFor {
  reply: ReplyCodeName;
  hard: boolean;
  internal: boolean;
}

const soft = (reply: ReplyCodeName): ReplyFor => ({ reply, hard: false, internal: false });

export const AMQP091_REPLY_FOR_CODE: Readonly<Record<ErrorCode, ReplyFor>> = {
  INVALID_NAME: soft('PRECONDITION_FAILED'),
  INVALID_ARGUMENT: soft('PRECONDITION_FAILED'),
  INVALID_ATTRIBUTE: soft('PRECONDITION_FAILED'),
  INVALID_FILTER_POLICY: soft('PRECONDITION_FAILED'),
  INVALID_JSON: soft('PRECONDITION_FAILED'),
  MESSAGE_TOO_LARGE: soft('PRECONDITION_FAILED'),
  NOT_FOUND: soft('NOT_FOUND'),
  ALREADY_EXISTS: soft('PRECONDITION_FAILED'),
  KIND_MISMATCH: soft('PRECONDITION_FAILED'),
  AUTO_CREATE_DISABLED: soft('NOT_FOUND'),
  UNAUTHENTICATED: { reply: 'ACCESS_REFUSED', hard: true, internal: false },
  FORBIDDEN: soft('ACCESS_REFUSED'),
  STORE_CLOSED: { reply: 'CONNECTION_FORCED', hard: true, internal: false },
  STORE_FAILED: { reply: 'INTERNAL_ERROR', hard: true, internal: true },
  NOT_ACTIVE: { reply: 'CONNECTION_FORCED', hard: true, internal: false },
  CONFIG_INVALID: { reply: 'INTERNAL_ERROR', hard: true, internal: true },
  RECEIPT_INVALID: soft('PRECONDITION_FAILED'),
  SHARD_INVALID: soft('PRECONDITION_FAILED'),
  ITERATOR_INVALID: soft('PRECONDITION_FAILED'),
  PRECONDITION_FAILED: soft('PRECONDITION_FAILED'),
  // reject-publish overflow: a nack in confirm mode; without confirms the publish is dropped (basic-publish.ts).
  QUEUE_FULL: soft('PRECONDITION_FAILED'),
};

export interface DescribedError {
  error: AmqpError;
  /** Not the client's fault: log at error level. */
  internal: boolean;
}

/** Any failure while handling a method → the exception to raise. */
export function toAmqp091Error(err: unknown, site: ErrorSite = {}): DescribedError {
  if (err instanceof AmqpError) return { error: err.at(site), internal: false };
  if (isBrokerError(err)) {
    const r = AMQP091_REPLY_FOR_CODE[err.code];
    const text = r.internal ? 'internal broker error' : err.message;
    return { error: new AmqpError(r.reply, text, site, { hard: r.hard }), internal: r.internal };
  }
  return { error: new AmqpError('INTERNAL_ERROR', 'internal broker error', site, { hard: true }), internal: true };
}
