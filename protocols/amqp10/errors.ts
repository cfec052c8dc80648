/**
 * AMQP 1.0 error conditions (§2.8.15, the connection/session/link error sets and the transaction
 * errors of part 4) and the mapping from core BrokerError codes and rhea's internal exceptions
 * to them.
 */
import type { AmqpError } from 'rhea';
import { isBrokerError, type ErrorCode } from '../../src/core/errors.js';

export const Condition = {
  internalError: 'amqp:internal-error',
  notFound: 'amqp:not-found',
  unauthorizedAccess: 'amqp:unauthorized-access',
  decodeError: 'amqp:decode-error',
  resourceLimitExceeded: 'amqp:resource-limit-exceeded',
  notAllowed: 'amqp:not-allowed',
  invalidField: 'amqp:invalid-field',
  notImplemented: 'amqp:not-implemented',
  preconditionFailed: 'amqp:precondition-failed',
  frameSizeTooSmall: 'amqp:frame-size-too-small',
  connectionForced: 'amqp:connection:forced',
  framingError: 'amqp:connection:framing-error',
  unattachedHandle: 'amqp:session:unattached-handle',
  messageSizeExceeded: 'amqp:link:message-size-exceeded',
  detachForced: 'amqp:link:detach-forced',
  transactionUnknownId: 'amqp:transaction:unknown-id',
  transactionRollback: 'amqp:transaction:rollback',
} as const;

/** Every core error code → the AMQP 1.0 condition it is reported with (the one table; see test/protocols/error-tables.test.ts). */
export const AMQP_CONDITION_FOR_CODE: Readonly<Record<ErrorCode, string>> = {
  NOT_FOUND: Condition.notFound,
  AUTO_CREATE_DISABLED: Condition.notFound,
  FORBIDDEN: Condition.unauthorizedAccess,
  UNAUTHENTICATED: Condition.unauthorizedAccess,
  INVALID_NAME: Condition.invalidField,
  INVALID_ARGUMENT: Condition.invalidField,
  INVALID_ATTRIBUTE: Condition.invalidField,
  INVALID_FILTER_POLICY: Condition.invalidField,
  INVALID_JSON: Condition.invalidField,
  MESSAGE_TOO_LARGE: Condition.messageSizeExceeded,
  QUEUE_FULL: Condition.resourceLimitExceeded,
  KIND_MISMATCH: Condition.preconditionFailed,
  PRECONDITION_FAILED: Condition.preconditionFailed,
  ALREADY_EXISTS: Condition.preconditionFailed,
  STORE_CLOSED: Condition.internalError,
  STORE_FAILED: Condition.internalError,
  NOT_ACTIVE: Condition.connectionForced,
  CONFIG_INVALID: Condition.internalError,
  RECEIPT_INVALID: Condition.invalidField,
  SHARD_INVALID: Condition.invalidField,
  ITERATOR_INVALID: Condition.invalidField,
};

/** An AMQP error for any thrown value: BrokerErrors by code, anything else internal-error (no details leaked). */
export function toAmqpError(err: unknown): AmqpError {
  if (err instanceof AmqpFailure) return { condition: err.condition, description: err.message };
  if (isBrokerError(err)) return { condition: AMQP_CONDITION_FOR_CODE[err.code], description: err.message };
  return { condition: Condition.internalError, description: 'internal error' };
}

/** A failure the front-end itself raises with a specific condition. */
export class AmqpFailure extends Error {
  override readonly name = 'AmqpFailure';
  constructor(readonly condition: string, description: string) {
    super(description);
  }
}

/**
 * The condition for an exception rhea raised while reading the client's frames. rhea throws
 * plain Errors (state violations) and ProtocolError/TypeError (decoding); the messages are
 * stable across rhea 2.x-3.x.
 */
export function conditionForInputError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/Invalid handle/i.test(message)) return Condition.unattachedHandle;
  if (/already received|invalid channel|remote channel|transfer after detach|frame sequence error|transfer on sending link/i.test(message)) {
    return Condition.notAllowed;
  }
  if (/data offset|frame type/i.test(message)) return Condition.framingError;
  return Condition.decodeError;
}
