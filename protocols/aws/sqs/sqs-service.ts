/**
 * The SQS service over the core: the operation table and what every operation shares (finding
 * the queue a QueueUrl names, authorization, URLs and ARNs). Operations take the JSON protocol's
 * input shape and return its output shape; the protocol layers (json-protocol.ts) only decode
 * and encode.
 *
 * Authorization goes straight to the SecurityManager with the request's principal (no
 * ServerSession: SQS calls are stateless pull requests, see protocols/aws/README.md):
 * SendMessage* `write`; ReceiveMessage, DeleteMessage*, ChangeMessageVisibility*, GetQueueUrl,
 * GetQueueAttributes, ListQueueTags, ListDeadLetterSourceQueues `read`; CreateQueue,
 * DeleteQueue, PurgeQueue, SetQueueAttributes, TagQueue, UntagQueue `admin`; ListQueues lists
 * the queues the principal may read; StartMessageMoveTask needs `read` on the source and `write`
 * on the destination.
 */
import type { Broker, Queue } from '../../../src/core/broker.js';
import type { Principal, Permission, SecurityManager } from '../../../src/security/security-manager.js';
import type { Logger } from '../../../src/log.js';
import { AwsError, COMMON_ERRORS } from '../errors.js';
import { MoveTasks } from './move-tasks.js';
import { nameFromUrl, queueArn, queueUrl, type SqsLocation } from './queue-address.js';
import { QueueMetadata } from './queue-metadata.js';
import { sqsError } from './sqs-errors.js';
import type { Input } from './params.js';
import { queueOperations } from './queue-operations.js';
import { messageOperations } from './message-operations.js';
import { requireString } from './params.js';

export interface SqsCall {
  principal: Principal;
  /** `http://HOST:PORT` as the client addressed us (queue URLs are built on it). */
  baseUrl: string;
  /** Aborted when the client goes away (ends long polls). */
  signal: AbortSignal;
}

export type SqsOperation = (svc: SqsService, call: SqsCall, input: Input) => Promise<Input>;

export interface SqsServiceDeps {
  broker: Broker;
  security: SecurityManager;
  location: SqsLocation;
  logger: Logger;
}

export class SqsService {
  readonly broker: Broker;
  readonly security: SecurityManager;
  readonly location: SqsLocation;
  readonly logger: Logger;
  readonly metadata: QueueMetadata;
  readonly moves: MoveTasks;
  readonly operations: Readonly<Record<string, SqsOperation>> = { ...queueOperations, ...messageOperations };

  private constructor(deps: SqsServiceDeps, metadata: QueueMetadata) {
    this.broker = deps.broker;
    this.security = deps.security;
    this.location = deps.location;
    this.logger = deps.logger;
    this.metadata = metadata;
    this.moves = new MoveTasks(this);
  }

  static async open(deps: SqsServiceDeps): Promise<SqsService> {
    return new SqsService(deps, await QueueMetadata.open(deps.broker, deps.logger));
  }

  authorize(call: SqsCall, permission: Permission, name: string): void {
    if (this.security.authorize(call.principal, permission, { kind: 'queue', name })) return;
    const who = call.principal.anonymous ? 'anonymous client' : `user ${call.principal.name}`;
    throw new AwsError(COMMON_ERRORS.accessDenied, `Access to the resource ${queueArn(this.location, name)} is denied: ${who} may not ${permission} queue ${name}.`);
  }

  /** The queue `name`, or QueueDoesNotExist. */
  queueNamed(name: string): Queue {
    const q = this.broker.getQueue(name);
    if (!q) throw sqsError('queueDoesNotExist', 'The specified queue does not exist.');
    return q;
  }

  /** The queue the input's QueueUrl names, checked for `permission`. */
  queueOf(call: SqsCall, input: Input, permission: Permission): Queue {
    const name = nameFromUrl(this.location, requireString(input, 'QueueUrl'));
    const queue = this.queueNamed(name);
    this.authorize(call, permission, name);
    return queue;
  }

  url(call: SqsCall, name: string): string {
    return queueUrl(call.baseUrl, this.location, name);
  }

  arn(name: string): string {
    return queueArn(this.location, name);
  }

  close(): void {
    this.moves.cancelAll();
  }
}
