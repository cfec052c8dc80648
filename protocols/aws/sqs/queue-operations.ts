/**
 * SQS queue operations: CreateQueue, GetQueueUrl, ListQueues, DeleteQueue, PurgeQueue,
 * Get/SetQueueAttributes, ListDeadLetterSourceQueues, TagQueue, UntagQueue, ListQueueTags.
 */
import { isFifoName } from '../../../src/core/names.js';
import { parseRedriveAllowPolicy, parseSqsAttributes, KNOWN_ATTRIBUTES, renderAttributes, SQS_MAX_MESSAGE_BYTES } from './queue-attributes.js';
import { sqsNameProblem } from './queue-address.js';
import { moveTaskOperations } from './move-tasks.js';
import { optionalInt, optionalString, optionalStringList, optionalStringMap, requireString, type Input } from './params.js';
import { sqsError } from './sqs-errors.js';
import type { SqsCall, SqsOperation, SqsService } from './sqs-service.js';

const MAX_TAGS = 50;

function checkTags(tags: Record<string, string>): void {
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) throw sqsError('invalidParameterValue', `Too many tags: a queue has at most ${MAX_TAGS}.`);
  for (const [k, v] of entries) {
    if (k.length < 1 || k.length > 128 || v.length > 256 || /^aws:/i.test(k)) {
      throw sqsError('invalidParameterValue', `Tag ${JSON.stringify(k)} is invalid: keys are 1-128 characters (not starting aws:), values at most 256.`);
    }
  }
}

/** The target of a RedrivePolicy must exist, be of the same kind, and allow `source` as a source (its RedriveAllowPolicy). */
function checkDeadLetterTarget(svc: SqsService, source: string, target: string): void {
  const dlq = svc.broker.getQueue(target);
  const invalid = (reason: string): Error => sqsError('invalidParameterValue', `Value for parameter RedrivePolicy is invalid. Reason: ${reason}`);
  if (!dlq) throw invalid(`Dead letter target does not exist: ${svc.arn(target)}.`);
  if (target === source) throw invalid('A queue cannot be its own dead-letter queue.');
  if (dlq.attributes.fifo !== isFifoName(source)) throw invalid('The dead-letter queue of a FIFO queue must be a FIFO queue, and of a standard queue a standard queue.');
  const allow = svc.metadata.get(target, svc.broker.startedAt).extra['RedriveAllowPolicy'];
  if (allow === undefined || allow === '') return;
  const policy = parseRedriveAllowPolicy(svc.location, allow);
  if (policy.permission === 'denyAll' || (policy.permission === 'byQueue' && !policy.sourceQueues.includes(source))) {
    throw invalid(`The RedriveAllowPolicy of ${svc.arn(target)} does not allow ${svc.arn(source)} as a source queue.`);
  }
}

/** `attrs` as the existing queue would have to have them for CreateQueue to return it. */
function differingAttribute(svc: SqsService, name: string, attrs: Record<string, string>): string | undefined {
  const queue = svc.queueNamed(name);
  const current = renderAttributes(svc.location, queue, svc.metadata.get(name, svc.broker.startedAt));
  for (const [k, v] of Object.entries(attrs)) {
    const have = current[k] ?? (k === 'FifoQueue' || k === 'ContentBasedDeduplication' ? 'false' : '');
    const same = k === 'RedrivePolicy' && v !== '' && have !== ''
      ? sameRedrivePolicy(v, have)
      : have === v;
    if (!same) return k;
  }
  return undefined;
}

function sameRedrivePolicy(a: string, b: string): boolean {
  const pa = JSON.parse(a) as Record<string, unknown>;
  const pb = JSON.parse(b) as Record<string, unknown>;
  return pa['deadLetterTargetArn'] === pb['deadLetterTargetArn'] && Number(pa['maxReceiveCount']) === Number(pb['maxReceiveCount']);
}

function page<T>(items: readonly T[], key: (t: T) => string, input: Input): { items: T[]; next: string | undefined } {
  const max = optionalInt(input, 'MaxResults', 1, 1000);
  const token = optionalString(input, 'NextToken');
  let start = 0;
  if (token !== undefined) {
    const after = Buffer.from(token, 'base64url').toString('utf8');
    start = items.findIndex((t) => key(t) > after);
    if (start < 0) start = items.length;
  }
  const limit = max ?? 1000;
  const slice = items.slice(start, start + limit);
  const more = max !== undefined && start + limit < items.length;
  return { items: slice, next: more ? Buffer.from(key(slice.at(-1)!), 'utf8').toString('base64url') : undefined };
}

const CreateQueue: SqsOperation = async (svc, call, input) => {
  const name = requireString(input, 'QueueName');
  const attrs = optionalStringMap(input, 'Attributes');
  const tags = optionalStringMap(input, 'tags');
  const fifo = attrs['FifoQueue'] === 'true' || name.endsWith('.fifo');
  const problem = sqsNameProblem(name, fifo);
  if (problem) throw sqsError('invalidParameterValue', `Value ${name} for parameter QueueName is invalid. Reason: ${problem}`);
  checkTags(tags);
  svc.authorize(call, 'admin', name);
  const parsed = parseSqsAttributes(svc.location, attrs, fifo, true);
  if (svc.broker.getQueue(name)) {
    const differs = differingAttribute(svc, name, attrs);
    if (differs !== undefined) throw sqsError('queueNameExists', `A queue already exists with the same name and a different value for attribute ${differs}`);
    return { QueueUrl: svc.url(call, name) };
  }
  if (parsed.deadLetterTarget) checkDeadLetterTarget(svc, name, parsed.deadLetterTarget);
  await svc.broker.createQueue(name, { maxMessageBytes: Math.min(SQS_MAX_MESSAGE_BYTES, svc.broker.maxMessageBytes), ...parsed.core });
  const extra = Object.fromEntries(Object.entries(parsed.extra).filter(([, v]) => v !== ''));
  await svc.metadata.put(name, svc.metadata.created(tags, extra));
  svc.logger.info({ queue: name, principal: call.principal.name }, 'SQS queue created');
  return { QueueUrl: svc.url(call, name) };
};

const GetQueueUrl: SqsOperation = async (svc, call, input) => {
  const name = requireString(input, 'QueueName');
  const owner = optionalString(input, 'QueueOwnerAWSAccountId');
  if (owner !== undefined && owner !== svc.location.accountId) throw sqsError('queueDoesNotExist', 'The specified queue does not exist.');
  svc.queueNamed(name);
  svc.authorize(call, 'read', name);
  return { QueueUrl: svc.url(call, name) };
};

const ListQueues: SqsOperation = async (svc, call, input) => {
  const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
  const names = svc.broker.listQueues()
    .filter((q) => q.attributes.durable && q.name.startsWith(prefix))
    .map((q) => q.name)
    .filter((n) => svc.security.authorize(call.principal, 'read', { kind: 'queue', name: n }))
    .sort();
  const { items, next } = page(names, (n) => n, input);
  return { QueueUrls: items.map((n) => svc.url(call, n)), ...(next !== undefined ? { NextToken: next } : {}) };
};

const DeleteQueue: SqsOperation = async (svc, call, input) => {
  const queue = svc.queueOf(call, input, 'admin');
  await svc.broker.deleteQueue(queue.name);
  await svc.metadata.delete(queue.name);
  svc.logger.info({ queue: queue.name, principal: call.principal.name }, 'SQS queue deleted');
  return {};
};

const PurgeQueue: SqsOperation = async (svc, call, input) => {
  const queue = svc.queueOf(call, input, 'admin');
  await queue.purge();
  return {};
};

const GetQueueAttributes: SqsOperation = async (svc, call, input) => {
  const queue = svc.queueOf(call, input, 'read');
  const names = optionalStringList(input, 'AttributeNames');
  for (const n of names) {
    if (n !== 'All' && !KNOWN_ATTRIBUTES.has(n)) throw sqsError('invalidAttributeName', `Unknown Attribute ${n}.`);
  }
  if (names.length === 0) return {};
  const all = renderAttributes(svc.location, queue, svc.metadata.get(queue.name, svc.broker.startedAt));
  const attributes = names.includes('All') ? all : Object.fromEntries(names.filter((n) => all[n] !== undefined).map((n) => [n, all[n]!]));
  return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
};

const SetQueueAttributes: SqsOperation = async (svc, call, input) => {
  const queue = svc.queueOf(call, input, 'admin');
  const attrs = optionalStringMap(input, 'Attributes');
  const parsed = parseSqsAttributes(svc.location, attrs, queue.attributes.fifo, false);
  if (parsed.deadLetterTarget) checkDeadLetterTarget(svc, queue.name, parsed.deadLetterTarget);
  if (Object.keys(parsed.core).length > 0) await svc.broker.setQueueAttributes(queue.name, parsed.core);
  const meta = svc.metadata.get(queue.name, svc.broker.startedAt);
  for (const [k, v] of Object.entries(parsed.extra)) {
    if (v === '') delete meta.extra[k];
    else meta.extra[k] = v;
  }
  meta.lastModifiedAt = svc.broker.clock.now();
  await svc.metadata.put(queue.name, meta);
  return {};
};

const ListDeadLetterSourceQueues: SqsOperation = async (svc, call, input) => {
  const dlq = svc.queueOf(call, input, 'read');
  const sources = svc.broker.listQueues().filter((q) => q.attributes.deadLetterQueue === dlq.name).map((q) => q.name).sort();
  const { items, next } = page(sources, (n) => n, input);
  return { queueUrls: items.map((n) => svc.url(call, n)), ...(next !== undefined ? { NextToken: next } : {}) };
};

async function updateTags(svc: SqsService, call: SqsCall, input: Input, change: (tags: Record<string, string>) => void): Promise<Input> {
  const queue = svc.queueOf(call, input, 'admin');
  const meta = svc.metadata.get(queue.name, svc.broker.startedAt);
  change(meta.tags);
  checkTags(meta.tags);
  await svc.metadata.put(queue.name, meta);
  return {};
}

const TagQueue: SqsOperation = (svc, call, input) => {
  const tags = optionalStringMap(input, 'Tags');
  return updateTags(svc, call, input, (t) => Object.assign(t, tags));
};

const UntagQueue: SqsOperation = (svc, call, input) => {
  const keys = optionalStringList(input, 'TagKeys');
  return updateTags(svc, call, input, (t) => {
    for (const k of keys) delete t[k];
  });
};

const ListQueueTags: SqsOperation = async (svc, call, input) => {
  const queue = svc.queueOf(call, input, 'read');
  const tags = svc.metadata.get(queue.name, svc.broker.startedAt).tags;
  return Object.keys(tags).length > 0 ? { Tags: tags } : {};
};

export const queueOperations: Record<string, SqsOperation> = {
  CreateQueue, GetQueueUrl, ListQueues, DeleteQueue, PurgeQueue, GetQueueAttributes, SetQueueAttributes,
  ListDeadLetterSourceQueues, TagQueue, UntagQueue, ListQueueTags, ...moveTaskOperations,
};
