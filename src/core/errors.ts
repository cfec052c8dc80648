/**
 * Every error the broker reports to a client carries a stable code. Front-ends map codes to
 * their protocol's error (STOMP ERROR, AMQP condition, CONNACK code, HTTP status).
 * All codes live here, in one place.
 */
export const ErrorCodes = {
  INVALID_NAME: { status: 400, message: 'invalid destination name' },
  INVALID_ARGUMENT: { status: 400, message: 'invalid argument' },
  INVALID_ATTRIBUTE: { status: 400, message: 'invalid destination attribute' },
  INVALID_FILTER_POLICY: { status: 400, message: 'invalid filter policy' },
  INVALID_JSON: { status: 400, message: 'malformed JSON' },
  MESSAGE_TOO_LARGE: { status: 413, message: 'message too large' },
  QUEUE_FULL: { status: 429, message: 'queue is full' },
  NOT_FOUND: { status: 404, message: 'not found' },
  ALREADY_EXISTS: { status: 409, message: 'already exists' },
  KIND_MISMATCH: { status: 409, message: 'name is in use by a destination of another kind' },
  PRECONDITION_FAILED: { status: 406, message: 'precondition failed' },
  AUTO_CREATE_DISABLED: { status: 404, message: 'destination does not exist and auto-create is disabled' },
  UNAUTHENTICATED: { status: 401, message: 'authentication failed' },
  FORBIDDEN: { status: 403, message: 'not authorized' },
  STORE_CLOSED: { status: 503, message: 'store is closed' },
  STORE_FAILED: { status: 500, message: 'store failure' },
  NOT_ACTIVE: { status: 503, message: 'broker is not active' },
  CONFIG_INVALID: { status: 500, message: 'invalid configuration' },
  RECEIPT_INVALID: { status: 400, message: 'unknown or expired receipt handle' },
  SHARD_INVALID: { status: 400, message: 'invalid shard operation' },
  ITERATOR_INVALID: { status: 400, message: 'invalid or expired iterator' },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class BrokerError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(detail ? `${ErrorCodes[code].message}: ${detail}` : ErrorCodes[code].message, options);
    this.name = 'BrokerError';
    this.code = code;
    this.status = ErrorCodes[code].status;
  }
}

export function isBrokerError(err: unknown, code?: ErrorCode): err is BrokerError {
  return err instanceof BrokerError && (code === undefined || err.code === code);
}
