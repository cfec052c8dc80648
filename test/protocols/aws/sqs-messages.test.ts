/**
 * SQS message operations through the official SDK v3 against a real broker: send and receive
 * with attributes (MD5s as AWS computes them), batches, long polling, visibility timeouts and
 * redelivery, receipts, dead-letter queues and redrive, FIFO order and deduplication.
 */
import { createHash } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand, ChangeMessageVisibilityCommand, CreateQueueCommand, DeleteMessageBatchCommand,
  DeleteMessageCommand, GetQueueAttributesCommand, ListMessageMoveTasksCommand, ReceiptHandleIsInvalid, ReceiveMessageCommand,
  SendMessageBatchCommand, SendMessageCommand, StartMessageMoveTaskCommand, type MessageAttributeValue, type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../support/test-server.js';
import { ACCOUNT, REGION, rejection, sqsClient, startAwsServer, waitFor } from './helpers.js';

let server: TestServer;
let sqs: SQSClient;
beforeAll(async () => {
  server = await startAwsServer();
  sqs = sqsClient(server.ports.aws!);
});
afterAll(async () => {
  sqs?.destroy();
  await server?.cleanup();
});

const create = async (QueueName: string, Attributes: Record<string, string> = {}) =>
  (await sqs.send(new CreateQueueCommand({ QueueName, Attributes }))).QueueUrl!;
const arn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const depth = async (QueueUrl: string) => {
  const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))).Attributes!;
  return { visible: Number(a.ApproximateNumberOfMessages), inFlight: Number(a.ApproximateNumberOfMessagesNotVisible), delayed: Number(a.ApproximateNumberOfMessagesDelayed) };
};

/** MD5OfMessageAttributes computed independently here from AWS's description of it. */
function expectedAttributesMd5(attrs: Record<string, MessageAttributeValue>): string {
  const parts: Buffer[] = [];
  const withLength = (b: Buffer) => {
    const n = Buffer.alloc(4);
    n.writeUInt32BE(b.length, 0);
    parts.push(n, b);
  };
  for (const name of Object.keys(attrs).sort()) {
    const a = attrs[name]!;
    withLength(Buffer.from(name));
    withLength(Buffer.from(a.DataType!));
    if (a.DataType!.startsWith('Binary')) {
      parts.push(Buffer.of(2));
      withLength(Buffer.from(a.BinaryValue!));
    } else {
      parts.push(Buffer.of(1));
      withLength(Buffer.from(a.StringValue!));
    }
  }
  return createHash('md5').update(Buffer.concat(parts)).digest('hex');
}

describe('SendMessage and ReceiveMessage', () => {
  it('round-trips body and every attribute type with custom DataTypes; MD5s as AWS computes them', async () => {
    const QueueUrl = await create('roundtrip');
    const attrs: Record<string, MessageAttributeValue> = {
      zeta: { DataType: 'String', StringValue: 'último ☃' },
      alpha: { DataType: 'Number', StringValue: '-12.50' },
      'beta.id': { DataType: 'Number.int', StringValue: '42' },
      blob: { DataType: 'Binary', BinaryValue: Buffer.from([0, 1, 2, 255]) },
      jpeg: { DataType: 'Binary.jpeg', BinaryValue: Buffer.from('JFIF') },
      s: { DataType: 'String.custom', StringValue: 'c' },
    };
    const body = 'héllo {"json": true} \u{1F600}';
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body, MessageAttributes: attrs }));
    expect(sent.MD5OfMessageBody).toBe(createHash('md5').update(body).digest('hex'));
    expect(sent.MD5OfMessageAttributes).toBe(expectedAttributesMd5(attrs));
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ['All'], AttributeNames: ['All'] }));
    const m = r.Messages![0]!;
    expect(m.MessageId).toBe(sent.MessageId);
    expect(m.Body).toBe(body);
    expect(m.MD5OfBody).toBe(sent.MD5OfMessageBody);
    expect(m.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(Object.keys(m.MessageAttributes!).sort()).toEqual(Object.keys(attrs).sort());
    for (const [k, v] of Object.entries(attrs)) {
      expect(m.MessageAttributes![k]!.DataType).toBe(v.DataType);
      if (v.BinaryValue) expect(Buffer.from(m.MessageAttributes![k]!.BinaryValue!)).toEqual(Buffer.from(v.BinaryValue));
      else expect(m.MessageAttributes![k]!.StringValue).toBe(v.StringValue);
    }
    expect(m.Attributes).toMatchObject({ ApproximateReceiveCount: '1', SenderId: 'alice' });
    expect(Math.abs(Number(m.Attributes!.SentTimestamp) - Date.now())).toBeLessThan(10_000);
  });

  it('MessageAttributeNames and AttributeNames select what is returned; the MD5 covers what is returned', async () => {
    const QueueUrl = await create('selective');
    const attrs: Record<string, MessageAttributeValue> = {
      'app.a': { DataType: 'String', StringValue: '1' }, 'app.b': { DataType: 'String', StringValue: '2' }, other: { DataType: 'String', StringValue: '3' },
    };
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', MessageAttributes: attrs }));
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ['app.*'], MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    const m = r.Messages![0]!;
    expect(Object.keys(m.MessageAttributes!).sort()).toEqual(['app.a', 'app.b']);
    expect(m.MD5OfMessageAttributes).toBe(expectedAttributesMd5({ 'app.a': attrs['app.a']!, 'app.b': attrs['app.b']! }));
    expect(m.Attributes).toEqual({ ApproximateReceiveCount: '1' });
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
    const plain = (await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages![0]!;
    expect(plain.MessageAttributes).toBeUndefined();
    expect(plain.MD5OfMessageAttributes).toBeUndefined();
    expect(plain.Attributes).toBeUndefined();
  });

  it('receives up to MaxNumberOfMessages; an empty queue answers no messages', async () => {
    const QueueUrl = await create('many');
    const empty = await sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    expect(empty.Messages ?? []).toEqual([]);
    for (let i = 0; i < 12; i++) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `m${i}` }));
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(r.Messages).toHaveLength(10);
    expect(await depth(QueueUrl)).toEqual({ visible: 2, inFlight: 10, delayed: 0 });
  });

  it('long polling waits for a message and wakes as soon as one arrives', async () => {
    const QueueUrl = await create('longpoll');
    const started = Date.now();
    const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 }));
    await new Promise((r) => setTimeout(r, 300));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'wake up' }));
    const r = await polling;
    expect(r.Messages?.[0]?.Body).toBe('wake up');
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(5000);
  });

  it('a long poll with nothing arriving ends after WaitTimeSeconds with no messages', async () => {
    const QueueUrl = await create('longpoll-empty');
    const started = Date.now();
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(r.Messages ?? []).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('DelaySeconds hides a message until it is due', async () => {
    const QueueUrl = await create('delayed');
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'later', DelaySeconds: 1 }));
    expect(await depth(QueueUrl)).toMatchObject({ visible: 0, delayed: 1 });
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages ?? []).toEqual([]);
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 3 }));
    expect(r.Messages?.[0]?.Body).toBe('later');
  });
});

describe('visibility, receipts and deletion', () => {
  it('an undeleted message comes back after its visibility timeout with ApproximateReceiveCount 2; the old receipt goes stale', async () => {
    const QueueUrl = await create('visibility', { VisibilityTimeout: '1' });
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'again' }));
    const first = (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }))).Messages![0]!;
    expect(first.Attributes!.ApproximateReceiveCount).toBe('1');
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages ?? []).toEqual([]);
    const second = (await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 3, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }))).Messages![0]!;
    expect(second.MessageId).toBe(first.MessageId);
    expect(second.Attributes!.ApproximateReceiveCount).toBe('2');
    expect(second.ReceiptHandle).not.toBe(first.ReceiptHandle);
    const stale = await rejection(sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first.ReceiptHandle })));
    expect(stale).toBeInstanceOf(ReceiptHandleIsInvalid);
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: second.ReceiptHandle }));
    expect(await depth(QueueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('ReceiveMessage VisibilityTimeout and ChangeMessageVisibility set the timeout per message', async () => {
    const QueueUrl = await create('change-vis');
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'v' }));
    const m = (await sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 600 }))).Messages![0]!;
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
    const again = (await sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 1 }))).Messages![0]!;
    expect(again.MessageId).toBe(m.MessageId);
    await waitFor(async () => (await depth(QueueUrl)).visible === 1, 4000);
    // A known receipt of a message that is back in the queue: not in flight.
    const err = await rejection(sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: again.ReceiptHandle, VisibilityTimeout: 30 })));
    expect(err.name).toBe('MessageNotInflight');
    expect((await rejection(sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: 'bogus', VisibilityTimeout: 30 })))).name).toBe('ReceiptHandleIsInvalid');
  });

  it('SendMessageBatch, DeleteMessageBatch and ChangeMessageVisibilityBatch report each entry', async () => {
    const QueueUrl = await create('batches');
    const sent = await sqs.send(new SendMessageBatchCommand({
      QueueUrl,
      Entries: [
        { Id: 'a', MessageBody: 'one', MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } },
        { Id: 'b', MessageBody: 'two', DelaySeconds: 0 },
        { Id: 'bad', MessageBody: 'three', DelaySeconds: 901 },
        { Id: 'c', MessageBody: 'four' },
      ],
    }));
    expect(sent.Successful!.map((s) => s.Id)).toEqual(['a', 'b', 'c']);
    expect(sent.Successful![0]!.MD5OfMessageAttributes).toBe(expectedAttributesMd5({ k: { DataType: 'String', StringValue: 'v' } }));
    expect(sent.Failed).toEqual([expect.objectContaining({ Id: 'bad', SenderFault: true, Code: 'InvalidParameterValue' })]);
    const got = (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }))).Messages!;
    expect(got.map((m) => m.Body).sort()).toEqual(['four', 'one', 'two']);
    const changed = await sqs.send(new ChangeMessageVisibilityBatchCommand({
      QueueUrl, Entries: [{ Id: 'x', ReceiptHandle: got[0]!.ReceiptHandle, VisibilityTimeout: 100 }, { Id: 'y', ReceiptHandle: 'nope', VisibilityTimeout: 100 }],
    }));
    expect(changed.Successful!.map((s) => s.Id)).toEqual(['x']);
    expect(changed.Failed).toEqual([expect.objectContaining({ Id: 'y', Code: 'ReceiptHandleIsInvalid' })]);
    const deleted = await sqs.send(new DeleteMessageBatchCommand({
      QueueUrl, Entries: [...got.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })), { Id: 'gone', ReceiptHandle: 'nope' }],
    }));
    expect(deleted.Successful!.map((s) => s.Id)).toEqual(['d0', 'd1', 'd2']);
    expect(deleted.Failed!.map((f) => f.Id)).toEqual(['gone']);
    expect(await depth(QueueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect((await rejection(sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: [] })))).name).toBe('EmptyBatchRequest');
    const eleven = Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x' }));
    expect((await rejection(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: eleven })))).name).toBe('TooManyEntriesInBatchRequest');
    expect((await rejection(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'same', MessageBody: 'x' }, { Id: 'same', MessageBody: 'y' }] })))).name).toBe('BatchEntryIdsNotDistinct');
  });
});

describe('dead-letter queues', () => {
  it('a message received maxReceiveCount times moves to the dead-letter queue; StartMessageMoveTask moves it back', async () => {
    const dlqUrl = await create('orders-dlq');
    const QueueUrl = await create('orders', { VisibilityTimeout: '0', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn('orders-dlq'), maxReceiveCount: 2 }) });
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'poison', MessageAttributes: { why: { DataType: 'String', StringValue: 'test' } } }));
    for (let i = 1; i <= 2; i++) {
      const m = (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }))).Messages![0]!;
      expect(m.Attributes!.ApproximateReceiveCount).toBe(String(i));
    }
    // The third delivery attempt dead-letters it instead.
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages ?? []).toEqual([]);
    const dead = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MessageAttributeNames: ['All'], VisibilityTimeout: 0 }))).Messages![0]!;
    expect(dead).toMatchObject({ MessageId: sent.MessageId, Body: 'poison', MessageAttributes: { why: { DataType: 'String', StringValue: 'test' } } });

    const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arn('orders-dlq') }));
    expect(TaskHandle).toBeTruthy();
    await waitFor(async () => {
      const t = (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arn('orders-dlq') }))).Results![0]!;
      return t.Status === 'COMPLETED';
    });
    const t = (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arn('orders-dlq') }))).Results![0]!;
    expect(t).toMatchObject({ TaskHandle, ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 1, SourceArn: arn('orders-dlq') });
    expect(await depth(dlqUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    const back = (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }))).Messages![0]!;
    expect(back).toMatchObject({ MessageId: sent.MessageId, Body: 'poison', Attributes: { ApproximateReceiveCount: '1' } });
    expect((await rejection(sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arn('orders') })))).name).toBe('InvalidParameterValue');
  });
});

describe('FIFO queues', () => {
  it('keeps order per message group and deduplicates by MessageDeduplicationId and by content', async () => {
    const QueueUrl = await create('jobs.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    const seqs: string[] = [];
    for (const [group, body, dedup] of [['g1', 'g1-1', 'a'], ['g2', 'g2-1', 'b'], ['g1', 'g1-2', 'c'], ['g1', 'g1-2-again', 'c'], ['g2', 'g2-2', undefined], ['g2', 'g2-2', undefined]] as const) {
      const r = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body, MessageGroupId: group, ...(dedup ? { MessageDeduplicationId: dedup } : {}) }));
      expect(r.SequenceNumber).toMatch(/^\d{20}$/);
      seqs.push(r.MessageId!);
    }
    expect(seqs[3]).toBe(seqs[2]); // duplicate dedup id: the first message's id
    expect(seqs[5]).toBe(seqs[4]); // duplicate content
    const bodies: string[] = [];
    for (;;) {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId', 'SequenceNumber'] }));
      if (!r.Messages?.length) break;
      // At most one message per group in flight.
      expect(new Set(r.Messages.map((m) => m.Attributes!.MessageGroupId)).size).toBe(r.Messages.length);
      for (const m of r.Messages) {
        bodies.push(m.Body!);
        await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
      }
    }
    expect(bodies.filter((b) => b.startsWith('g1'))).toEqual(['g1-1', 'g1-2']);
    expect(bodies.filter((b) => b.startsWith('g2'))).toEqual(['g2-1', 'g2-2']);
  });

  it('a group is blocked while its head is in flight; FIFO refuses missing group ids and per-message delays', async () => {
    const QueueUrl = await create('strict.fifo', { FifoQueue: 'true' });
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '1', MessageGroupId: 'g', MessageDeduplicationId: '1' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '2', MessageGroupId: 'g', MessageDeduplicationId: '2' }));
    const head = (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }))).Messages!;
    expect(head.map((m) => m.Body)).toEqual(['1']);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }))).Messages ?? []).toEqual([]);
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: head[0]!.ReceiptHandle }));
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages![0]!.Body).toBe('2');
    expect((await rejection(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', MessageDeduplicationId: 'x' })))).name).toBe('MissingParameter');
    expect((await rejection(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', MessageGroupId: 'g' })))).name).toBe('InvalidParameterValue');
    expect((await rejection(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'y', DelaySeconds: 5 })))).name).toBe('InvalidParameterValue');
  });
});

describe('out-of-range parameters', () => {
  it('MaxNumberOfMessages 11, WaitTimeSeconds 21, a body over the queue limit, bad attributes: AWS errors, nothing sent', async () => {
    const QueueUrl = await create('limits', { MaximumMessageSize: '1024' });
    const e1 = await rejection(sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 11 })));
    expect(e1.name).toBe('InvalidParameterValue');
    expect(e1.message).toContain('MaxNumberOfMessages');
    expect((await rejection(sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 21 })))).name).toBe('InvalidParameterValue');
    const big = await rejection(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x'.repeat(1025) })));
    expect(big.name).toBe('InvalidParameterValue');
    expect(big.message).toContain('1024');
    // Attributes count towards the size too.
    expect((await rejection(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x'.repeat(1000), MessageAttributes: { k: { DataType: 'String', StringValue: 'y'.repeat(30) } } })))).name).toBe('InvalidParameterValue');
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x'.repeat(1024) }));
    const def = await create('limits-default');
    await sqs.send(new SendMessageCommand({ QueueUrl: def, MessageBody: 'x'.repeat(300 * 1024) }));
    expect((await rejection(sqs.send(new SendMessageCommand({ QueueUrl: def, MessageBody: 'x'.repeat(1024 * 1024 + 1) })))).name).toBe('InvalidParameterValue');
    expect((await rejection(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'bad \u0001 char' })))).name).toBe('InvalidMessageContents');
    expect((await rejection(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', MessageAttributes: { 'AWS.x': { DataType: 'String', StringValue: 'v' } } })))).name).toBe('InvalidParameterValue');
    expect((await rejection(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', MessageAttributes: { n: { DataType: 'Number', StringValue: 'abc' } } })))).name).toBe('InvalidParameterValue');
    expect((await rejection(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', MessageAttributes: { n: { DataType: 'Text', StringValue: 'abc' } } })))).name).toBe('InvalidParameterValue');
    expect(await depth(QueueUrl)).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
  });
});
