/**
 * Everything SQS keeps survives a broker restart on the SQLite store: queues with their
 * attributes, creation time and tags, messages with their attributes (custom DataTypes too),
 * receive counts, and the FIFO deduplication window.
 */
import {
  CreateQueueCommand, GetQueueAttributesCommand, ListQueueTagsCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../support/test-server.js';
import { sqsClient, startAwsServer } from './helpers.js';

let server: TestServer | undefined;
const clients: SQSClient[] = [];
afterAll(async () => {
  for (const c of clients) c.destroy();
  await server?.cleanup();
});

describe('SQS state across a restart (SQLite store)', () => {
  it('keeps queues, attributes, tags, messages, receive counts and FIFO dedup', async () => {
    server = await startAwsServer();
    expect(server.server.config.store.type).toBe('sqlite');
    let sqs = sqsClient(server.ports.aws!);
    clients.push(sqs);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'durable', Attributes: { VisibilityTimeout: '600', MaximumMessageSize: '4096' }, tags: { owner: 'ops' } }));
    const fifo = (await sqs.send(new CreateQueueCommand({ QueueName: 'durable.fifo', Attributes: { FifoQueue: 'true' } }))).QueueUrl!;
    const before = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))).Attributes!;
    const a = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'first', MessageAttributes: { n: { DataType: 'Number.float', StringValue: '2.5' }, b: { DataType: 'Binary.raw', BinaryValue: Buffer.from([9, 8]) } } }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'second' }));
    const inFlight = (await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages![0]!;
    expect(inFlight.Body).toBe('first');
    const dedup = await sqs.send(new SendMessageCommand({ QueueUrl: fifo, MessageBody: 'once', MessageGroupId: 'g', MessageDeduplicationId: 'd-1' }));

    server = await server.restart();
    sqs = sqsClient(server.ports.aws!);
    clients.push(sqs);
    const after = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))).Attributes!;
    expect(after).toMatchObject({
      VisibilityTimeout: '600', MaximumMessageSize: '4096', CreatedTimestamp: before.CreatedTimestamp, QueueArn: before.QueueArn,
      ApproximateNumberOfMessages: '2', ApproximateNumberOfMessagesNotVisible: '0',
    });
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags).toEqual({ owner: 'ops' });
    const got = (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['ApproximateReceiveCount'] }))).Messages!;
    const first = got.find((m) => m.Body === 'first')!;
    expect(first.MessageId).toBe(a.MessageId);
    expect(first.Attributes!.ApproximateReceiveCount).toBe('2');
    expect(first.MD5OfMessageAttributes).toBe(a.MD5OfMessageAttributes);
    expect(first.MessageAttributes).toEqual({ n: { DataType: 'Number.float', StringValue: '2.5' }, b: { DataType: 'Binary.raw', BinaryValue: new Uint8Array([9, 8]) } });
    expect(got.find((m) => m.Body === 'second')!.Attributes!.ApproximateReceiveCount).toBe('1');
    // The old receipt died with the old process.
    expect(inFlight.ReceiptHandle).not.toBe(first.ReceiptHandle);
    const again = await sqs.send(new SendMessageCommand({ QueueUrl: fifo, MessageBody: 'once', MessageGroupId: 'g', MessageDeduplicationId: 'd-1' }));
    expect(again.MessageId).toBe(dedup.MessageId);
    const fifoMessages = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: fifo, MaxNumberOfMessages: 10 }))).Messages!;
    expect(fifoMessages.map((m) => m.Body)).toEqual(['once']);
  });
});
