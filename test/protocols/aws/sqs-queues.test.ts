/**
 * SQS queue operations through the official SDK v3 against a real broker: CreateQueue with
 * attributes and tags, GetQueueUrl, ListQueues (prefix, pagination), Get/SetQueueAttributes,
 * PurgeQueue, DeleteQueue, tags, ListDeadLetterSourceQueues, and their AWS-shaped errors.
 */
import {
  CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ListDeadLetterSourceQueuesCommand,
  ListQueuesCommand, ListQueueTagsCommand, PurgeQueueCommand, QueueDoesNotExist, QueueNameExists, SendMessageCommand,
  SetQueueAttributesCommand, TagQueueCommand, UntagQueueCommand, type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../support/test-server.js';
import { ACCOUNT, REGION, rejection, sqsClient, startAwsServer } from './helpers.js';

let server: TestServer;
let sqs: SQSClient;
let base: string;
beforeAll(async () => {
  server = await startAwsServer();
  sqs = sqsClient(server.ports.aws!);
  base = `http://127.0.0.1:${server.ports.aws}/${ACCOUNT}`;
});
afterAll(async () => {
  sqs?.destroy();
  await server?.cleanup();
});

const attrsOf = async (QueueUrl: string, names: string[] = ['All']) =>
  (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: names as never }))).Attributes ?? {};

describe('CreateQueue and GetQueueAttributes', () => {
  it('creates a queue with every settable attribute and tags, and reads them back', async () => {
    const before = Math.floor(Date.now() / 1000);
    await sqs.send(new CreateQueueCommand({ QueueName: 'attrs-dlq' }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({
      QueueName: 'attrs-main',
      Attributes: {
        VisibilityTimeout: '45', MessageRetentionPeriod: '3600', DelaySeconds: '2', ReceiveMessageWaitTimeSeconds: '5',
        MaximumMessageSize: '2048',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:attrs-dlq`, maxReceiveCount: 3 }),
      },
      tags: { team: 'billing', env: 'test' },
    }));
    expect(QueueUrl).toBe(`${base}/attrs-main`);
    const a = await attrsOf(QueueUrl!);
    expect(a).toMatchObject({
      QueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:attrs-main`,
      VisibilityTimeout: '45', MessageRetentionPeriod: '3600', DelaySeconds: '2', ReceiveMessageWaitTimeSeconds: '5',
      MaximumMessageSize: '2048',
      ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0', ApproximateNumberOfMessagesDelayed: '0',
    });
    expect(JSON.parse(a.RedrivePolicy!)).toEqual({ deadLetterTargetArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:attrs-dlq`, maxReceiveCount: 3 });
    expect(Number(a.CreatedTimestamp)).toBeGreaterThanOrEqual(before);
    expect(Number(a.CreatedTimestamp)).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags).toEqual({ team: 'billing', env: 'test' });
    // Only the attributes asked for.
    expect(await attrsOf(QueueUrl!, ['VisibilityTimeout', 'QueueArn'])).toEqual({ VisibilityTimeout: '45', QueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:attrs-main` });
  });

  it('a queue created through SQS has MaximumMessageSize 1 MiB, the SQS defaults, and reports depth', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'defaults_q-1' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'b', DelaySeconds: 60 }));
    const a = await attrsOf(QueueUrl!);
    expect(a).toMatchObject({
      MaximumMessageSize: '1048576', VisibilityTimeout: '30', MessageRetentionPeriod: '345600', DelaySeconds: '0',
      ReceiveMessageWaitTimeSeconds: '0', ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesDelayed: '1',
    });
    expect(a.FifoQueue).toBeUndefined();
  });

  it('creating an existing queue returns it with the same attributes and fails with different ones', async () => {
    const first = await sqs.send(new CreateQueueCommand({ QueueName: 'again', Attributes: { VisibilityTimeout: '10' } }));
    const second = await sqs.send(new CreateQueueCommand({ QueueName: 'again', Attributes: { VisibilityTimeout: '10' } }));
    expect(second.QueueUrl).toBe(first.QueueUrl);
    expect((await sqs.send(new CreateQueueCommand({ QueueName: 'again' }))).QueueUrl).toBe(first.QueueUrl);
    const err = await rejection(sqs.send(new CreateQueueCommand({ QueueName: 'again', Attributes: { VisibilityTimeout: '11' } })));
    expect(err).toBeInstanceOf(QueueNameExists);
    expect(err.message).toContain('VisibilityTimeout');
  });

  it('FIFO queues: the .fifo suffix and FifoQueue must agree; ContentBasedDeduplication only on FIFO', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'orders.fifo', Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' } }));
    expect(await attrsOf(QueueUrl!, ['FifoQueue', 'ContentBasedDeduplication'])).toEqual({ FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    expect((await rejection(sqs.send(new CreateQueueCommand({ QueueName: 'nofifo', Attributes: { FifoQueue: 'true' } })))).name).toBe('InvalidParameterValue');
    expect((await rejection(sqs.send(new CreateQueueCommand({ QueueName: 'plain', Attributes: { ContentBasedDeduplication: 'true' } })))).name).toBe('InvalidAttributeValue');
  });

  it('refuses bad names, unknown and out-of-range attributes and missing dead-letter targets', async () => {
    expect((await rejection(sqs.send(new CreateQueueCommand({ QueueName: 'a.b' })))).name).toBe('InvalidParameterValue');
    expect((await rejection(sqs.send(new CreateQueueCommand({ QueueName: 'x'.repeat(81) })))).name).toBe('InvalidParameterValue');
    expect((await rejection(sqs.send(new CreateQueueCommand({ QueueName: 'bad', Attributes: { Colour: 'red' } as never })))).name).toBe('InvalidAttributeName');
    expect((await rejection(sqs.send(new CreateQueueCommand({ QueueName: 'bad', Attributes: { VisibilityTimeout: '43201' } })))).name).toBe('InvalidAttributeValue');
    expect((await rejection(sqs.send(new CreateQueueCommand({ QueueName: 'bad', Attributes: { MaximumMessageSize: '1048577' } })))).name).toBe('InvalidAttributeValue');
    const noDlq = await rejection(sqs.send(new CreateQueueCommand({
      QueueName: 'bad', Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:nowhere`, maxReceiveCount: 2 }) },
    })));
    expect(noDlq.name).toBe('InvalidParameterValue');
    expect(noDlq.message).toContain('does not exist');
    expect((await rejection(sqs.send(new GetQueueUrlCommand({ QueueName: 'bad' })))).name).toBe('QueueDoesNotExist');
  });
});

describe('GetQueueUrl, ListQueues, SetQueueAttributes, PurgeQueue, DeleteQueue', () => {
  it('GetQueueUrl finds a queue by name; an unknown one is QueueDoesNotExist (AWS.SimpleQueueService.NonExistentQueue)', async () => {
    await sqs.send(new CreateQueueCommand({ QueueName: 'findme' }));
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: 'findme' }))).QueueUrl).toBe(`${base}/findme`);
    const err = await rejection(sqs.send(new GetQueueUrlCommand({ QueueName: 'missing' })));
    expect(err).toBeInstanceOf(QueueDoesNotExist);
    expect((err as unknown as { Code: string }).Code).toBe('AWS.SimpleQueueService.NonExistentQueue');
    expect(err.$metadata?.httpStatusCode).toBe(400);
    expect((await rejection(sqs.send(new GetQueueUrlCommand({ QueueName: 'findme', QueueOwnerAWSAccountId: '999999999999' })))).name).toBe('QueueDoesNotExist');
  });

  it('ListQueues filters by prefix and pages with MaxResults and NextToken', async () => {
    for (const n of ['list-c', 'list-a', 'list-b', 'list-d', 'listx']) await sqs.send(new CreateQueueCommand({ QueueName: n }));
    const all = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'list-' }));
    expect(all.QueueUrls).toEqual(['list-a', 'list-b', 'list-c', 'list-d'].map((n) => `${base}/${n}`));
    expect(all.NextToken).toBeUndefined();
    const p1 = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'list-', MaxResults: 3 }));
    expect(p1.QueueUrls).toEqual(['list-a', 'list-b', 'list-c'].map((n) => `${base}/${n}`));
    expect(p1.NextToken).toBeTruthy();
    const p2 = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'list-', MaxResults: 3, NextToken: p1.NextToken }));
    expect(p2.QueueUrls).toEqual([`${base}/list-d`]);
    expect(p2.NextToken).toBeUndefined();
  });

  it('SetQueueAttributes changes attributes and LastModifiedTimestamp; read-only ones are refused', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'settable' }));
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { VisibilityTimeout: '5', DelaySeconds: '1', Policy: '{"Version":"2012-10-17"}' } }));
    expect(await attrsOf(QueueUrl!, ['VisibilityTimeout', 'DelaySeconds', 'Policy'])).toEqual({ VisibilityTimeout: '5', DelaySeconds: '1', Policy: '{"Version":"2012-10-17"}' });
    expect((await rejection(sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { QueueArn: 'x' } as never })))).name).toBe('InvalidAttributeValue');
    expect((await rejection(sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { FifoQueue: 'true' } })))).name).toBe('InvalidAttributeValue');
  });

  it('PurgeQueue empties a queue; DeleteQueue removes it', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'doomed' }));
    for (let i = 0; i < 3; i++) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `m${i}` }));
    expect((await attrsOf(QueueUrl!, ['ApproximateNumberOfMessages'])).ApproximateNumberOfMessages).toBe('3');
    await sqs.send(new PurgeQueueCommand({ QueueUrl }));
    expect((await attrsOf(QueueUrl!, ['ApproximateNumberOfMessages'])).ApproximateNumberOfMessages).toBe('0');
    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    expect((await rejection(sqs.send(new GetQueueUrlCommand({ QueueName: 'doomed' })))).name).toBe('QueueDoesNotExist');
    expect((await rejection(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' })))).name).toBe('QueueDoesNotExist');
    // The name can be used again, with no tags from before.
    await sqs.send(new CreateQueueCommand({ QueueName: 'doomed' }));
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags).toBeUndefined();
  });

  it('TagQueue, UntagQueue, ListQueueTags', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'tagged' }));
    await sqs.send(new TagQueueCommand({ QueueUrl, Tags: { a: '1', b: '2' } }));
    await sqs.send(new UntagQueueCommand({ QueueUrl, TagKeys: ['a'] }));
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags).toEqual({ b: '2' });
  });

  it('ListDeadLetterSourceQueues lists the queues that redrive into a queue', async () => {
    const { QueueUrl: dlq } = await sqs.send(new CreateQueueCommand({ QueueName: 'shared-dlq' }));
    const redrive = { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:shared-dlq`, maxReceiveCount: '4' }) };
    await sqs.send(new CreateQueueCommand({ QueueName: 'src-b', Attributes: redrive }));
    await sqs.send(new CreateQueueCommand({ QueueName: 'src-a', Attributes: redrive }));
    const r = await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }));
    expect(r.queueUrls).toEqual([`${base}/src-a`, `${base}/src-b`]);
  });

  it('a RedriveAllowPolicy of the target decides which queues may use it as dead-letter queue', async () => {
    await sqs.send(new CreateQueueCommand({ QueueName: 'picky-dlq', Attributes: { RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [`arn:aws:sqs:${REGION}:${ACCOUNT}:allowed-src`] }) } }));
    const redrive = { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:picky-dlq`, maxReceiveCount: 1 }) };
    await sqs.send(new CreateQueueCommand({ QueueName: 'allowed-src', Attributes: redrive }));
    const err = await rejection(sqs.send(new CreateQueueCommand({ QueueName: 'other-src', Attributes: redrive })));
    expect(err.name).toBe('InvalidParameterValue');
    expect(err.message).toContain('RedriveAllowPolicy');
  });
});
