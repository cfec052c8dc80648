/**
 * SQS's errors: the JSON protocol shape (`__type: com.amazonaws.sqs#<code>`) and the query
 * protocol code (`x-amzn-query-error` header, query XML), as the SQS service model declares them
 * (the JS SDK v3 picks the error class by the query code), plus the table from every core
 * ErrorCode to its SQS error.
 */
import { BrokerError, type ErrorCode } from '../../../src/core/errors.js';
import { AwsError, COMMON_ERRORS, type AwsErrorInit } from '../errors.js';

export const SQS_NAMESPACE = 'com.amazonaws.sqs';

export const SQS_ERRORS = {
  queueDoesNotExist: { code: 'QueueDoesNotExist', queryCode: 'AWS.SimpleQueueService.NonExistentQueue', status: 400 },
  queueNameExists: { code: 'QueueNameExists', queryCode: 'QueueAlreadyExists', status: 400 },
  invalidAttributeName: { code: 'InvalidAttributeName', status: 400 },
  invalidAttributeValue: { code: 'InvalidAttributeValue', status: 400 },
  invalidParameterValue: { code: 'InvalidParameterValue', status: 400 },
  missingParameter: { code: 'MissingParameter', status: 400 },
  invalidMessageContents: { code: 'InvalidMessageContents', status: 400 },
  receiptHandleIsInvalid: { code: 'ReceiptHandleIsInvalid', status: 404 },
  messageNotInflight: { code: 'MessageNotInflight', queryCode: 'AWS.SimpleQueueService.MessageNotInflight', status: 400 },
  emptyBatchRequest: { code: 'EmptyBatchRequest', queryCode: 'AWS.SimpleQueueService.EmptyBatchRequest', status: 400 },
  tooManyEntriesInBatchRequest: { code: 'TooManyEntriesInBatchRequest', queryCode: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', status: 400 },
  batchEntryIdsNotDistinct: { code: 'BatchEntryIdsNotDistinct', queryCode: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', status: 400 },
  invalidBatchEntryId: { code: 'InvalidBatchEntryId', queryCode: 'AWS.SimpleQueueService.InvalidBatchEntryId', status: 400 },
  batchRequestTooLong: { code: 'BatchRequestTooLong', queryCode: 'AWS.SimpleQueueService.BatchRequestTooLong', status: 400 },
  unsupportedOperation: { code: 'UnsupportedOperation', queryCode: 'AWS.SimpleQueueService.UnsupportedOperation', status: 400 },
  resourceNotFound: { code: 'ResourceNotFoundException', status: 404 },
  overLimit: { code: 'OverLimit', status: 403 },
} as const satisfies Record<string, AwsErrorInit>;

export type SqsErrorName = keyof typeof SQS_ERRORS;

export function sqsError(name: SqsErrorName, message: string, options?: { cause?: unknown }): AwsError {
  return new AwsError(SQS_ERRORS[name], message, options);
}

/** Every core ErrorCode's SQS error. */
export const SQS_ERROR_FOR_CODE: Record<ErrorCode, AwsErrorInit> = {
  INVALID_NAME: SQS_ERRORS.invalidParameterValue,
  INVALID_ARGUMENT: SQS_ERRORS.invalidParameterValue,
  INVALID_ATTRIBUTE: SQS_ERRORS.invalidAttributeValue,
  INVALID_FILTER_POLICY: SQS_ERRORS.invalidParameterValue,
  INVALID_JSON: SQS_ERRORS.invalidParameterValue,
  MESSAGE_TOO_LARGE: SQS_ERRORS.invalidParameterValue,
  NOT_FOUND: SQS_ERRORS.queueDoesNotExist,
  ALREADY_EXISTS: SQS_ERRORS.queueNameExists,
  KIND_MISMATCH: SQS_ERRORS.queueNameExists,
  AUTO_CREATE_DISABLED: SQS_ERRORS.queueDoesNotExist,
  UNAUTHENTICATED: COMMON_ERRORS.invalidClientTokenId,
  FORBIDDEN: COMMON_ERRORS.accessDenied,
  STORE_CLOSED: COMMON_ERRORS.serviceUnavailable,
  STORE_FAILED: COMMON_ERRORS.internalFailure,
  NOT_ACTIVE: COMMON_ERRORS.serviceUnavailable,
  CONFIG_INVALID: COMMON_ERRORS.internalFailure,
  RECEIPT_INVALID: SQS_ERRORS.receiptHandleIsInvalid,
  SHARD_INVALID: SQS_ERRORS.invalidParameterValue,
  ITERATOR_INVALID: SQS_ERRORS.invalidParameterValue,
  QUEUE_FULL: SQS_ERRORS.overLimit,
  PRECONDITION_FAILED: SQS_ERRORS.invalidParameterValue,
};

/** An error thrown while serving an SQS call, as the AwsError to answer (AwsErrors pass through). */
export function toSqsError(err: unknown): AwsError {
  if (err instanceof AwsError) return err;
  if (err instanceof BrokerError) return new AwsError(SQS_ERROR_FOR_CODE[err.code], err.message, { cause: err });
  return new AwsError(COMMON_ERRORS.internalFailure, 'We encountered an internal error. Please try again.', { cause: err });
}
