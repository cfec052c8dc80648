/**
 * SQS as one of the AWS APIs the HTTP server serves: it takes requests whose X-Amz-Target is
 * `AmazonSQS.*` (the JSON protocol).
 */
import type { Principal } from '../../../src/security/security-manager.js';
import type { AwsError } from '../errors.js';
import type { HttpAnswer } from '../http-answer.js';
import type { AwsApi, AwsRequest } from '../http-server.js';
import { jsonError, serveJson, SQS_TARGET_PREFIX } from './json-protocol.js';
import type { SqsService } from './sqs-service.js';

function target(req: AwsRequest): string {
  const t = req.headers['x-amz-target'];
  return typeof t === 'string' ? t : '';
}

export class SqsApi implements AwsApi {
  readonly name = 'sqs';

  constructor(private readonly svc: SqsService) {}

  accepts(req: AwsRequest): boolean {
    return target(req).startsWith(SQS_TARGET_PREFIX);
  }

  serve(req: AwsRequest, principal: Principal, signal: AbortSignal, requestId: string): Promise<HttpAnswer> {
    return serveJson(this.svc, target(req), req.body, { principal, baseUrl: req.baseUrl, signal }, requestId);
  }

  errorAnswer(err: AwsError, _req: AwsRequest, requestId: string): HttpAnswer {
    return jsonError(err, requestId);
  }

  close(): void {
    this.svc.close();
  }
}
