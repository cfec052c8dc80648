/**
 * SQS queue attributes ↔ core queue attributes (src/core/queue/queue-attributes.ts).
 *
 * | SQS attribute                  | core attribute                          |
 * |--------------------------------|-----------------------------------------|
 * | VisibilityTimeout (s)          | visibilityTimeoutMs                     |
 * | MessageRetentionPeriod (s)     | retentionMs                             |
 * | DelaySeconds                   | delayMs                                 |
 * | ReceiveMessageWaitTimeSeconds  | receiveWaitMs                           |
 * | MaximumMessageSize (bytes)     | maxMessageBytes (default 1 MiB for queues created through SQS) |
 * | RedrivePolicy (JSON)           | deadLetterQueue + maxReceiveCount       |
 * | FifoQueue                      | fifo (the name's `.fifo` suffix)        |
 * | ContentBasedDeduplication      | contentBasedDeduplication               |
 *
 * RedriveAllowPolicy, Policy, KmsMasterKeyId, KmsDataKeyReusePeriodSeconds, SqsManagedSseEnabled,
 * DeduplicationScope and FifoThroughputLimit are validated and kept as SQS metadata
 * (queue-metadata.ts); RedriveAllowPolicy is enforced when a queue names a dead-letter target.
 */
import type { Queue } from '../../../src/core/broker.js';
import { nameFromArn, queueArn, type SqsLocation } from './queue-address.js';
import type { QueueMeta } from './queue-metadata.js';
import { sqsError } from './sqs-errors.js';

export const SQS_MAX_MESSAGE_BYTES = 1_048_576;
export const SQS_MIN_MESSAGE_BYTES = 1024;

type Seconds = { core: 'visibilityTimeoutMs' | 'retentionMs' | 'delayMs' | 'receiveWaitMs'; min: number; max: number };
const SECONDS: Record<string, Seconds> = {
  VisibilityTimeout: { core: 'visibilityTimeoutMs', min: 0, max: 43_200 },
  MessageRetentionPeriod: { core: 'retentionMs', min: 60, max: 1_209_600 },
  DelaySeconds: { core: 'delayMs', min: 0, max: 900 },
  ReceiveMessageWaitTimeSeconds: { core: 'receiveWaitMs', min: 0, max: 20 },
};

/** Attributes kept as metadata, with their validation. */
const EXTRA: Record<string, (v: string, fifo: boolean) => boolean> = {
  RedriveAllowPolicy: () => true, // checked by parseRedriveAllowPolicy
  Policy: (v) => v === '' || isJsonObject(v),
  KmsMasterKeyId: () => true,
  KmsDataKeyReusePeriodSeconds: (v) => /^\d+$/.test(v) && Number(v) >= 60 && Number(v) <= 86_400,
  SqsManagedSseEnabled: (v) => v === 'true' || v === 'false',
  DeduplicationScope: (v, fifo) => fifo && (v === 'messageGroup' || v === 'queue'),
  FifoThroughputLimit: (v, fifo) => fifo && (v === 'perQueue' || v === 'perMessageGroupId'),
};

const READ_ONLY = [
  'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp', 'LastModifiedTimestamp', 'QueueArn',
] as const;

/** Every name GetQueueAttributes knows (besides `All`). */
export const KNOWN_ATTRIBUTES = new Set<string>([
  ...READ_ONLY, ...Object.keys(SECONDS), 'MaximumMessageSize', 'RedrivePolicy', 'FifoQueue', 'ContentBasedDeduplication', ...Object.keys(EXTRA),
]);

function isJsonObject(s: string): boolean {
  try {
    const v: unknown = JSON.parse(s);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false; // not JSON: the caller reports the attribute as invalid
  }
}

function invalidValue(name: string, reason?: string): never {
  throw sqsError('invalidAttributeValue', `Invalid value for the parameter ${name}.${reason ? ` Reason: ${reason}` : ''}`);
}

export interface ParsedAttributes {
  /** Input for Broker.createQueue / setQueueAttributes. */
  core: Record<string, unknown>;
  /** Metadata attributes given (an empty string removes one). */
  extra: Record<string, string>;
  /** Dead-letter target named by RedrivePolicy (null: RedrivePolicy cleared), undefined: not given. */
  deadLetterTarget?: string | null;
}

/**
 * Validate SQS attributes. `fifo`: the queue is (or is being created as) FIFO; `creating` allows
 * FifoQueue. Throws InvalidAttributeName / InvalidAttributeValue.
 */
export function parseSqsAttributes(loc: SqsLocation, attrs: Record<string, string>, fifo: boolean, creating: boolean): ParsedAttributes {
  const out: ParsedAttributes = { core: {}, extra: {} };
  for (const [name, value] of Object.entries(attrs)) {
    const seconds = SECONDS[name];
    if (seconds) {
      if (!/^\d+$/.test(value) || Number(value) < seconds.min || Number(value) > seconds.max) {
        invalidValue(name, `Must be an integer from ${seconds.min} to ${seconds.max}.`);
      }
      out.core[seconds.core] = Number(value) * 1000;
      continue;
    }
    const check = EXTRA[name];
    if (check) {
      if (name === 'RedriveAllowPolicy') {
        if (value !== '') parseRedriveAllowPolicy(loc, value);
      } else if (value !== '' && !check(value, fifo)) {
        invalidValue(name);
      }
      out.extra[name] = value;
      continue;
    }
    switch (name) {
      case 'MaximumMessageSize':
        if (!/^\d+$/.test(value) || Number(value) < SQS_MIN_MESSAGE_BYTES || Number(value) > SQS_MAX_MESSAGE_BYTES) {
          invalidValue(name, `Must be an integer from ${SQS_MIN_MESSAGE_BYTES} to ${SQS_MAX_MESSAGE_BYTES}.`);
        }
        out.core['maxMessageBytes'] = Number(value);
        break;
      case 'RedrivePolicy': {
        if (value === '') {
          out.core['deadLetterQueue'] = null;
          out.deadLetterTarget = null;
          break;
        }
        const { target, maxReceiveCount } = parseRedrivePolicy(loc, value);
        out.core['deadLetterQueue'] = target;
        out.core['maxReceiveCount'] = maxReceiveCount;
        out.deadLetterTarget = target;
        break;
      }
      case 'FifoQueue':
        if (!creating) invalidValue(name, 'FifoQueue can only be set when the queue is created.');
        if (value !== 'true' && value !== 'false') invalidValue(name);
        if ((value === 'true') !== fifo) invalidValue(name, fifo ? 'A queue whose name ends with .fifo is a FIFO queue.' : 'The name of a FIFO queue must end with the .fifo suffix.');
        break;
      case 'ContentBasedDeduplication':
        if (value !== 'true' && value !== 'false') invalidValue(name);
        if (!fifo && value === 'true') invalidValue(name, 'Only FIFO queues support content-based deduplication.');
        out.core['contentBasedDeduplication'] = value === 'true';
        break;
      default:
        if ((READ_ONLY as readonly string[]).includes(name)) invalidValue(name, `${name} is read-only.`);
        throw sqsError('invalidAttributeName', `Unknown Attribute ${name}.`);
    }
  }
  return out;
}

function parseRedrivePolicy(loc: SqsLocation, value: string): { target: string; maxReceiveCount: number } {
  let policy: unknown;
  try {
    policy = JSON.parse(value);
  } catch (err) {
    throw sqsError('invalidAttributeValue', 'Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.', { cause: err });
  }
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) invalidValue('RedrivePolicy', 'Redrive policy is not a valid JSON map.');
  const p = policy as Record<string, unknown>;
  const arn = p['deadLetterTargetArn'];
  const count = typeof p['maxReceiveCount'] === 'string' && /^\d+$/.test(p['maxReceiveCount']) ? Number(p['maxReceiveCount']) : p['maxReceiveCount'];
  if (typeof arn !== 'string') invalidValue('RedrivePolicy', 'Redrive policy requires deadLetterTargetArn.');
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 1000) {
    invalidValue('RedrivePolicy', 'Value of maxReceiveCount must be an integer from 1 to 1000.');
  }
  return { target: nameFromArn(loc, arn, 'RedrivePolicy'), maxReceiveCount: count };
}

export interface RedriveAllowPolicy {
  permission: 'allowAll' | 'denyAll' | 'byQueue';
  sourceQueues: string[];
}

export function parseRedriveAllowPolicy(loc: SqsLocation, value: string): RedriveAllowPolicy {
  let policy: unknown;
  try {
    policy = JSON.parse(value);
  } catch (err) {
    throw sqsError('invalidAttributeValue', 'Invalid value for the parameter RedriveAllowPolicy. Reason: not a valid JSON map.', { cause: err });
  }
  const p = (typeof policy === 'object' && policy !== null ? policy : {}) as Record<string, unknown>;
  const permission = p['redrivePermission'];
  if (permission !== 'allowAll' && permission !== 'denyAll' && permission !== 'byQueue') {
    invalidValue('RedriveAllowPolicy', 'redrivePermission must be allowAll, denyAll or byQueue.');
  }
  const arns = p['sourceQueueArns'] ?? [];
  if (!Array.isArray(arns) || arns.some((a) => typeof a !== 'string')) invalidValue('RedriveAllowPolicy', 'sourceQueueArns must be a list of ARNs.');
  if (permission === 'byQueue' && (arns.length === 0 || arns.length > 10)) invalidValue('RedriveAllowPolicy', 'byQueue needs 1 to 10 sourceQueueArns.');
  if (permission !== 'byQueue' && arns.length > 0) invalidValue('RedriveAllowPolicy', 'sourceQueueArns is only allowed with byQueue.');
  return { permission, sourceQueues: (arns as string[]).map((a) => nameFromArn(loc, a, 'RedriveAllowPolicy')) };
}

const seconds = (ms: number): string => String(Math.floor(ms / 1000));

/** Every attribute of a queue, as GetQueueAttributes answers `All`. */
export function renderAttributes(loc: SqsLocation, queue: Queue, meta: QueueMeta): Record<string, string> {
  const a = queue.attributes;
  const stats = queue.stats();
  const out: Record<string, string> = {
    QueueArn: queueArn(loc, queue.name),
    ApproximateNumberOfMessages: String(stats.visible),
    ApproximateNumberOfMessagesNotVisible: String(stats.inFlight),
    ApproximateNumberOfMessagesDelayed: String(stats.delayed),
    CreatedTimestamp: seconds(meta.createdAt),
    LastModifiedTimestamp: seconds(meta.lastModifiedAt),
    VisibilityTimeout: seconds(a.visibilityTimeoutMs),
    MaximumMessageSize: String(a.maxMessageBytes),
    MessageRetentionPeriod: seconds(a.retentionMs),
    DelaySeconds: seconds(a.delayMs),
    ReceiveMessageWaitTimeSeconds: seconds(a.receiveWaitMs),
    SqsManagedSseEnabled: 'false',
  };
  if (a.deadLetterQueue !== null && a.maxReceiveCount !== null) {
    out['RedrivePolicy'] = JSON.stringify({ deadLetterTargetArn: queueArn(loc, a.deadLetterQueue), maxReceiveCount: a.maxReceiveCount });
  }
  if (a.fifo) {
    out['FifoQueue'] = 'true';
    out['ContentBasedDeduplication'] = String(a.contentBasedDeduplication);
    out['DeduplicationScope'] = 'queue';
    out['FifoThroughputLimit'] = 'perQueue';
  }
  for (const [k, v] of Object.entries(meta.extra)) if (v !== '') out[k] = v;
  return out;
}
