/**
 * SQS as one of the AWS APIs the HTTP server serves. It takes
 * - JSON protocol requests: `X-Amz-Target: AmazonSQS.*` (json-protocol.ts);
 * - query protocol requests: `Action=<Op>` in a form-encoded POST body or a GET query string
 *   (query-protocol.ts), when `Version` is SQS's `2012-11-05`, or absent and the action is an
 *   SQS operation (SNS, also a query API, sends its own Version `2010-03-31`).
 */
import type { Principal } from '../../../src/security/security-manager.js';
import type { AwsError } from '../errors.js';
import type { HttpAnswer } from '../http-answer.js';
import type { AwsApi, AwsRequest } from '../http-server.js';
import { jsonError, serveJson, SQS_TARGET_PREFIX } from './json-protocol.js';
import { queryParameters, serveQuery, xmlErrorAnswer } from './query-protocol.js';
import type { SqsService } from './sqs-service.js';

export const SQS_API_VERSION = '2012-11-05';

function target(req: AwsRequest): string {
  const t = req.headers['x-amz-target'];
  return typeof t === 'string' ? t : '';
}

function parameters(req: AwsRequest): Array<[string, string]> {
  return queryParameters(req.method, req.url, req.headers['content-type'], req.body);
}

export class SqsApi implements AwsApi {
  readonly name = 'sqs';

  constructor(private readonly svc: SqsService) {}

  private isQuery(req: AwsRequest): boolean {
    if (target(req) !== '') return false;
    const params = new Map(parameters(req));
    const version = params.get('Version');
    if (version !== undefined) return version === SQS_API_VERSION;
    const action = params.get('Action');
    return action === undefined ? params.size > 0 || req.url.split('?')[0] !== '/' : Object.hasOwn(this.svc.operations, action);
  }

  accepts(req: AwsRequest): boolean {
    return target(req).startsWith(SQS_TARGET_PREFIX) || this.isQuery(req);
  }

  serve(req: AwsRequest, principal: Principal, signal: AbortSignal, requestId: string): Promise<HttpAnswer> {
    const call = { principal, baseUrl: req.baseUrl, signal };
    if (target(req) !== '') return serveJson(this.svc, target(req), req.body, call, requestId);
    return serveQuery(this.svc, parameters(req), req.url.split('?')[0] ?? '/', call, requestId);
  }

  errorAnswer(err: AwsError, req: AwsRequest, requestId: string): HttpAnswer {
    return target(req) !== '' ? jsonError(err, requestId) : xmlErrorAnswer(err, requestId);
  }

  close(): void {
    this.svc.close();
  }
}
