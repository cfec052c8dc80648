/**
 * SQS over the AWS JSON 1.0 protocol (what the SDKs send today): `POST /`,
 * `X-Amz-Target: AmazonSQS.<Operation>`, `Content-Type: application/x-amz-json-1.0`, the input as
 * a JSON object. Answers are JSON; errors carry `__type: "com.amazonaws.sqs#<Shape>"` and a
 * `message`, plus the header `x-amzn-query-error: <query code>;<Sender|Receiver>`, from which the
 * JS SDK v3 (SQS is "awsQueryCompatible") takes the error's name.
 */
import { AwsError, COMMON_ERRORS } from '../errors.js';
import type { HttpAnswer } from '../http-answer.js';
import type { Input } from './params.js';
import { SQS_NAMESPACE, toSqsError } from './sqs-errors.js';
import type { SqsCall, SqsService } from './sqs-service.js';

export const SQS_TARGET_PREFIX = 'AmazonSQS.';
export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';

export function jsonError(err: AwsError, requestId: string): HttpAnswer {
  return {
    status: err.status,
    headers: {
      'content-type': JSON_CONTENT_TYPE,
      'x-amzn-requestid': requestId,
      'x-amzn-query-error': `${err.queryCode};${err.fault}`,
    },
    body: Buffer.from(JSON.stringify({ __type: `${err.namespace ?? SQS_NAMESPACE}#${err.code}`, message: err.message })),
  };
}

function parseInput(body: Buffer): Input {
  let input: unknown;
  try {
    input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new AwsError(COMMON_ERRORS.serialization, `The request body is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AwsError(COMMON_ERRORS.serialization, 'The request body must be a JSON object.');
  }
  return input as Input;
}

/** Serve one JSON-protocol call. `target` is the X-Amz-Target header. Never throws: failures are AWS-shaped answers. */
export async function serveJson(svc: SqsService, target: string, body: Buffer, call: SqsCall, requestId: string): Promise<HttpAnswer> {
  try {
    const op = target.startsWith(SQS_TARGET_PREFIX) ? target.slice(SQS_TARGET_PREFIX.length) : '';
    const handler = Object.hasOwn(svc.operations, op) ? svc.operations[op] : undefined;
    if (!handler) throw new AwsError(COMMON_ERRORS.unknownOperation, `The action ${op || target} is not valid for this endpoint.`);
    const output = await handler(svc, call, parseInput(body));
    return {
      status: 200,
      headers: { 'content-type': JSON_CONTENT_TYPE, 'x-amzn-requestid': requestId },
      body: Buffer.from(JSON.stringify(output)),
    };
  } catch (err) {
    const e = toSqsError(err);
    if (e.status >= 500) svc.logger.error({ err, target }, 'SQS call failed');
    else svc.logger.debug({ code: e.queryCode, message: e.message, target }, 'SQS call refused');
    return jsonError(e, requestId);
  }
}
