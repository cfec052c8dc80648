/**
 * SQS over the query protocol (form-encoded `Action=` requests, XML answers) with a raw HTTP
 * client: the same operations and errors as the JSON protocol, meeting the SDK in the same
 * queues.
 */
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../support/test-server.js';
import { ACCOUNT, sqsClient, startAwsServer } from './helpers.js';
import { rawRequest } from './raw-http.js';

let server: TestServer;
let sqs: SQSClient;
let base: string;
beforeAll(async () => {
  server = await startAwsServer();
  sqs = sqsClient(server.ports.aws!);
  base = `http://127.0.0.1:${server.ports.aws}`;
});
afterAll(async () => {
  sqs?.destroy();
  await server?.cleanup();
});

async function query(params: Record<string, string>, opts: { method?: 'GET' | 'POST'; path?: string } = {}): Promise<{ status: number; xml: string; type: string | null }> {
  const form = new URLSearchParams({ Version: '2012-11-05', ...params }).toString();
  const res = opts.method === 'GET'
    ? await fetch(`${base}${opts.path ?? '/'}?${form}`)
    : await fetch(`${base}${opts.path ?? '/'}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: form });
  return { status: res.status, xml: await res.text(), type: res.headers.get('content-type') };
}

const all = (xml: string, tag: string): string[] => [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]!);
const one = (xml: string, tag: string): string | undefined => all(xml, tag)[0];

describe('SQS query protocol', () => {
  it('CreateQueue, GetQueueUrl, GetQueueAttributes and ListQueues answer XML', async () => {
    const created = await query({ Action: 'CreateQueue', QueueName: 'q-xml', 'Attribute.1.Name': 'VisibilityTimeout', 'Attribute.1.Value': '40', 'Tag.1.Key': 'k', 'Tag.1.Value': 'v' });
    expect(created.status).toBe(200);
    expect(created.type).toBe('text/xml');
    expect(created.xml).toContain('<CreateQueueResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">');
    expect(one(created.xml, 'QueueUrl')).toBe(`${base}/${ACCOUNT}/q-xml`);
    expect(one(created.xml, 'RequestId')).toMatch(/^[0-9a-f-]{36}$/);
    expect(one((await query({ Action: 'GetQueueUrl', QueueName: 'q-xml' })).xml, 'QueueUrl')).toBe(`${base}/${ACCOUNT}/q-xml`);
    const attrs = await query({ Action: 'GetQueueAttributes', QueueUrl: `${base}/${ACCOUNT}/q-xml`, 'AttributeName.1': 'VisibilityTimeout', 'AttributeName.2': 'QueueArn' });
    expect(attrs.xml).toContain('<Attribute><Name>VisibilityTimeout</Name><Value>40</Value></Attribute>');
    expect(attrs.xml).toContain(`<Attribute><Name>QueueArn</Name><Value>arn:aws:sqs:eu-west-1:${ACCOUNT}:q-xml</Value></Attribute>`);
    const tags = await query({ Action: 'ListQueueTags', QueueUrl: `${base}/${ACCOUNT}/q-xml` });
    expect(tags.xml).toContain('<Tag><Key>k</Key><Value>v</Value></Tag>');
    const listed = await query({ Action: 'ListQueues', QueueNamePrefix: 'q-x' }, { method: 'GET' });
    expect(all(listed.xml, 'QueueUrl')).toEqual([`${base}/${ACCOUNT}/q-xml`]);
  });

  it('SendMessage with attributes, ReceiveMessage with attributes, DeleteMessage; the path can be the QueueUrl', async () => {
    await query({ Action: 'CreateQueue', QueueName: 'q-msg' });
    const sent = await query({
      Action: 'SendMessage', MessageBody: 'a <tagged> & "quoted" body',
      'MessageAttribute.1.Name': 'colour', 'MessageAttribute.1.Value.DataType': 'String', 'MessageAttribute.1.Value.StringValue': 'blue',
      'MessageAttribute.2.Name': 'bin', 'MessageAttribute.2.Value.DataType': 'Binary', 'MessageAttribute.2.Value.BinaryValue': Buffer.from('xyz').toString('base64'),
    }, { path: `/${ACCOUNT}/q-msg` });
    expect(sent.status).toBe(200);
    const md5 = one(sent.xml, 'MD5OfMessageAttributes');
    expect(one(sent.xml, 'MD5OfMessageBody')).toMatch(/^[0-9a-f]{32}$/);
    // The SDK (JSON protocol) reads what the query protocol sent, with the same MD5.
    const m = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: `${base}/${ACCOUNT}/q-msg`, MessageAttributeNames: ['All'], VisibilityTimeout: 0 }))).Messages![0]!;
    expect(m.Body).toBe('a <tagged> & "quoted" body');
    expect(m.MD5OfMessageAttributes).toBe(md5);
    const got = await query({ Action: 'ReceiveMessage', QueueUrl: `${base}/${ACCOUNT}/q-msg`, 'AttributeName.1': 'All', 'MessageAttributeName.1': 'All' });
    expect(one(got.xml, 'Body')).toBe('a &lt;tagged&gt; &amp; &quot;quoted&quot; body');
    expect(got.xml).toContain('<MessageAttribute><Name>colour</Name><Value><DataType>String</DataType><StringValue>blue</StringValue></Value></MessageAttribute>');
    expect(got.xml).toContain(`<MessageAttribute><Name>bin</Name><Value><DataType>Binary</DataType><BinaryValue>${Buffer.from('xyz').toString('base64')}</BinaryValue></Value></MessageAttribute>`);
    expect(got.xml).toContain('<Attribute><Name>ApproximateReceiveCount</Name><Value>2</Value></Attribute>');
    const receipt = one(got.xml, 'ReceiptHandle')!;
    const del = await query({ Action: 'DeleteMessage', QueueUrl: `${base}/${ACCOUNT}/q-msg`, ReceiptHandle: receipt });
    expect(del.status).toBe(200);
    expect(del.xml).toContain('<DeleteMessageResponse');
  });

  it('batches answer one result entry per id', async () => {
    await query({ Action: 'CreateQueue', QueueName: 'q-batch' });
    const url = `${base}/${ACCOUNT}/q-batch`;
    const sent = await query({
      Action: 'SendMessageBatch', QueueUrl: url,
      'SendMessageBatchRequestEntry.1.Id': 'a', 'SendMessageBatchRequestEntry.1.MessageBody': 'one',
      'SendMessageBatchRequestEntry.2.Id': 'b', 'SendMessageBatchRequestEntry.2.MessageBody': 'two', 'SendMessageBatchRequestEntry.2.DelaySeconds': '901',
    });
    expect(all(sent.xml, 'SendMessageBatchResultEntry').map((e) => one(e, 'Id'))).toEqual(['a']);
    expect(all(sent.xml, 'BatchResultErrorEntry').map((e) => [one(e, 'Id'), one(e, 'Code'), one(e, 'SenderFault')])).toEqual([['b', 'InvalidParameterValue', 'true']]);
    const got = await query({ Action: 'ReceiveMessage', QueueUrl: url, MaxNumberOfMessages: '10' });
    const receipts = all(got.xml, 'ReceiptHandle');
    expect(receipts).toHaveLength(1);
    const del = await query({ Action: 'DeleteMessageBatch', QueueUrl: url, 'DeleteMessageBatchRequestEntry.1.Id': 'x', 'DeleteMessageBatchRequestEntry.1.ReceiptHandle': receipts[0]! });
    expect(all(del.xml, 'DeleteMessageBatchResultEntry').map((e) => one(e, 'Id'))).toEqual(['x']);
  });

  it('errors are ErrorResponse documents with the query code', async () => {
    const missing = await query({ Action: 'GetQueueUrl', QueueName: 'nope' });
    expect(missing.status).toBe(400);
    expect(missing.xml).toContain('<ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code>');
    expect(one(missing.xml, 'RequestId')).toBeTruthy();
    const unknown = await query({ Action: 'Explode' });
    expect(unknown.status).toBe(400);
    expect(one(unknown.xml, 'Code')).toBe('InvalidAction');
    const noAction = await query({});
    expect(one(noAction.xml, 'Code')).toBe('MissingAction');
    await query({ Action: 'CreateQueue', QueueName: 'q-err' });
    const range = await query({ Action: 'ReceiveMessage', QueueUrl: `${base}/${ACCOUNT}/q-err`, MaxNumberOfMessages: '11' });
    expect(one(range.xml, 'Code')).toBe('InvalidParameterValue');
  });

  it('signed form requests verify; a changed body does not', async () => {
    const body = new URLSearchParams({ Action: 'CreateQueue', Version: '2012-11-05', QueueName: 'q-signed' }).toString();
    const ok = await rawRequest(server.ports.aws!, { body, contentType: 'application/x-www-form-urlencoded' });
    expect(ok.status).toBe(200);
    expect(one(ok.text, 'QueueUrl')).toBe(`${base}/${ACCOUNT}/q-signed`);
    const bad = await rawRequest(server.ports.aws!, { body, contentType: 'application/x-www-form-urlencoded', tamper: (b) => b.replace('q-signed', 'q-evil'), applyChecksum: false });
    expect(bad.status).toBe(403);
    expect(one(bad.text, 'Code')).toBe('SignatureDoesNotMatch');
  });
});
