/**
 * SQS over the query protocol (what older SDKs and hand-written clients send): `Action=<Op>`
 * with flattened parameters in a form-encoded POST body or a GET query string, answered in XML
 * (query-output.ts). The input becomes the JSON protocol's shape (query-input.ts) and runs the
 * same operations. Errors are `ErrorResponse` documents with the query code.
 */
import { AwsError, COMMON_ERRORS } from '../errors.js';
import type { HttpAnswer } from '../http-answer.js';
import { parseQuery } from '../sigv4.js';
import { queryInput } from './query-input.js';
import { xmlError, xmlResponse } from './query-output.js';
import { toSqsError } from './sqs-errors.js';
import type { SqsCall, SqsService } from './sqs-service.js';

const XML_CONTENT_TYPE = 'text/xml';
export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/** The request's parameters: the query string, then (form POSTs) the body. */
export function queryParameters(method: string, url: string, contentType: string | undefined, body: Buffer): Array<[string, string]> {
  const q = url.indexOf('?');
  const pairs = q < 0 ? [] : parseQuery(url.slice(q + 1));
  if (method === 'POST' && (contentType ?? '').toLowerCase().startsWith(FORM_CONTENT_TYPE)) pairs.push(...parseQuery(body.toString('utf8')));
  return pairs;
}

export function xmlErrorAnswer(err: AwsError, requestId: string): HttpAnswer {
  return {
    status: err.status,
    headers: { 'content-type': XML_CONTENT_TYPE, 'x-amzn-requestid': requestId },
    body: Buffer.from(xmlError(err, requestId)),
  };
}

export async function serveQuery(svc: SqsService, pairs: ReadonlyArray<readonly [string, string]>, path: string, call: SqsCall, requestId: string): Promise<HttpAnswer> {
  try {
    const { action, input } = queryInput(pairs, path, call.baseUrl);
    if (action === '') throw new AwsError({ ...COMMON_ERRORS.unknownOperation, queryCode: 'MissingAction' }, 'The request must contain the parameter Action.');
    const handler = Object.hasOwn(svc.operations, action) ? svc.operations[action] : undefined;
    if (!handler) throw new AwsError(COMMON_ERRORS.unknownOperation, `The action ${action} is not valid for this endpoint.`);
    const output = await handler(svc, call, input);
    return { status: 200, headers: { 'content-type': XML_CONTENT_TYPE, 'x-amzn-requestid': requestId }, body: Buffer.from(xmlResponse(action, output, requestId)) };
  } catch (err) {
    const e = toSqsError(err);
    if (e.status >= 500) svc.logger.error({ err }, 'SQS query call failed');
    else svc.logger.debug({ code: e.queryCode, message: e.message }, 'SQS query call refused');
    return xmlErrorAnswer(e, requestId);
  }
}
