/**
 * AWS-shaped errors, shared by every AWS API front-end (SQS now, SNS and Kinesis later). An
 * AwsError names the error as the service's JSON protocol does (`code`, rendered as
 * `__type: "<namespace>#<code>"`) and, for services with query-protocol compatibility (SQS), the
 * query-protocol code (`queryCode`, rendered in the `x-amzn-query-error: <queryCode>;<fault>`
 * header and in query XML responses). Each service's renderer decides which it writes.
 */
export type AwsFault = 'Sender' | 'Receiver';

export interface AwsErrorInit {
  /** JSON protocol shape name: `QueueDoesNotExist`, `InvalidSignatureException`. */
  code: string;
  /** Query protocol code: `AWS.SimpleQueueService.NonExistentQueue`; defaults to `code`. */
  queryCode?: string;
  /** Smithy namespace of `code` when it is not the service's own (`com.amazon.coral.service`). */
  namespace?: string;
  status: number;
  fault?: AwsFault;
}

export class AwsError extends Error {
  readonly code: string;
  readonly queryCode: string;
  readonly namespace: string | undefined;
  readonly status: number;
  readonly fault: AwsFault;

  constructor(init: AwsErrorInit, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AwsError';
    this.code = init.code;
    this.queryCode = init.queryCode ?? init.code;
    this.namespace = init.namespace;
    this.status = init.status;
    this.fault = init.fault ?? (init.status >= 500 ? 'Receiver' : 'Sender');
  }
}

const CORAL = 'com.amazon.coral.service';

/** Errors every AWS service answers the same way (authentication, request shape). */
export const COMMON_ERRORS = {
  missingAuthentication: { code: 'MissingAuthenticationTokenException', queryCode: 'MissingAuthenticationToken', namespace: CORAL, status: 403 },
  invalidClientTokenId: { code: 'UnrecognizedClientException', queryCode: 'InvalidClientTokenId', namespace: CORAL, status: 403 },
  signatureDoesNotMatch: { code: 'InvalidSignatureException', queryCode: 'SignatureDoesNotMatch', namespace: CORAL, status: 403 },
  incompleteSignature: { code: 'IncompleteSignatureException', queryCode: 'IncompleteSignature', namespace: CORAL, status: 400 },
  accessDenied: { code: 'AccessDeniedException', queryCode: 'AccessDenied', namespace: CORAL, status: 403 },
  unknownOperation: { code: 'UnknownOperationException', queryCode: 'InvalidAction', namespace: CORAL, status: 400 },
  serialization: { code: 'SerializationException', queryCode: 'MalformedInput', namespace: CORAL, status: 400 },
  requestTooLarge: { code: 'RequestEntityTooLarge', queryCode: 'RequestEntityTooLarge', namespace: CORAL, status: 413 },
  internalFailure: { code: 'InternalFailure', queryCode: 'InternalFailure', namespace: CORAL, status: 500 },
  serviceUnavailable: { code: 'ServiceUnavailable', queryCode: 'ServiceUnavailable', namespace: CORAL, status: 503 },
} as const satisfies Record<string, AwsErrorInit>;

export function awsError(init: AwsErrorInit, message: string, options?: { cause?: unknown }): AwsError {
  return new AwsError(init, message, options);
}
