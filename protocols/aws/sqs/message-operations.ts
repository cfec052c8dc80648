/**
 * SQS message operations: SendMessage(Batch), ReceiveMessage, DeleteMessage(Batch),
 * ChangeMessageVisibility(Batch), over the core queue's send / receive / deleteMessage /
 * changeVisibility (docs/protocol-mapping.md, SQS section).
 */
import { createHash } from 'node:crypto';
import type { Queue } from '../../../src/core/broker.js';
import { isBrokerError } from '../../../src/core/errors.js';
import { messageSize, type Message } from '../../../src/core/message.js';
import type { ReceivedMessage } from '../../../src/core/queue/types.js';
import { typed } from '../../../src/core/values.js';
import { batchEntries, runBatch } from './batch.js';
import {
  attributeFilter, attributesSize, attributesToHeaders, attributesToJson, hasInvalidChars, md5Hex, md5OfAttributes,
  messageToAttributes, parseMessageAttributes,
} from './message-attributes.js';
import { optionalInt, optionalObjectMap, optionalString, optionalStringList, requireInt, requireString, type Input } from './params.js';
import { SQS_MAX_MESSAGE_BYTES } from './queue-attributes.js';
import { sqsError } from './sqs-errors.js';
import type { SqsCall, SqsOperation, SqsService } from './sqs-service.js';

const MAX_VISIBILITY_S = 43_200;
const GROUP_OR_DEDUP_ID = /^[\x21-\x7e]{1,128}$/;

interface PreparedSend {
  message: Message;
  delayMs: number | undefined;
  size: number;
  md5Body: string;
  md5Attributes: string | undefined;
}

/** Validate one SendMessage (or batch entry) and build its core message. */
function prepareSend(queue: Queue, call: SqsCall, input: Input, now: number): PreparedSend {
  const body = input['MessageBody'];
  if (typeof body !== 'string' || body === '') throw sqsError('missingParameter', 'The request must contain the parameter MessageBody.');
  if (hasInvalidChars(body)) {
    throw sqsError('invalidMessageContents', 'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF');
  }
  const attrs = parseMessageAttributes(optionalObjectMap(input, 'MessageAttributes'));
  const bodyBytes = Buffer.from(body, 'utf8');
  const size = bodyBytes.length + attributesSize(attrs);
  const limit = queue.attributes.maxMessageBytes;
  if (size > limit) {
    throw sqsError('invalidParameterValue', `One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`);
  }
  const fifo = queue.attributes.fifo;
  const delaySeconds = optionalInt(input, 'DelaySeconds', 0, 900, 'Must be between 0 and 900, if provided');
  const groupId = optionalString(input, 'MessageGroupId');
  const dedupId = optionalString(input, 'MessageDeduplicationId');
  for (const [what, v] of [['MessageGroupId', groupId], ['MessageDeduplicationId', dedupId]] as const) {
    if (v !== undefined && !GROUP_OR_DEDUP_ID.test(v)) {
      throw sqsError('invalidParameterValue', `Value ${v} for parameter ${what} is invalid. Reason: 1 to 128 alphanumeric or punctuation characters.`);
    }
  }
  if (fifo) {
    if (delaySeconds !== undefined && delaySeconds !== 0) {
      throw sqsError('invalidParameterValue', 'Value for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.');
    }
    if (groupId === undefined) throw sqsError('missingParameter', 'The request must contain the parameter MessageGroupId.');
    if (dedupId === undefined && !queue.attributes.contentBasedDeduplication) {
      throw sqsError('invalidParameterValue', 'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
    }
  } else if (dedupId !== undefined) {
    throw sqsError('invalidParameterValue', 'Value for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type.');
  }
  const { headers, dataTypes } = attributesToHeaders(attrs);
  const message: Message = {
    body: bodyBytes,
    properties: { timestamp: now, ...(call.principal.anonymous ? {} : { userId: call.principal.name }) },
    headers,
    persistent: true,
    ...(groupId !== undefined ? { groupId } : {}),
    ...(dedupId !== undefined ? { dedupId } : {}),
    ...(dataTypes ? { protocol: { sqs: { dataTypes: typed.map(dataTypes) } } } : {}),
  };
  return { message, delayMs: delaySeconds === undefined ? undefined : delaySeconds * 1000, size, md5Body: md5Hex(bodyBytes), md5Attributes: md5OfAttributes(attrs) };
}

function sequenceNumber(seq: number): string {
  return String(seq).padStart(20, '0');
}

async function send(svc: SqsService, queue: Queue, p: PreparedSend): Promise<Input> {
  // Straight to the queue (a queue deleted meanwhile is QueueDoesNotExist, never re-created);
  // the broker-wide limit still caps a queue stored under a larger one.
  if (messageSize(p.message) > svc.broker.maxMessageBytes) {
    throw sqsError('invalidParameterValue', `One or more parameters are invalid. Reason: Message must be shorter than ${svc.broker.maxMessageBytes} bytes.`);
  }
  const r = await queue.send(p.message, p.delayMs !== undefined ? { delayMs: p.delayMs } : {});
  return {
    MessageId: r.id,
    MD5OfMessageBody: p.md5Body,
    ...(p.md5Attributes !== undefined ? { MD5OfMessageAttributes: p.md5Attributes } : {}),
    ...(queue.attributes.fifo ? { SequenceNumber: sequenceNumber(r.seq) } : {}),
  };
}

const SendMessage: SqsOperation = async (svc, call, input) => {
  const queue = svc.queueOf(call, input, 'write');
  return send(svc, queue, prepareSend(queue, call, input, svc.broker.clock.now()));
};

const SendMessageBatch: SqsOperation = async (svc, call, input) => {
  const queue = svc.queueOf(call, input, 'write');
  const entries = batchEntries(input, 'Entries');
  const now = svc.broker.clock.now();
  // Validated up front so the batch's total size can be checked before anything is sent.
  const prepared = entries.map((e) => {
    try {
      return prepareSend(queue, call, e, now);
    } catch (err) {
      return err as Error;
    }
  });
  const total = prepared.reduce((n, p) => n + (p instanceof Error ? 0 : p.size), 0);
  const limit = Math.max(SQS_MAX_MESSAGE_BYTES, queue.attributes.maxMessageBytes);
  if (total > limit) throw sqsError('batchRequestTooLong', `Batch requests cannot be longer than ${limit} bytes. You have sent ${total} bytes.`);
  const indexed = entries.map((e, i) => ({ Id: e.Id, prepared: prepared[i]! }));
  return runBatch(indexed, (e) => (e.prepared instanceof Error ? Promise.reject(e.prepared) : send(svc, queue, e.prepared)), (err) => svc.logger.error({ err }, 'SendMessageBatch entry failed'));
};

const SYSTEM_ATTRIBUTES = [
  'SenderId', 'SentTimestamp', 'ApproximateReceiveCount', 'MessageGroupId', 'MessageDeduplicationId', 'SequenceNumber',
] as const;

function systemAttributes(svc: SqsService, queue: Queue, r: ReceivedMessage, wanted: ReadonlySet<string>): Record<string, string> {
  const all = wanted.has('All');
  const m = r.message;
  const out: Record<string, string> = {};
  const put = (name: (typeof SYSTEM_ATTRIBUTES)[number], value: string | undefined): void => {
    if (value !== undefined && (all || wanted.has(name))) out[name] = value;
  };
  put('SenderId', m.properties.userId ?? svc.location.accountId);
  put('SentTimestamp', String(m.properties.timestamp ?? r.enqueuedAt));
  put('ApproximateReceiveCount', String(r.receiveCount));
  if (queue.attributes.fifo) {
    put('MessageGroupId', m.groupId);
    put('MessageDeduplicationId', m.dedupId ?? (queue.attributes.contentBasedDeduplication ? createHash('sha256').update(m.body).digest('hex') : undefined));
    put('SequenceNumber', sequenceNumber(r.seq));
  } else {
    put('MessageGroupId', m.groupId);
  }
  return out;
}

const ReceiveMessage: SqsOperation = async (svc, call, input) => {
  const queue = svc.queueOf(call, input, 'read');
  const max = optionalInt(input, 'MaxNumberOfMessages', 1, 10, 'Must be between 1 and 10, if provided');
  const wait = optionalInt(input, 'WaitTimeSeconds', 0, 20, 'Must be >= 0 and <= 20, if provided');
  const visibility = optionalInt(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_S, `Must be between 0 and ${MAX_VISIBILITY_S}, if provided`);
  const wanted = new Set([...optionalStringList(input, 'AttributeNames'), ...optionalStringList(input, 'MessageSystemAttributeNames')]);
  const keep = attributeFilter(optionalStringList(input, 'MessageAttributeNames'));
  const received = await queue.receive({
    max: max ?? 1,
    ...(wait !== undefined ? { waitMs: wait * 1000 } : {}),
    ...(visibility !== undefined ? { visibilityTimeoutMs: visibility * 1000 } : {}),
    signal: call.signal,
  });
  if (received.length === 0) return {};
  return {
    Messages: received.map((r) => {
      const body = r.message.body.toString('utf8');
      const attrs = messageToAttributes(r.message, keep);
      const md5Attributes = md5OfAttributes(attrs);
      const system = systemAttributes(svc, queue, r, wanted);
      return {
        MessageId: r.id,
        ReceiptHandle: r.receipt,
        MD5OfBody: md5Hex(Buffer.from(body, 'utf8')),
        Body: body,
        ...(Object.keys(system).length > 0 ? { Attributes: system } : {}),
        ...(attrs.size > 0 ? { MessageAttributes: attributesToJson(attrs), MD5OfMessageAttributes: md5Attributes } : {}),
      };
    }),
  };
};

function deleteOne(queue: Queue, receipt: string): Promise<void> {
  return queue.deleteMessage(receipt).catch((err: unknown) => {
    if (isBrokerError(err, 'RECEIPT_INVALID')) throw sqsError('receiptHandleIsInvalid', `The input receipt handle "${receipt}" is not a valid receipt handle (or the message was received again since).`, { cause: err });
    throw err;
  });
}

const DeleteMessage: SqsOperation = async (svc, call, input) => {
  const queue = svc.queueOf(call, input, 'read');
  await deleteOne(queue, requireString(input, 'ReceiptHandle'));
  return {};
};

const DeleteMessageBatch: SqsOperation = async (svc, call, input) => {
  const queue = svc.queueOf(call, input, 'read');
  const entries = batchEntries(input, 'Entries');
  return runBatch(entries, async (e) => {
    await deleteOne(queue, requireString(e, 'ReceiptHandle'));
    return {};
  }, (err) => svc.logger.error({ err }, 'DeleteMessageBatch entry failed'));
};

function changeOne(queue: Queue, input: Input): void {
  const receipt = requireString(input, 'ReceiptHandle');
  const seconds = requireInt(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_S, `Must be between 0 and ${MAX_VISIBILITY_S}`);
  try {
    queue.changeVisibility(receipt, seconds * 1000);
  } catch (err) {
    if (!isBrokerError(err, 'RECEIPT_INVALID')) throw err;
    // The core says RECEIPT_INVALID for both; a known receipt of a message back in the queue is "not in flight".
    if (err.message.includes('not in flight')) throw sqsError('messageNotInflight', 'The message referred to is not in flight.', { cause: err });
    throw sqsError('receiptHandleIsInvalid', `The input receipt handle "${receipt}" is not a valid receipt handle (or the message was received again since).`, { cause: err });
  }
}

const ChangeMessageVisibility: SqsOperation = async (svc, call, input) => {
  changeOne(svc.queueOf(call, input, 'read'), input);
  return {};
};

const ChangeMessageVisibilityBatch: SqsOperation = async (svc, call, input) => {
  const queue = svc.queueOf(call, input, 'read');
  const entries = batchEntries(input, 'Entries');
  return runBatch(entries, async (e) => {
    changeOne(queue, e);
    return {};
  }, (err) => svc.logger.error({ err }, 'ChangeMessageVisibilityBatch entry failed'));
};

export const messageOperations: Record<string, SqsOperation> = {
  SendMessage, SendMessageBatch, ReceiveMessage, DeleteMessage, DeleteMessageBatch, ChangeMessageVisibility, ChangeMessageVisibilityBatch,
};
